// MCP prompts: ready-made conversations a user can pick in the client. `choose_model_for_task` walks the model
// through the tools in the intended order: find -> failure modes -> verify -> invoke.
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Logger } from '../core/logger.js';

export const CHOOSE_MODEL_PROMPT = 'choose_model_for_task';

const YES_WORDS = 'y|yes|true|1|on';
const YES = new RegExp(`^(${YES_WORDS})$`, 'i');
/** What needs_images takes: a yes (YES) or a no, nothing else ("maybe" must not silently mean no). */
const YES_OR_NO = new RegExp(`^\\s*(${YES_WORDS}|n|no|false|0|off)?\\s*$`, 'i');

/**
 * How step 1 asks for the intent: the task restated by the model, not the user's words passed on. Agents that state
 * the task themselves find the right capability first more often than the same requests typed by people (held-out:
 * top-1 0.884 against 0.845, right first with confidence 0.659 against 0.410; via-agent.json), and so do models
 * following this step (held-out 0.878 and 0.655; BENCHMARKS.md).
 */
const INTENT_OF_TASK = 'an intent that states the task in plain words (what should be done, to what)';

export interface ChooseModelArgs {
  task: string;
  needs_images?: string;
  slug?: string;
}

/** The prompt's text. Pure, so tests and the manifest can check it without a server. */
export function chooseModelText(args: ChooseModelArgs, toolNames: readonly string[]): string {
  const task = args.task.trim();
  const images = args.needs_images !== undefined && YES.test(args.needs_images.trim());
  const has = (name: string) => toolNames.includes(name);
  const slug = args.slug?.trim();
  const steps: string[] = [];
  if (slug) {
    steps.push(
      `Start from the passport "${slug}". If it turns out not to fit the task, call find_capability_by_intent with ` +
        `${INTENT_OF_TASK}${images ? ' and input_type "image"' : ''} to look for alternatives.`,
    );
  } else {
    steps.push(
      `Call find_capability_by_intent with ${INTENT_OF_TASK}${images ? ' and input_type "image" (the task involves images)' : ''}. ` +
        'Pick the best match; prefer a higher trust_score when confidences are close. A match whose source is "registry" ' +
        'is a claim until its passport is verified (step 3).',
    );
  }
  steps.push(
    'Call get_failure_modes with the chosen slug (and the capability_id). Tell me which failure modes and limitations ' +
      'matter for this task, quoting them as written.',
  );
  steps.push(
    'Call verify_passport with the slug. Only status "valid" means the passport is signed by a key I trust. ' +
      'If it is "unknown_key", say that the issuer key is not configured (passport-mcp --trust-key ISSUER=KEY) and ask me ' +
      'whether to go on anyway; if it is "invalid_signature" or "malformed", stop and tell me.',
  );
  if (has('invoke_model')) {
    steps.push(
      `If the model fits, call invoke_model with the slug and a prompt that performs the task` +
        `${images ? '; pass the images as images[] (a path inside an allowed image root, or base64 data with its mime_type)' : ''}. ` +
        'Report the answer together with the model, provider, cost and any warnings.',
    );
  }
  return [
    `Help me choose an AI model for this task${has('invoke_model') ? ' and then run it' : ''}:`,
    '',
    task,
    '',
    'Use the passport-mcp tools, in this order:',
    ...steps.map((s, i) => `${i + 1}. ${s}`),
    '',
    'Finish with a short summary: the model you chose and why, the risks that apply, and the verification status.',
  ].join('\n');
}

export function registerPrompts(
  server: McpServer,
  opts: { completeSlug: (value: string | undefined) => Promise<string[]>; logger: Logger; toolNames: readonly string[] },
): void {
  const { completeSlug } = opts;
  server.registerPrompt(
    CHOOSE_MODEL_PROMPT,
    {
      title: 'Choose a model for a task',
      description:
        'Find a model for a task, read its failure modes, verify its passport, then call it: a guided walk through ' +
        'find_capability_by_intent, get_failure_modes, verify_passport and invoke_model.',
      argsSchema: {
        task: z.string().min(1).max(2000).describe('The task in plain words, e.g. "describe a screenshot of an error dialog"'),
        needs_images: completable(
          z.string().max(10).regex(YES_OR_NO, 'needs_images takes "yes" or "no"').optional().describe('"yes" if the task involves images (default no)'),
          (value) => ['yes', 'no'].filter((v) => v.startsWith((value ?? '').toLowerCase())),
        ),
        slug: completable(
          z.string().max(200).optional().describe('A passport slug to start from instead of searching (completes from loaded passports)'),
          completeSlug,
        ),
      },
    },
    async (args): Promise<GetPromptResult> => {
      opts.logger.debug(`prompt ${CHOOSE_MODEL_PROMPT}: a task of ${args.task.length} characters${args.slug ? `, starting from ${args.slug}` : ''}`);
      return {
        description: `Choose and run a model for: ${args.task.slice(0, 80)}`,
        messages: [{ role: 'user', content: { type: 'text', text: chooseModelText(args, opts.toolNames) } }],
      };
    },
  );
}
