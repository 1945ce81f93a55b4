// The OpenAI-compatible chat client: one pooled undici Agent (keep-alive), a streaming SSE reader built on
// eventsource-parser, timeouts (connect, first token, idle, total) and retries before the first token.
// Loaded only when invoke_model first runs, so server start never pays for undici.
import { createParser } from 'eventsource-parser';
import { Agent } from 'undici';
import { UpstreamError } from '../errors.js';
import { createScrubber, type Scrubber } from '../secrets.js';
import { createStreamScrubber } from './scrub-stream.js';
import type { Target } from './types.js';
import { describeHttpError, parseErrorBody, parseRetryAfter, RETRYABLE_STATUSES, type ParsedError } from './upstream-errors.js';

export interface LlmClientOptions {
  connectTimeoutMs?: number;
  /** From sending the request to the first token; keep-alive comments do not count. */
  firstTokenTimeoutMs?: number;
  /** Between data events once tokens flow; comments do not count. */
  idleTimeoutMs?: number;
  /** The whole call, retries included. */
  totalTimeoutMs?: number;
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the call fails and says when to retry. */
  retryAfterCapMs?: number;
  userAgent?: string;
  referer?: string;
  title?: string;
  /** Tests: deterministic backoff instead of full jitter. */
  random?: () => number;
}

export const DEFAULT_CLIENT_OPTIONS: Required<Omit<LlmClientOptions, 'random'>> = {
  connectTimeoutMs: 10_000,
  firstTokenTimeoutMs: 60_000,
  idleTimeoutMs: 30_000,
  totalTimeoutMs: 300_000,
  maxRetries: 3,
  retryBaseMs: 500,
  retryMaxDelayMs: 8_000,
  retryAfterCapMs: 30_000,
  userAgent: 'passport-mcp/0.1.0',
  referer: 'https://github.com/unfragile/passport-mcp',
  title: 'passport-mcp',
};

export interface ChatCall {
  target: Target;
  body: Record<string, unknown>;
  signal?: AbortSignal;
  /** Text as it arrives, already scrubbed of every secret. */
  onText?: (delta: string) => void;
  /** Every configured key, scrubbed from text, errors and partial results. */
  secrets: readonly (string | undefined)[];
  images?: readonly { label: string; bytes?: number }[];
}

export interface ChatOutcome {
  text: string;
  finishReason: string | null;
  model?: string;
  upstreamProvider?: string;
  usage?: Record<string, unknown>;
  generationId?: string;
  ttftMs: number | null;
  durationMs: number;
  retries: number;
  warnings: string[];
}

/** A failed call. `partial` is set when text had already streamed (the call is then never retried). */
export class LlmCallError extends UpstreamError {
  readonly partial: ChatOutcome | undefined;
  readonly retries: number;
  readonly cancelled: boolean;
  constructor(message: string, opts: { status?: number; partial?: ChatOutcome; retries: number; cancelled?: boolean }) {
    super(message, { status: opts.status });
    this.partial = opts.partial;
    this.retries = opts.retries;
    this.cancelled = opts.cancelled ?? false;
  }
}

export interface LlmClient {
  chat(call: ChatCall): Promise<ChatOutcome>;
  close(): Promise<void>;
}

/** One attempt's failure, before retry bookkeeping. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly opts: { retryable: boolean; status?: number; retryAfterMs?: number; kind: 'http' | 'inband' | 'network' | 'timeout' | 'truncated' | 'cancelled' },
  ) {
    super(message);
  }
}

class TimeoutReason extends Error {}

const NETWORK_HINT = 'check the base URL and the network';

function describeNetwork(err: unknown, target: Target): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e?.code ?? e?.cause?.code;
  const origin = (() => {
    try {
      return new URL(target.baseUrl).origin;
    } catch {
      return target.baseUrl;
    }
  })();
  const what =
    code === 'ECONNREFUSED' ? 'connection refused'
    : code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'host not found'
    : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' ? 'the connection was reset'
    : code === 'UND_ERR_CONNECT_TIMEOUT' ? 'the connection timed out'
    : code ?? e?.message ?? 'network error';
  return `could not complete the call to ${target.label} at ${origin}: ${what}`;
}

function contentOf(x: unknown): string {
  if (!x || typeof x !== 'object') return '';
  const c = (x as { content?: unknown }).content;
  if (typeof c === 'string') return c;
  // Mistral may send content as typed chunks.
  if (Array.isArray(c)) return c.map((p) => (p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string' ? (p as { text: string }).text : '')).join('');
  return '';
}

function inBandRetryable(code: unknown, parsed: ParsedError): boolean {
  if (typeof code === 'number') return RETRYABLE_STATUSES.has(code);
  const s = `${typeof code === 'string' ? code : ''} ${parsed.errorType ?? ''}`.toLowerCase();
  if (/^\s*\d+\s*$/.test(s.split(' ')[0] ?? '') && RETRYABLE_STATUSES.has(Number(s.split(' ')[0]))) return true;
  return /rate|overload|unavailable|timeout|server_error|capacity|disconnect/.test(s);
}

function headerValue(h: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createLlmClient(options: LlmClientOptions = {}): LlmClient {
  const o = { ...DEFAULT_CLIENT_OPTIONS, ...options };
  const random = options.random ?? Math.random;
  let agent: Agent | undefined;
  const dispatcher = () =>
    (agent ??= new Agent({
      connect: { timeout: o.connectTimeoutMs },
      // Idle sockets close after 4 s unless the server's Keep-Alive hint says otherwise (capped at 60 s). Short on
      // purpose: after a cancelled stream undici re-opens one connection that never carries a request.
      keepAliveTimeout: 4_000,
      keepAliveMaxTimeout: 60_000,
    }));

  async function chat(call: ChatCall): Promise<ChatOutcome> {
    const scrub: Scrubber = createScrubber(call.secrets);
    const t0 = performance.now();
    const deadline = t0 + o.totalTimeoutMs;
    const bodyText = JSON.stringify(call.body);
    const url = new URL(`${call.target.baseUrl.replace(/\/+$/, '')}/chat/completions`);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      'user-agent': o.userAgent,
    };
    if (call.target.apiKey) headers.authorization = `Bearer ${call.target.apiKey}`;
    if (call.target.provider === 'openrouter') {
      headers['http-referer'] = o.referer;
      headers['x-title'] = o.title;
      headers['x-openrouter-title'] = o.title;
    }
    const maxTokens = typeof call.body.max_tokens === 'number' ? call.body.max_tokens : 0;

    // State shared across attempts; text only ever comes from one attempt (no retry after a token).
    const streamScrub = createStreamScrubber(call.secrets);
    const out: ChatOutcome = { text: '', finishReason: null, ttftMs: null, durationMs: 0, retries: 0, warnings: [] };
    let gotToken = false;
    const emit = (raw: string) => {
      const safe = streamScrub.push(raw);
      if (safe) {
        out.text += safe;
        call.onText?.(safe);
      }
    };
    const endText = () => {
      const rest = streamScrub.end();
      if (rest) {
        out.text += rest;
        call.onText?.(rest);
      }
    };

    const attempt = async (): Promise<void> => {
      const ac = new AbortController();
      const onOuterAbort = () => ac.abort(new AttemptError('the client cancelled the call', { retryable: false, kind: 'cancelled' }));
      if (call.signal?.aborted) onOuterAbort();
      call.signal?.addEventListener('abort', onOuterAbort, { once: true });
      const timeout = (msg: string) => () => ac.abort(new TimeoutReason(msg));
      const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`;
      const remaining = Math.max(1, deadline - performance.now());
      const totalTimer = setTimeout(timeout(`the call took longer than its ${secs(o.totalTimeoutMs)} budget`), remaining);
      const ftMs = Math.min(o.firstTokenTimeoutMs, remaining);
      let tokenTimer: NodeJS.Timeout = setTimeout(timeout(`${call.target.label} sent no token within ${secs(ftMs)} (keep-alive comments do not count)`), ftMs);
      let done = false;
      let drainTimer: NodeJS.Timeout | undefined;
      try {
        let res;
        try {
          res = await dispatcher().request({
            origin: url.origin,
            path: url.pathname + url.search,
            method: 'POST',
            headers,
            body: bodyText,
            signal: ac.signal,
            headersTimeout: 0,
            bodyTimeout: 0,
          });
        } catch (err) {
          throw ac.signal.aborted ? ac.signal.reason : new AttemptError(describeNetwork(err, call.target), { retryable: true, kind: 'network' });
        }
        const { statusCode, body } = res;
        const h = res.headers as Record<string, string | string[] | undefined>;
        const genHeader = headerValue(h, 'x-generation-id');
        if (genHeader) out.generationId = genHeader;
        if (statusCode < 200 || statusCode >= 300) {
          let text = '';
          for await (const chunk of body) {
            if (text.length < 65_536) text += Buffer.from(chunk as Uint8Array).toString('utf8');
          }
          const parsed = parseErrorBody(text);
          const rl = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset', 'x-ratelimit-remaining-req-minute', 'x-ratelimit-remaining-tokens-minute']
            .map((k) => (headerValue(h, k) !== undefined ? `${k}: ${headerValue(h, k)}` : ''))
            .filter(Boolean)
            .join(', ');
          const msg = describeHttpError(statusCode, parsed, { target: call.target, maxTokens, images: call.images ?? [], rateLimit: rl || undefined });
          let retryAfterMs = parseRetryAfter(h['retry-after']);
          if (retryAfterMs === undefined && typeof parsed.availability?.retry_after === 'number') retryAfterMs = parsed.availability.retry_after * 1000;
          const retryable = RETRYABLE_STATUSES.has(statusCode) || (statusCode === 404 && parsed.availability?.retryable === true);
          throw new AttemptError(msg, { retryable, status: statusCode, retryAfterMs, kind: 'http' });
        }

        const ctype = (headerValue(h, 'content-type') ?? '').toLowerCase();
        if (ctype.includes('application/json')) {
          // A server that ignored stream:true and answered with one JSON completion.
          let text = '';
          for await (const chunk of body) text += Buffer.from(chunk as Uint8Array).toString('utf8');
          let doc: Record<string, unknown>;
          try {
            doc = JSON.parse(text) as Record<string, unknown>;
          } catch {
            throw new AttemptError(`${call.target.label} sent unreadable JSON`, { retryable: false, kind: 'truncated' });
          }
          if (doc.error) {
            const p = parseErrorBody(text);
            throw new AttemptError(`${call.target.label} reported an error: ${p.message}`, { retryable: inBandRetryable((doc.error as { code?: unknown }).code, p), kind: 'inband' });
          }
          const choice = Array.isArray(doc.choices) ? (doc.choices[0] as Record<string, unknown> | undefined) : undefined;
          const content = contentOf(choice?.message ?? choice?.delta);
          if (content) {
            gotToken = true;
            out.ttftMs = performance.now() - t0;
            emit(content);
          }
          if (choice?.finish_reason != null) out.finishReason = String(choice.finish_reason);
          if (typeof doc.model === 'string') out.model = doc.model;
          if (doc.usage && typeof doc.usage === 'object') out.usage = doc.usage as Record<string, unknown>;
          if (!out.generationId && typeof doc.id === 'string') out.generationId = doc.id;
          return;
        }

        let pending: AttemptError | undefined;
        const onData = (data: string) => {
          if (done || pending) return;
          const t = data.trim();
          if (t === '[DONE]') {
            done = true;
            return;
          }
          let obj: Record<string, unknown>;
          try {
            obj = JSON.parse(t) as Record<string, unknown>;
          } catch {
            return; // not JSON: skip the event, as OpenAI's own clients do
          }
          if (!obj || typeof obj !== 'object') return;
          if (gotToken) tokenTimer.refresh();
          if (typeof obj.model === 'string' && obj.model) out.model = obj.model;
          if (typeof obj.provider === 'string' && obj.provider) out.upstreamProvider = obj.provider;
          if (!out.generationId && typeof obj.id === 'string' && obj.id) out.generationId = obj.id;
          if (obj.usage && typeof obj.usage === 'object') out.usage = obj.usage as Record<string, unknown>;
          // A top-level error ends the stream as a failure whatever `choices` holds.
          if (obj.error !== undefined && obj.error !== null) {
            const err = obj.error as { code?: unknown };
            const p = parseErrorBody(JSON.stringify({ error: obj.error }));
            const code = typeof err === 'object' ? err.code : undefined;
            const codeText = code !== undefined ? ` (${String(code)}${p.errorType ? `, ${p.errorType}` : ''})` : '';
            pending = new AttemptError(`${call.target.label} reported an error in the stream${codeText}: ${p.message}${p.raw ? ` (provider said: ${p.raw})` : ''}`, {
              retryable: !gotToken && inBandRetryable(code, p),
              status: typeof code === 'number' ? code : undefined,
              kind: 'inband',
            });
            return;
          }
          const choice = Array.isArray(obj.choices) ? (obj.choices[0] as Record<string, unknown> | undefined) : undefined;
          if (!choice || typeof choice !== 'object') return;
          const content = contentOf(choice.delta ?? choice.message);
          if (content) {
            if (!gotToken) {
              gotToken = true;
              out.ttftMs = performance.now() - t0;
              // From now on the timer measures idleness between data events.
              clearTimeout(tokenTimer);
              tokenTimer = setTimeout(timeout(`${call.target.label} stalled: nothing for ${secs(o.idleTimeoutMs)} after the last token`), o.idleTimeoutMs);
            }
            emit(content);
          }
          // Keep the last non-null finish_reason: a later usage chunk with null must not erase "stop".
          if (choice.finish_reason !== null && choice.finish_reason !== undefined) out.finishReason = String(choice.finish_reason);
        };
        // Comments (": OPENROUTER PROCESSING") are ignored on purpose: they prove the socket lives, not that
        // tokens flow, so they reset no timer.
        const parser = createParser({ onEvent: (ev) => onData(ev.data) });
        const decoder = new TextDecoder('utf-8');
        try {
          for await (const chunk of body) {
            if (done) continue; // drain so the socket can be reused
            parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
            if (pending) {
              body.destroy();
              throw pending;
            }
            if (done) {
              clearTimeout(tokenTimer);
              // After [DONE] the response should end at once; do not wait long for it.
              drainTimer = setTimeout(() => body.destroy(), 1_000);
            }
          }
        } catch (err) {
          if (err === pending) throw err;
          if (ac.signal.aborted) throw ac.signal.reason;
          if (done) return;
          throw new AttemptError(`${describeNetwork(err, call.target)} while streaming`, { retryable: !gotToken, kind: 'network' });
        }
        if (!done) {
          parser.feed(decoder.decode());
          parser.reset({ consume: true });
          if (pending) throw pending;
        }
        if (out.finishReason === 'error') {
          throw new AttemptError(`${call.target.label} ended the generation with finish_reason "error"`, { retryable: !gotToken, kind: 'inband' });
        }
        if (!done && out.finishReason === null) {
          throw new AttemptError(`${call.target.label} closed the stream before it finished (no [DONE] and no finish_reason): the answer is truncated`, {
            retryable: !gotToken,
            kind: 'truncated',
          });
        }
      } catch (err) {
        if (err instanceof AttemptError) throw err;
        if (err instanceof TimeoutReason) throw new AttemptError(err.message, { retryable: !gotToken, kind: 'timeout' });
        if (ac.signal.aborted) {
          const r = ac.signal.reason;
          if (r instanceof AttemptError) throw r;
          if (r instanceof TimeoutReason) throw new AttemptError(r.message, { retryable: !gotToken, kind: 'timeout' });
        }
        throw new AttemptError(describeNetwork(err, call.target), { retryable: !gotToken, kind: 'network' });
      } finally {
        clearTimeout(totalTimer);
        clearTimeout(tokenTimer);
        if (drainTimer) clearTimeout(drainTimer);
        call.signal?.removeEventListener('abort', onOuterAbort);
      }
    };

    const finish = () => {
      endText();
      out.durationMs = performance.now() - t0;
      return out;
    };

    for (let n = 0; ; n++) {
      try {
        await attempt();
        return finish();
      } catch (e) {
        const err = e instanceof AttemptError ? e : new AttemptError(String(e), { retryable: false, kind: 'network' });
        const fail = (extra = '') => {
          const retried = out.retries ? ` Retried ${out.retries} time${out.retries === 1 ? '' : 's'}.` : '';
          let msg = err.message + (err.message.endsWith('.') ? '' : '.') + retried + extra;
          if (err.opts.kind === 'network' && !gotToken) msg += ` (${NETWORK_HINT})`;
          if (gotToken) msg += ' The text streamed so far is returned, marked incomplete.';
          return new LlmCallError(scrub(msg), {
            status: err.opts.status,
            retries: out.retries,
            partial: gotToken ? finish() : undefined,
            cancelled: err.opts.kind === 'cancelled',
          });
        };
        if (err.opts.kind === 'cancelled' || call.signal?.aborted) {
          throw new LlmCallError('the client cancelled the call; the upstream request was aborted', { retries: out.retries, cancelled: true, partial: gotToken ? finish() : undefined });
        }
        if (!err.opts.retryable || gotToken) throw fail();
        if (n >= o.maxRetries) throw fail(' Try again later.');
        let delay: number;
        if (err.opts.retryAfterMs !== undefined) {
          if (err.opts.retryAfterMs > o.retryAfterCapMs) throw fail(` The upstream asked to wait ${Math.ceil(err.opts.retryAfterMs / 1000)} s; try again then.`);
          delay = err.opts.retryAfterMs;
        } else {
          // Capped exponential backoff with full jitter.
          delay = random() * Math.min(o.retryMaxDelayMs, o.retryBaseMs * 2 ** n);
        }
        if (performance.now() + delay >= deadline) throw fail(' The time budget for the call ran out.');
        try {
          await sleep(delay, call.signal);
        } catch {
          throw new LlmCallError('the client cancelled the call; the upstream request was aborted', { retries: out.retries, cancelled: true });
        }
        out.retries++;
      }
    }
  }

  return {
    chat,
    async close() {
      const a = agent;
      agent = undefined;
      await a?.close().catch(() => undefined);
    },
  };
}
