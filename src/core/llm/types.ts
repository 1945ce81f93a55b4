// Shared shapes of the LLM layer: what invoke_model accepts (after validation) and what it returns.
import type { ProviderName } from '../../config/config.js';

export type Role = 'system' | 'user' | 'assistant';

export interface ChatMessageInput {
  role: Role;
  content: string;
}

export interface ImageInput {
  path?: string;
  url?: string;
  data?: string;
  mime_type?: string;
}

export type ResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean; description?: string } };

export interface InvokeInput {
  prompt?: string;
  messages?: ChatMessageInput[];
  system?: string;
  images?: ImageInput[];
  slug?: string;
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  frequency_penalty?: number;
  presence_penalty?: number;
  seed?: number;
  stop?: string | string[];
  response_format?: ResponseFormat;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface InvokeResult {
  text: string;
  finish_reason: string | null;
  model: string;
  provider: ProviderName;
  /** The provider OpenRouter routed to (e.g. "Cloudflare"), when it says. */
  upstream_provider?: string;
  usage: Usage;
  cost_usd?: number;
  generation_id?: string;
  time_to_first_token_ms: number | null;
  duration_ms: number;
  retries: number;
  passport: { slug: string; verification: string };
  warnings: string[];
  /** Set on a failed call that had already streamed text: `text` is what arrived before the failure. */
  incomplete?: boolean;
  error?: string;
}

/** Where one call goes: provider, endpoint, key (and the env var that holds it) and model id. */
export interface Target {
  provider: ProviderName;
  /** For messages: "OpenRouter", "Mistral's API", "the OpenAI-compatible server". */
  label: string;
  baseUrl: string;
  apiKey?: string;
  keyEnv: string;
  model: string;
}

/** An image ready to send: a `data:` URL (checked bytes) or an https URL passed through. */
export interface PreparedImage {
  /** How messages name it: `images[1] (photo.jpg)`. */
  label: string;
  url: string;
  /** Decoded size, when we had the bytes. */
  bytes?: number;
  mime?: string;
}
