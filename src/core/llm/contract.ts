// invoke_model's contract, written once: its limits and defaults (the tool's input schema and the core's checks
// both import them) and its result schema (zod; the TypeScript type is derived from it, and the tool's
// outputSchema is its shape). Light on purpose: the MCP tool imports it at start, so nothing here but zod.
import { z } from 'zod';

/** The passport invoke_model uses when the caller names none: the built-in Mistral Small 3.1. */
export const DEFAULT_SLUG = 'mistralai-mistral-small-3.1-24b-instruct';
export const DEFAULT_MAX_TOKENS = 1024;

export const INVOKE_LIMITS = {
  /** Characters of `prompt`, and of each message's content. */
  promptChars: 200_000,
  systemChars: 100_000,
  messages: 100,
  /** prompt + system + every message together. */
  totalChars: 1_000_000,
  stopStrings: 4,
  stopChars: 256,
  maxTokens: 131_072,
  slugChars: 256,
  /** A response_format JSON schema, as JSON text. */
  schemaChars: 100_000,
} as const;

export const IMAGE_LIMITS = {
  maxImages: 8,
  maxBytes: 10 * 1024 * 1024,
  maxTotalBytes: 20 * 1024 * 1024,
  maxUrlLength: 4096,
  /** Base64 text of one inline image: 10 MB decoded is ~13.4 MB of base64, plus a data: prefix. */
  maxDataChars: 14_000_000,
};

/** Kept in step with ProviderName (config/config.ts) by a type check below. */
const PROVIDER_NAMES = ['openrouter', 'mistral', 'openai-compatible'] as const;

export const usageSchema = z.object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() });

export const invokeResultSchema = z.object({
  text: z.string().describe('The answer (on a failed call: the text that arrived before the failure)'),
  finish_reason: z.string().nullable().describe('stop, length, content_filter, tool_calls or error'),
  model: z.string().describe('The model the upstream says it ran'),
  provider: z.enum(PROVIDER_NAMES).describe('Which upstream served the call'),
  upstream_provider: z.string().optional().describe('The provider OpenRouter routed to, when it says'),
  usage: usageSchema,
  cost_usd: z.number().optional().describe("USD: OpenRouter's reported cost, else an estimate from the passport's price (see warnings)"),
  generation_id: z.string().optional().describe('The upstream id of this generation'),
  time_to_first_token_ms: z.number().nullable(),
  duration_ms: z.number(),
  retries: z.number().describe('Attempts retried before the first token (rate limits, overload, network)'),
  passport: z.object({ slug: z.string(), verification: z.string().describe('verify_passport status of the passport used') }),
  warnings: z.array(z.string()),
  incomplete: z.boolean().optional().describe('true when the call failed after text had streamed'),
  error: z.string().optional().describe('What went wrong, on an incomplete result'),
});

export type Usage = z.infer<typeof usageSchema>;
export type InvokeResult = z.infer<typeof invokeResultSchema>;
