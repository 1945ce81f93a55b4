// The HTTP exchange with an OpenAI-compatible upstream: one pooled undici Agent (keep-alive), the request
// (headers per provider, Bearer key) and bounded reads of the answer. No decoding, no timers, no retries.
// Loaded only when invoke_model first runs, so server start never pays for undici.
import { Agent } from 'undici';
import type { Target } from './types.js';
import type { Headers } from './upstream-errors.js';

export interface ExchangeOptions {
  connectTimeoutMs: number;
  /** How long an idle pooled socket stays open (unless the server's Keep-Alive hint says otherwise). */
  keepAliveTimeoutMs: number;
  userAgent: string;
  referer: string;
  title: string;
}

export interface Exchange {
  status: number;
  headers: Headers;
  body: AsyncIterable<Uint8Array> & { destroy(err?: Error): unknown };
}

export interface HttpExchange {
  /** POSTs the body to `{baseUrl}/chat/completions`; rejects with undici's error when no answer comes. */
  post(target: Target, bodyText: string, signal: AbortSignal): Promise<Exchange>;
  close(): Promise<void>;
}

export function createHttpExchange(o: ExchangeOptions): HttpExchange {
  let agent: Agent | undefined;
  const dispatcher = () =>
    (agent ??= new Agent({
      connect: { timeout: o.connectTimeoutMs },
      // Idle sockets close after keepAliveTimeoutMs (4 s by default, client.ts) unless the server's Keep-Alive hint
      // says otherwise (capped at 60 s). Short on purpose: after a cancelled stream undici re-opens one connection
      // that never carries a request.
      keepAliveTimeout: o.keepAliveTimeoutMs,
      keepAliveMaxTimeout: 60_000,
    }));
  return {
    async post(target, bodyText, signal) {
      const url = new URL(`${target.baseUrl.replace(/\/+$/, '')}/chat/completions`);
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream', 'user-agent': o.userAgent };
      // Security: the key goes only to the configured upstream, only in this header.
      if (target.apiKey) headers.authorization = `Bearer ${target.apiKey}`;
      if (target.provider === 'openrouter') {
        headers['http-referer'] = o.referer;
        headers['x-title'] = o.title;
        headers['x-openrouter-title'] = o.title;
      }
      const res = await dispatcher().request({
        origin: url.origin,
        path: url.pathname + url.search,
        method: 'POST',
        headers,
        body: bodyText,
        signal,
        // Our own timers (first token, idle, total) govern; undici's would count keep-alive comments as life.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      return { status: res.statusCode, headers: res.headers as Headers, body: res.body };
    },
    async close() {
      const a = agent;
      agent = undefined;
      await a?.close().catch(() => undefined);
    },
  };
}

/** Reads a whole body as UTF-8, keeping at most `cap` characters (the rest is drained so the socket is reusable). */
export async function readText(body: AsyncIterable<Uint8Array>, cap: number): Promise<{ text: string; truncated: boolean }> {
  let text = '';
  let truncated = false;
  for await (const chunk of body) {
    if (text.length < cap) text += Buffer.from(chunk).toString('utf8');
    else truncated = true;
  }
  return { text, truncated };
}
