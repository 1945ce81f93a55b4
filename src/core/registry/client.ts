// The typed registry client: POST /resolve and GET /passport/{slug} over the one HTTP exchange (http.ts), with the
// registry's rate limit honoured for every request. A 429 opens a window (Retry-After, seconds or an HTTP date;
// 60 s when absent, the registry's documented per-minute window) during which no request is sent at all: callers
// get a `rate_limited` fault at once. Faults never throw out of `resolve`: it returns a status the federation
// reports as `registry.status`. Everything returned is untrusted input; entries are parsed, not validated (the
// passport loader does that).
import { isObject } from '../passport/envelope.js';
import { parseStrictJson } from '../strict-json.js';
import { createRegistryHttp, isJsonType, RegistryFault, type RegistryExchange, type RegistryRequest, type RegistryResponse } from './http.js';

/** The /resolve body cap (CONTRACT: 16 MiB). */
export const MAX_RESOLVE_BYTES = 16 * 1024 * 1024;
/** The registry's documented window when a 429 names none. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;
/** A hostile Retry-After must not silence the registry for the life of the process. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** Entries read from one /resolve answer; the rest are ignored. */
export const MAX_RESOLVE_ENTRIES = 100;
export const MAX_RESOLVE_LIMIT = 50;

export interface RegistryClientOptions {
  baseUrl: string;
  apiKey?: string;
  userAgent?: string;
  /** The deadline for one whole exchange (--registry-timeout). */
  timeoutMs: number;
  /** Injectable clock (tests: the Retry-After window without sleeping). */
  now?: () => number;
  /** An exchange to use instead of undici (tests). */
  http?: RegistryExchange;
}

/** One /resolve entry as the registry sent it (fields may be missing, null or of the wrong type). */
export interface ResolveEntry {
  /** Position in `resolved`, for messages. */
  index: number;
  slug?: string;
  capabilityId?: string;
  capabilityName?: string;
  /** The `trust` object: a bare passport ({unfragile, signature, signedAt, signedBy, version, verified}). */
  trust?: Record<string, unknown>;
  matchConfidence?: number;
  why?: string;
}

export type ResolveOutcome =
  { status: 'ok'; entries: ResolveEntry[]; resolveId?: string; detail?: string } | { status: 'timeout' | 'rate_limited' | 'error'; detail: string };

export interface RegistryClient {
  /** The rate-limited exchange: every registry request (resolve, passports) goes through it. */
  exchange: RegistryExchange;
  resolve(intent: string, limit: number, signal?: AbortSignal): Promise<ResolveOutcome>;
  /** Epoch ms until which no request is sent (0 when none). */
  blockedUntil(): number;
}

export function createRegistryClient(opts: RegistryClientOptions): RegistryClient {
  const now = opts.now ?? Date.now;
  const raw = opts.http ?? createRegistryHttp({ baseUrl: opts.baseUrl, apiKey: opts.apiKey, userAgent: opts.userAgent });
  // Per client (one per app), not module state: two apps in one process have their own windows.
  let blocked = 0;

  const exchange: RegistryExchange = async (req: RegistryRequest): Promise<RegistryResponse> => {
    const left = blocked - now();
    // Security/etiquette: inside the window nothing is sent, not even a probe.
    if (left > 0) throw new RegistryFault('rate_limited', `the registry asked us to wait (HTTP 429); ${Math.ceil(left / 1000)} s left`);
    const res = await raw(req);
    if (res.status === 429) {
      const wait = retryAfterMs(res.headers['retry-after'], now());
      blocked = now() + wait;
      throw new RegistryFault('rate_limited', `the registry is rate-limiting this client (HTTP 429); next request in ${Math.ceil(wait / 1000)} s`);
    }
    return res;
  };

  return {
    exchange,
    blockedUntil: () => (blocked > now() ? blocked : 0),
    async resolve(intent, limit, signal) {
      let res: RegistryResponse;
      try {
        res = await exchange({
          method: 'POST',
          path: 'resolve',
          json: { intent, limit: Math.max(1, Math.min(MAX_RESOLVE_LIMIT, Math.floor(limit))) },
          signal,
          timeoutMs: opts.timeoutMs,
          maxBytes: MAX_RESOLVE_BYTES,
        });
      } catch (err) {
        if (err instanceof RegistryFault) {
          return { status: err.kind === 'timeout' ? 'timeout' : err.kind === 'rate_limited' ? 'rate_limited' : 'error', detail: err.message };
        }
        return { status: 'error', detail: `registry request failed: ${(err as Error).message}` };
      }
      return parseResolveResponse(res);
    },
  };
}

/** Retry-After: delta-seconds or an HTTP date; bounded to [1 s, 1 h]; absent or unreadable: 60 s. */
export function retryAfterMs(header: string | string[] | undefined, nowMs: number): number {
  const v = (Array.isArray(header) ? header[0] : header)?.trim();
  let ms = DEFAULT_RETRY_AFTER_MS;
  if (v && /^\d{1,10}$/.test(v)) ms = Number(v) * 1000;
  else if (v && /^[A-Za-z]{3}, /.test(v)) {
    // An HTTP date (IMF-fixdate); anything else (negative numbers, junk) means the default.
    const t = Date.parse(v);
    if (!Number.isNaN(t)) ms = t - nowMs;
  }
  return Math.max(1000, Math.min(MAX_RETRY_AFTER_MS, ms));
}

/** A /resolve HTTP answer -> entries, or the status that explains why there are none. */
export function parseResolveResponse(res: RegistryResponse): ResolveOutcome {
  if (res.status !== 200) {
    return { status: 'error', detail: `registry answered HTTP ${res.status}${errorText(res)}` };
  }
  const type = res.headers['content-type'];
  if (!isJsonType(type)) return { status: 'error', detail: `registry answered with ${String(type ?? 'no content type').slice(0, 60)}, not JSON` };
  let doc: unknown;
  try {
    doc = parseStrictJson(res.text, { maxBytes: MAX_RESOLVE_BYTES });
  } catch (err) {
    return { status: 'error', detail: `registry answer is not usable JSON: ${(err as Error).message.slice(0, 200)}` };
  }
  if (!isObject(doc) || !Array.isArray(doc.resolved)) {
    return { status: 'error', detail: 'registry answer has no "resolved" list' };
  }
  const entries: ResolveEntry[] = [];
  const skipped: string[] = [];
  doc.resolved.slice(0, MAX_RESOLVE_ENTRIES).forEach((e: unknown, index: number) => {
    if (!isObject(e)) {
      skipped.push(`#${index} (not an object)`);
      return;
    }
    const artifact = isObject(e.artifact) ? e.artifact : undefined;
    const cap = isObject(e.capability) ? e.capability : undefined;
    const trust = isObject(e.trust) ? e.trust : undefined;
    const tArtifact = trust && isObject(trust.unfragile) && isObject(trust.unfragile.artifact) ? trust.unfragile.artifact : undefined;
    const slug = str(artifact?.slug) ?? str(tArtifact?.slug);
    entries.push({
      index,
      slug,
      capabilityId: str(cap?.id),
      capabilityName: str(cap?.name),
      trust,
      matchConfidence: typeof e.matchConfidence === 'number' && Number.isFinite(e.matchConfidence) ? e.matchConfidence : undefined,
      why: str(cap?.whyThisMatches) ?? str(cap?.why_this_matches),
    });
  });
  const resolveId = str(doc.resolveId) ?? str(doc.resolve_id);
  return { status: 'ok', entries, resolveId: resolveId?.slice(0, 200), detail: skipped.length ? `ignored entries ${skipped.join(', ')}` : undefined };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 && v.length <= 4096 ? v : undefined;
}

function errorText(res: RegistryResponse): string {
  if (!isJsonType(res.headers['content-type'])) return '';
  try {
    const d = JSON.parse(res.text.slice(0, 4096)) as unknown;
    // The registry's documented error body: { "error": "message" }.
    if (isObject(d) && typeof d.error === 'string') return `: ${d.error.slice(0, 200)}`;
  } catch {
    /* not JSON after all: the status says enough */
  }
  return '';
}
