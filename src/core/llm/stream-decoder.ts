// The chat-completions stream decoder, pure: bytes in (any split: inside a line, a CRLF or a UTF-8 character),
// events out, no timers and no I/O, so it is tested on recorded wire data alone. SSE framing is eventsource-parser's;
// this module knows the provider shapes (OpenRouter, Mistral, vLLM, llama.cpp) of each `data:` payload.
import { createParser } from 'eventsource-parser';
import { parseErrorBody, type ParsedError } from './upstream-errors.js';

/** What the stream said about the call, kept across events (the last value wins, finish_reason excepted). */
export interface StreamMeta {
  model?: string;
  upstreamProvider?: string;
  generationId?: string;
  usage?: Record<string, unknown>;
  /** The last non-null finish_reason: a later usage chunk with null must not erase "stop". */
  finishReason: string | null;
  /** Data events that were not JSON, skipped (as OpenAI's own clients skip them); the caller warns. */
  skipped?: number;
}

/** An error the upstream reported inside a 200 response (UPSTREAMS.md §3 (a)(b)(c), vLLM's bare {error}). */
export interface InBandError {
  code: unknown;
  parsed: ParsedError;
}

export type StreamEvent =
  /** A JSON data event arrived: proof that the generation lives (keep-alive comments never produce one). */
  | { type: 'data' }
  | { type: 'text'; text: string }
  /** Ends the stream as a failure, whatever `choices` held. Nothing follows it. */
  | { type: 'error'; error: InBandError }
  /** `[DONE]`. Nothing follows it. */
  | { type: 'done' };

export interface StreamDecoder {
  readonly meta: StreamMeta;
  /** Bytes as they arrive; returns the events they completed, in order. */
  push(chunk: Uint8Array | string): StreamEvent[];
  /** End of the body: flushes a last event that had no blank line after it. */
  end(): StreamEvent[];
}

/** `content` of a delta or message: a string, or Mistral's typed chunks [{type:'text', text}]. */
export function contentOf(x: unknown): string {
  if (!x || typeof x !== 'object') return '';
  const c = (x as { content?: unknown }).content;
  if (typeof c === 'string') return c;
  if (Array.isArray(c))
    return c.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return '';
}

/** Folds one payload object into meta; returns its first choice's text and its in-band error, if any. */
function readPayload(obj: Record<string, unknown>, meta: StreamMeta): { text: string; error?: InBandError } {
  if (typeof obj.model === 'string' && obj.model) meta.model = obj.model;
  if (typeof obj.provider === 'string' && obj.provider) meta.upstreamProvider = obj.provider;
  if (!meta.generationId && typeof obj.id === 'string' && obj.id) meta.generationId = obj.id;
  if (obj.usage && typeof obj.usage === 'object') meta.usage = obj.usage as Record<string, unknown>;
  if (obj.error !== undefined && obj.error !== null) {
    const code = typeof obj.error === 'object' ? (obj.error as { code?: unknown }).code : undefined;
    return { text: '', error: { code, parsed: parseErrorBody(JSON.stringify({ error: obj.error })) } };
  }
  const choice = Array.isArray(obj.choices) ? (obj.choices[0] as Record<string, unknown> | undefined) : undefined;
  if (!choice || typeof choice !== 'object') return { text: '' };
  const text = contentOf(choice.delta ?? choice.message);
  if (choice.finish_reason !== null && choice.finish_reason !== undefined) meta.finishReason = String(choice.finish_reason);
  return { text };
}

export function createStreamDecoder(): StreamDecoder {
  const meta: StreamMeta = { finishReason: null };
  let over = false;
  let events: StreamEvent[] = [];
  const onData = (data: string) => {
    if (over) return;
    const t = data.trim();
    if (t === '[DONE]') {
      over = true;
      events.push({ type: 'done' });
      return;
    }
    let obj: unknown;
    try {
      obj = JSON.parse(t);
    } catch {
      meta.skipped = (meta.skipped ?? 0) + 1; // not JSON: skip the event, as OpenAI's own clients do, and count it
      return;
    }
    if (!obj || typeof obj !== 'object') return;
    events.push({ type: 'data' });
    const r = readPayload(obj as Record<string, unknown>, meta);
    if (r.error) {
      over = true;
      events.push({ type: 'error', error: r.error });
      return;
    }
    if (r.text) events.push({ type: 'text', text: r.text });
  };
  // Comments (": OPENROUTER PROCESSING") produce no event on purpose: they prove the socket lives, not that
  // tokens flow.
  const parser = createParser({ onEvent: (ev) => onData(ev.data) });
  const decoder = new TextDecoder('utf-8');
  const take = () => {
    const out = events;
    events = [];
    return out;
  };
  return {
    meta,
    push(chunk) {
      if (!over) parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      return take();
    },
    end() {
      if (!over) {
        parser.feed(decoder.decode());
        parser.reset({ consume: true });
      }
      return take();
    },
  };
}

/** A server that ignored stream:true and answered with one JSON completion. Undefined when it is not JSON. */
export function decodeCompletion(text: string): { meta: StreamMeta; text: string; error?: InBandError } | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  const meta: StreamMeta = { finishReason: null };
  if (!doc || typeof doc !== 'object') return { meta, text: '' };
  const d = doc as Record<string, unknown>;
  if (d.error) {
    const code = typeof d.error === 'object' ? (d.error as { code?: unknown }).code : undefined;
    return { meta, text: '', error: { code, parsed: parseErrorBody(text) } };
  }
  const choice = Array.isArray(d.choices) ? (d.choices[0] as Record<string, unknown> | undefined) : undefined;
  const content = contentOf(choice?.message ?? choice?.delta);
  if (choice?.finish_reason != null) meta.finishReason = String(choice.finish_reason);
  if (typeof d.model === 'string') meta.model = d.model;
  if (d.usage && typeof d.usage === 'object') meta.usage = d.usage as Record<string, unknown>;
  if (typeof d.id === 'string') meta.generationId = d.id;
  return { meta, text: content };
}
