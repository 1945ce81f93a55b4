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

// The result's schema is the one definition (contract.ts); these types are derived from it.
export type { InvokeResult, Usage } from './contract.js';
import type { InvokeResult } from './contract.js';

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/** Fails to compile when the result schema's provider names drift from config's ProviderName. */
export type ProvidersInStep = Assert<Same<InvokeResult['provider'], ProviderName>>;

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
