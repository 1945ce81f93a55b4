// Error bodies and statuses -> one actionable sentence. Bodies are parsed defensively: OpenRouter's
// {error:{code,message,metadata}}, Mistral's {message (maybe an object), type, code}, FastAPI's {detail}, HTML.
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
    const plain = Buffer.from(text.replace(/<[^>]*>/g, ' '), 'utf8').subarray(0, 200).toString('utf8').replace(/\uFFFD$/, '');
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
      return `${who} rejected the API key (401: ${reason}). Check ${ctx.target.keyEnv} in the server's environment`;
    case 402:
      return `${who} refused the call for lack of credits (402: ${reason}). Add credits, or lower max_tokens (this call asked for ${ctx.maxTokens})`;
    case 403:
      return `${who} refused the call (403: ${e.reasons?.length ? e.reasons.join('; ') : reason})`;
    case 404: {
      const fb = e.availability?.fallback_models?.length ? ` Models that could serve instead: ${e.availability.fallback_models.join(', ')}.` : '';
      const hint = e.errorType === 'constraint_filtered' || /require_parameters|constraint/i.test(e.message) ? ' No provider supports every parameter sent (stop or response_format); drop them and retry.' : '';
      return `${who} could not find a way to serve ${ctx.target.model} (404: ${reason}).${hint}${fb}`;
    }
    case 413: {
      const big = [...ctx.images].filter((i) => i.bytes !== undefined).sort((a, b) => b.bytes! - a.bytes!)[0];
      const which = big ? ` The largest image is ${big.label} at ${(big.bytes! / 1024 / 1024).toFixed(1)} MB; send it smaller.` : ' Shorten the prompt or send smaller images.';
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
