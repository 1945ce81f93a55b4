// Request bodies per provider. Mistral's schema forbids unknown fields (422 extra_forbidden), so every body is
// built from a whitelist rather than by copying the caller's arguments.
import { UserInputError } from '../errors.js';
import { DEFAULT_MAX_TOKENS, INVOKE_LIMITS as LIMITS } from './contract.js';
import type { InvokeInput, PreparedImage, Target } from './types.js';

type Part = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } | string };
interface WireMessage {
  role: string;
  content: string | Part[];
}

/** Checks the bounds zod cannot see (sums across fields) and that there is something to send. */
export function checkInput(input: InvokeInput): void {
  if (input.prompt === undefined && !input.messages?.length) {
    throw new UserInputError('give "prompt" (a string) or "messages" (a conversation with the user\'s question)');
  }
  if ((input.messages?.length ?? 0) > LIMITS.messages) throw new UserInputError(`"messages" holds at most ${LIMITS.messages} messages`);
  // The model answers a user: a conversation without a user's words (system or assistant turns only, or an empty
  // prompt with nothing else) would be sent for nothing. The last turn may be the user's, or the start of the
  // assistant's answer for the model to continue (prefill, which OpenRouter and Mistral take); not a system turn.
  const last = input.prompt !== undefined ? 'user' : input.messages!.at(-1)!.role;
  if (last === 'system') {
    throw new UserInputError(`"messages" ends with a system turn; add the question as a last user message, or give "prompt"`);
  }
  const said =
    (input.prompt?.trim() ?? '') !== '' || (input.images?.length ?? 0) > 0 || (input.messages ?? []).some((m) => m.role === 'user' && m.content.trim());
  if (!said) {
    throw new UserInputError(
      input.prompt !== undefined
        ? '"prompt" is empty: say what the model should do'
        : '"messages" holds no user turn with text: add the question as a user message, or give "prompt"',
    );
  }
  let total = (input.prompt?.length ?? 0) + (input.system?.length ?? 0);
  for (const m of input.messages ?? []) total += m.content.length;
  if (total > LIMITS.totalChars) throw new UserInputError(`the prompt, system and messages together exceed ${LIMITS.totalChars} characters; shorten them`);
  if (Array.isArray(input.stop) && input.stop.length > LIMITS.stopStrings) throw new UserInputError(`"stop" takes at most ${LIMITS.stopStrings} strings`);
}

/** The chat messages: system first, then the conversation, then the prompt; images join the last user turn, text first. */
export function buildMessages(target: Target, input: InvokeInput, images: readonly PreparedImage[]): WireMessage[] {
  const out: WireMessage[] = [];
  if (input.system !== undefined) out.push({ role: 'system', content: input.system });
  for (const m of input.messages ?? []) out.push({ role: m.role, content: m.content });
  if (input.prompt !== undefined) out.push({ role: 'user', content: input.prompt });
  if (images.length) {
    let i = out.length - 1;
    while (i >= 0 && out[i]!.role !== 'user') i--;
    if (i < 0) throw new UserInputError('images need a user turn to attach to: give "prompt" or a user message');
    const text = out[i]!.content as string;
    const parts: Part[] = text ? [{ type: 'text', text }] : [];
    for (const img of images) {
      // Mistral documents the plain-string form; OpenRouter and OpenAI-compatible servers take {url}.
      parts.push({ type: 'image_url', image_url: target.provider === 'mistral' ? img.url : { url: img.url } });
    }
    out[i] = { role: 'user', content: parts };
  }
  return out;
}

/** The JSON body for POST {base}/chat/completions, plus warnings about parameters the provider cannot take. */
export function buildBody(target: Target, input: InvokeInput, images: readonly PreparedImage[]): { body: Record<string, unknown>; warnings: string[] } {
  const warnings: string[] = [];
  const body: Record<string, unknown> = {
    model: target.model,
    messages: buildMessages(target, input, images),
    stream: true,
    // Always sent: without it OpenRouter checks credits against the model's maximum output (402).
    max_tokens: input.max_tokens ?? DEFAULT_MAX_TOKENS,
  };
  const copy = (k: keyof InvokeInput, as: string = k) => {
    if (input[k] !== undefined) body[as] = input[k];
  };
  copy('temperature');
  copy('top_p');
  copy('frequency_penalty');
  copy('presence_penalty');
  copy('stop');
  copy('response_format');
  switch (target.provider) {
    case 'openrouter':
      copy('top_k');
      copy('seed');
      // OpenRouter silently drops parameters the serving provider lacks; make it fail loudly instead.
      if (input.response_format !== undefined || input.stop !== undefined) body.provider = { require_parameters: true };
      break;
    case 'mistral':
      if (input.temperature !== undefined && input.temperature > 1.5) {
        throw new UserInputError(`Mistral's API accepts temperature from 0 to 1.5 (got ${input.temperature})`);
      }
      copy('seed', 'random_seed');
      if (input.top_k !== undefined) warnings.push(`top_k (${input.top_k}) was not sent: Mistral's API does not accept it`);
      break;
    case 'openai-compatible':
      copy('top_k');
      copy('seed');
      // Self-hosted servers send usage only when asked, as a last chunk with choices: [].
      body.stream_options = { include_usage: true };
      break;
  }
  return { body, warnings };
}
