// invoke_model: call the model a passport describes (Mistral Small 3.1 by default), streaming tokens as progress.
// The LLM layer (undici, SSE parsing) is imported on the first call only, so server start never pays for it.
import { z } from 'zod';
import { DEFAULT_MAX_TOKENS, IMAGE_LIMITS, INVOKE_LIMITS, invokeResultSchema } from '../../core/llm/contract.js';
import { fail, ok } from '../results.js';
import { defineTool } from '../tool.js';
import type { ResponseFormat } from '../../core/llm/types.js';

const MAX_PROMPT = INVOKE_LIMITS.promptChars;
const MAX_SCHEMA_CHARS = INVOKE_LIMITS.schemaChars;

const imageSchema = z
  .object({
    path: z
      .string()
      .min(1)
      .max(4096)
      .optional()
      .describe('A local image file; it must be inside an allowed image folder (--image-root) or an MCP root the client offers'),
    url: z.string().min(1).max(IMAGE_LIMITS.maxUrlLength).optional().describe('An https:// image URL, passed to the provider as is'),
    data: z
      .string()
      .min(1)
      .max(IMAGE_LIMITS.maxDataChars)
      .optional()
      .describe(`The image bytes in strict base64 (a data:image/...;base64, prefix is accepted); at most ${IMAGE_LIMITS.maxBytes / 1024 / 1024} MB decoded`),
    mime_type: z.string().max(64).optional().describe('image/png, image/jpeg, image/gif or image/webp; checked against the bytes'),
  })
  .describe('One image: exactly one of path, url or data');

/** A JSON object given as an object (the contract) or as JSON text (what strict-mode agent frameworks can send). */
function jsonObjectText(what: string, maxChars: number) {
  return z
    .string()
    .max(maxChars, `${what}: at most ${maxChars} characters of JSON`)
    .transform((text, ctx) => {
      try {
        const v: unknown = JSON.parse(text);
        if (v !== null && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
      } catch {
        // reported below
      }
      ctx.addIssue({ code: 'custom', message: `${what}: not a JSON object` });
      return z.NEVER;
    });
}

/** Lets a client send `key` as an object: it is turned into JSON text before validation (same checks, one path). */
function objectsAsText(keys: readonly string[]) {
  return (v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const k of keys) {
      const x = out[k];
      if (x !== null && typeof x === 'object' && !Array.isArray(x)) out[k] = JSON.stringify(x);
    }
    return out;
  };
}

// One closed object rather than a oneOf of three: strict-mode converters (OpenAI Agents SDK) and Gemini's
// function declarations accept neither oneOf nor const, nor an open object for the schema (hence JSON text).
const responseFormatSchema = z
  .object({
    type: z
      .enum(['text', 'json_object', 'json_schema'])
      .describe('text (default), json_object (any JSON object), or json_schema (JSON following json_schema.schema)'),
    json_schema: z
      .preprocess(
        objectsAsText(['schema']),
        z.object({
          name: z
            .string()
            .regex(/^[A-Za-z0-9_-]{1,64}$/, 'name: 1 to 64 letters, digits, "_" or "-"')
            .describe('Schema name, 1-64 chars of [A-Za-z0-9_-]'),
          description: z.string().max(2000).optional().describe('What the output is for'),
          schema: jsonObjectText('schema', MAX_SCHEMA_CHARS).describe('The JSON Schema the answer must follow, as JSON text (a JSON object is accepted too)'),
          strict: z.boolean().optional().describe('Ask the provider to enforce the schema strictly'),
        }),
      )
      .optional()
      .describe('Required when type is json_schema: { name, schema, description?, strict? }'),
  })
  .superRefine((v, ctx) => {
    if (v.type === 'json_schema' && !v.json_schema)
      ctx.addIssue({ code: 'custom', path: ['json_schema'], message: 'json_schema: required when type is "json_schema"' });
  })
  .transform((v): ResponseFormat => (v.type === 'json_schema' ? { type: 'json_schema', json_schema: v.json_schema! } : { type: v.type }))
  .describe('Ask for JSON: {"type":"json_object"}, or {"type":"json_schema","json_schema":{"name","schema","strict"}}');

// The result schema is defined once, in core; the TypeScript result type is derived from it.
export const invokeOutputShape = invokeResultSchema.shape;

export const invokeModel = defineTool({
  name: 'invoke_model',
  title: 'Call a model (Mistral Small 3.1 by default)',
  description:
    'Send a prompt (or a conversation) and optional images to the model a passport describes, Mistral Small 3.1 24B ' +
    'by default, and get its answer. Use it when you want a second model to answer, describe or read an image ' +
    '(screenshots, photos, diagrams), extract JSON with response_format, or when the user asks for this model. ' +
    'Images: a local path inside an allowed folder, an https URL, or base64 data (PNG, JPEG, GIF, WebP; up to 8, ' +
    '10 MB each). Returns { text, finish_reason, model, provider, usage, cost_usd, time_to_first_token_ms, ' +
    'duration_ms, retries, passport: { slug, verification }, warnings }; tokens stream as progress notifications ' +
    'when you send a progress token. Calls the network and may cost money. Before relying on an unfamiliar model, ' +
    'read get_failure_modes and verify_passport for its slug.',
  inputSchema: {
    prompt: z.string().max(MAX_PROMPT).optional().describe('The user message. Give this or messages (or both: prompt then comes last)'),
    messages: z
      .array(
        z.object({
          role: z.enum(['system', 'user', 'assistant']).describe('Who said it'),
          content: z.string().max(MAX_PROMPT).describe('The text'),
        }),
      )
      .max(INVOKE_LIMITS.messages)
      .optional()
      .describe('A conversation, oldest first; images attach to the last user message'),
    system: z.string().max(INVOKE_LIMITS.systemChars).optional().describe('System instructions, sent first'),
    images: z.array(imageSchema).max(IMAGE_LIMITS.maxImages).optional().describe(`Up to ${IMAGE_LIMITS.maxImages} images for vision; text goes before images`),
    slug: z.string().min(1).max(INVOKE_LIMITS.slugChars).optional().describe('Passport of the model to call (default: the built-in Mistral Small 3.1)'),
    max_tokens: z.number().int().min(1).max(INVOKE_LIMITS.maxTokens).optional().describe(`Most tokens to generate (default ${DEFAULT_MAX_TOKENS})`),
    temperature: z.number().min(0).max(2).optional().describe("Randomness, 0-2 (Mistral's API: 0-1.5); low for facts, higher for ideas"),
    top_p: z.number().min(0).max(1).optional().describe('Nucleus sampling, 0-1'),
    top_k: z.number().int().min(0).max(1000).optional().describe("Sample from the k likeliest tokens (not sent to Mistral's API)"),
    frequency_penalty: z.number().min(-2).max(2).optional().describe('Penalise tokens by how often they appeared, -2..2'),
    presence_penalty: z.number().min(-2).max(2).optional().describe('Penalise tokens that appeared at all, -2..2'),
    seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('Seed for repeatable sampling, where the provider supports it'),
    stop: z
      .union([z.string().min(1).max(INVOKE_LIMITS.stopChars), z.array(z.string().min(1).max(INVOKE_LIMITS.stopChars)).min(1).max(INVOKE_LIMITS.stopStrings)])
      .optional()
      .describe('Stop at this string (or any of up to 4)'),
    response_format: responseFormatSchema.optional(),
  },
  outputSchema: invokeOutputShape,
  annotations: { title: 'Call a model', readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler(args, { app, signal, logger, progress, clientRoots }) {
    const llm = await import('../../core/llm/invoke.js');
    // The adapter holds the result until the last progress notification is read (server.ts, progressBarrier).
    const relay = progress && llm.createProgressRelay(progress);
    try {
      const result = await llm.invokeModel(args, { app, signal, logger, clientRoots, onText: relay?.push });
      await relay?.finish();
      return ok(result);
    } catch (err) {
      if (err instanceof llm.InvokeError && !err.cancelled) await relay?.finish();
      // A failure after text streamed: the partial answer, marked incomplete (it matches the output schema).
      if (err instanceof llm.InvokeError && err.partial) return fail(err.message, err.partial as unknown as Record<string, unknown>);
      throw err;
    } finally {
      relay?.close();
    }
  },
});
