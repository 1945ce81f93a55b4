// The wording of every upstream failure, in one place: error bodies and statuses, in-band stream errors, network
// faults and timeouts -> one actionable sentence; and which of them are worth a retry. Bodies are parsed
// defensively: OpenRouter's {error:{code,message,metadata}}, Mistral's {message (maybe an object), type, code},
// FastAPI's {detail}, HTML.
import type { Target } from './types.js';

export const RETRYABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504, 524, 529]);

export interface ParsedError {
  message: string;
  code?: string | number;
  type?: string;
  errorType?: string;
  raw?: string;
  reasons?: string[];
  fields: string[];
  availability?: { retryable?: boolean; retry_after?: number; fallback_models?: string[]; code?: unknown };
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function clip(s: string, n = 300): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n)}…` : t;
}

function stringify(x: unknown): string {
  if (typeof x === 'string') return x;
  try {
    return JSON.stringify(x) ?? String(x);
  } catch {
    return String(x);
  }
}

/** FastAPI/pydantic validation details: [{loc:[...], type, msg}] -> "messages.0.name (extra_forbidden: ...)". */
function fieldsOf(detail: unknown): string[] {
  if (!Array.isArray(detail)) return [];
  return detail.filter(isObj).map((d) => {
    const loc = Array.isArray(d.loc) ? d.loc.filter((p) => p !== 'body').join('.') : '';
    const why = [d.type, d.msg].filter((x) => typeof x === 'string').join(': ');
    return `${loc || '(body)'}${why ? ` (${why})` : ''}`;
  });
}

/** Parses an error body of any shape; never throws. */
export function parseErrorBody(text: string): ParsedError {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const out: ParsedError = { message: '', fields: [] };
  if (isObj(doc)) {
    const err = doc.error;
    if (isObj(err)) {
      out.code = typeof err.code === 'number' || typeof err.code === 'string' ? err.code : undefined;
      if (err.message !== undefined) out.message = stringify(err.message);
      if (typeof err.type === 'string') out.type = err.type;
      const meta = isObj(err.metadata) ? err.metadata : undefined;
      if (meta) {
        if (typeof meta.error_type === 'string') out.errorType = meta.error_type;
        if (meta.raw !== undefined) out.raw = clip(stringify(meta.raw));
        if (Array.isArray(meta.reasons)) out.reasons = meta.reasons.map(stringify);
        if (isObj(meta.availability)) out.availability = meta.availability as ParsedError['availability'];
      }
      if (isObj(err.availability)) out.availability = err.availability as ParsedError['availability'];
    } else if (typeof err === 'string') {
      out.message = err;
    }
    if (isObj(doc.availability)) out.availability = doc.availability as ParsedError['availability'];
    if (!out.message && doc.message !== undefined) {
      out.message = stringify(doc.message);
      if (isObj(doc.message)) out.fields.push(...fieldsOf(doc.message.detail));
    }
    if (typeof doc.type === 'string') out.type ??= doc.type;
    if (out.code === undefined && (typeof doc.code === 'string' || typeof doc.code === 'number')) out.code = doc.code;
    if (doc.detail !== undefined) {
      out.fields.push(...fieldsOf(doc.detail));
      if (!out.message) out.message = typeof doc.detail === 'string' ? doc.detail : out.fields.join('; ') || stringify(doc.detail);
    }
  }
  if (!out.message) {
    // HTML pages (a 413 from a proxy) or plain text: the first 200 bytes, tags stripped.
    const plain = Buffer.from(text.replace(/<[^>]*>/g, ' '), 'utf8')
      .subarray(0, 200)
      .toString('utf8')
      .replace(/\uFFFD$/, '');
    out.message = clip(plain, 200) || 'no details in the response body';
  }
  out.message = clip(out.message);
  return out;
}

/** Retry-After: delta-seconds or an HTTP date, in ms (never negative); undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined) return undefined;
  const t = v.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
  const at = Date.parse(t);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export interface HttpErrorContext {
  target: Target;
  maxTokens: number;
  images: readonly { label: string; bytes?: number }[];
  rateLimit?: string;
}

/** The sentence for an HTTP error status; retry counts are added by the caller. */
export function describeHttpError(status: number, e: ParsedError, ctx: HttpErrorContext): string {
  const who = ctx.target.label;
  const reason = e.message + (e.raw && !e.message.includes(e.raw) ? ` (provider said: ${e.raw})` : '');
  if (ctx.target.provider === 'mistral' && (e.type === 'invalid_model' || /invalid[_ ]model/i.test(e.message))) {
    return "Mistral's API no longer serves Small 3.1; use OpenRouter or a self-hosted endpoint (mistral-small-2503 was retired: set OPENROUTER_API_KEY, or PASSPORT_MCP_LLM_BASE_URL for vLLM, llama.cpp or Ollama)";
  }
  switch (status) {
    case 401:
      return ctx.target.apiKey
        ? `${who} rejected the API key (401: ${reason}). Check ${ctx.target.keyEnv} in the server's environment`
        : `${who} wants an API key (401: ${reason}), and none is set. Set ${ctx.target.keyEnv} in the server's environment`;
    case 402:
      return `${who} refused the call for lack of credits (402: ${reason}). Add credits, or lower max_tokens (this call asked for ${ctx.maxTokens})`;
    case 403:
      return `${who} refused the call (403: ${e.reasons?.length ? e.reasons.join('; ') : reason})`;
    case 404: {
      const fb = e.availability?.fallback_models?.length ? ` Models that could serve instead: ${e.availability.fallback_models.join(', ')}.` : '';
      const hint =
        ctx.target.provider === 'openrouter' && (e.errorType === 'constraint_filtered' || /require_parameters|constraint/i.test(e.message))
          ? ' No provider supports every parameter sent (stop or response_format); drop them and retry.'
          : '';
      return `${who} could not find a way to serve ${ctx.target.model} (404: ${reason}).${hint}${fb}`;
    }
    case 413: {
      const big = [...ctx.images].filter((i) => i.bytes !== undefined).sort((a, b) => b.bytes! - a.bytes!)[0];
      const which = big
        ? ` The largest image is ${big.label} at ${big.bytes! < 1024 * 1024 ? `${Math.max(1, Math.round(big.bytes! / 1024))} KB` : `${(big.bytes! / 1024 / 1024).toFixed(1)} MB`}; send it smaller, or shorten the prompt.`
        : ' Shorten the prompt or send smaller images.';
      return `${who} says the request is too large (413: ${reason}).${which}`;
    }
    case 422:
      return `${who} rejected a field (422: ${e.fields.length ? e.fields.join('; ') : reason})`;
    case 429:
      return `${who} rate-limited the call (429: ${reason})${ctx.rateLimit ? ` [${ctx.rateLimit}]` : ''}`;
    case 400:
      return `${who} rejected the request (400: ${reason})`;
    default:
      return `${who} failed (${status}: ${reason})`;
  }
}

const RATE_LIMIT_HEADERS = [
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'x-ratelimit-remaining-req-minute',
  'x-ratelimit-remaining-tokens-minute',
];

export type Headers = Record<string, string | string[] | undefined>;

export function headerValue(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** "x-ratelimit-remaining: 0, ..." from the response headers, or undefined when none are set. */
export function rateLimitSummary(h: Headers): string | undefined {
  const parts = RATE_LIMIT_HEADERS.filter((k) => headerValue(h, k) !== undefined).map((k) => `${k}: ${headerValue(h, k)}`);
  return parts.length ? parts.join(', ') : undefined;
}

/** An HTTP error answer: its sentence, whether a retry may help, and how long the upstream asked us to wait. */
export function classifyHttpError(status: number, h: Headers, bodyText: string, ctx: Omit<HttpErrorContext, 'rateLimit'>, now = Date.now()) {
  const parsed = parseErrorBody(bodyText);
  const message = describeHttpError(status, parsed, { ...ctx, rateLimit: rateLimitSummary(h) });
  let retryAfterMs = parseRetryAfter(h['retry-after'], now);
  if (retryAfterMs === undefined && typeof parsed.availability?.retry_after === 'number') retryAfterMs = parsed.availability.retry_after * 1000;
  const retryable = RETRYABLE_STATUSES.has(status) || (status === 404 && parsed.availability?.retryable === true);
  return { message, retryable, retryAfterMs };
}

/** Whether an in-band error code (number, "429", "rate_limited", "server_error"...) is worth a retry. */
export function inBandRetryable(code: unknown, parsed: ParsedError): boolean {
  if (typeof code === 'number') return RETRYABLE_STATUSES.has(code);
  const s = `${typeof code === 'string' ? code : ''} ${parsed.errorType ?? ''}`.toLowerCase();
  if (/^\s*\d+\s*$/.test(s.split(' ')[0] ?? '') && RETRYABLE_STATUSES.has(Number(s.split(' ')[0]))) return true;
  return /rate|overload|unavailable|timeout|server_error|capacity|disconnect/.test(s);
}

/** An error inside a 200 stream: "OpenRouter reported an error in the stream (502, provider_unavailable): ...". */
export function describeStreamError(label: string, code: unknown, p: ParsedError): string {
  const codeText = code !== undefined ? ` (${String(code)}${p.errorType ? `, ${p.errorType}` : ''})` : '';
  return `${label} reported an error in the stream${codeText}: ${p.message}${p.raw ? ` (provider said: ${p.raw})` : ''}`;
}

/** An error in a one-piece JSON answer (a server that ignored stream:true). */
export function describeCompletionError(label: string, p: ParsedError): string {
  return `${label} reported an error: ${p.message}`;
}

export const NETWORK_HINT = 'check the base URL and the network';

/** A transport fault (refused, DNS, reset, connect timeout) as a sentence naming the upstream's origin. */
export function describeNetwork(err: unknown, target: Pick<Target, 'label' | 'baseUrl'>): string {
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
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? 'host not found'
        : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET'
          ? 'the connection was reset'
          : code === 'UND_ERR_CONNECT_TIMEOUT'
            ? 'the connection timed out'
            : (code ?? e?.message ?? 'network error');
  return `could not complete the call to ${target.label} at ${origin}: ${what}`;
}

const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`;

/** The timeouts' sentences. */
export const TIMEOUT_WORDING = {
  total: (ms: number) => `the call took longer than its ${secs(ms)} budget`,
  firstToken: (label: string, ms: number) => `${label} sent no token within ${secs(ms)} (keep-alive comments do not count)`,
  idle: (label: string, ms: number) => `${label} stalled: nothing for ${secs(ms)} after the last token`,
};

export const CANCELLED_MESSAGE = 'the client cancelled the call; the upstream request was aborted';

/** The last words of a failed call: retries made, the network hint, what happens to streamed text. */
export function finalWording(message: string, o: { retries: number; network: boolean; streamed: boolean; extra?: string }): string {
  const retried = o.retries ? ` Retried ${o.retries} time${o.retries === 1 ? '' : 's'}.` : '';
  let msg = message + (message.endsWith('.') ? '' : '.') + retried + (o.extra ?? '');
  if (o.network && !o.streamed) msg += ` (${NETWORK_HINT})`;
  if (o.streamed) msg += ' The text streamed so far is returned, marked incomplete.';
  return msg;
}
