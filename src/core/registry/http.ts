// One HTTP exchange with the passport registry: undici, a deadline over the whole exchange, a capped body read,
// redirects followed by hand (same host only, never https -> http), the API key on every request. Every fault
// is a RegistryFault with a `kind` the callers turn into a status or a message; any HTTP status is returned
// as it is (callers decide what 404, 429 or 5xx mean). Everything returned is untrusted input.
import { PassportError } from '../errors.js';

export interface RegistryHttpOptions {
  /** API base, e.g. https://unfragile.ai/api/v1 */
  baseUrl: string;
  /** `PASSPORT_MCP_REGISTRY_API_KEY`: sent as `Authorization: Bearer`. */
  apiKey?: string;
  userAgent?: string;
  maxRedirects?: number;
}

export interface RegistryRequest {
  method?: 'GET' | 'POST';
  /** Relative to the base, e.g. `passport/some-slug` or `resolve` (no leading slash). */
  path: string;
  query?: Record<string, string | number | undefined>;
  /** JSON body for POST. */
  json?: unknown;
  signal?: AbortSignal;
  /** The deadline for the whole exchange: connect, headers, redirects and body. */
  timeoutMs: number;
  /** The body cap in bytes; a longer body is a `too_large` fault, read no further. */
  maxBytes: number;
  accept?: string;
}

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The final URL after redirects. */
  url: URL;
  /** The body as UTF-8 text (at most maxBytes bytes). */
  text: string;
}

/** `rate_limited`: refused before sending, inside a 429's Retry-After window (registry/client.ts). */
export type RegistryFaultKind = 'timeout' | 'cancelled' | 'unreachable' | 'too_large' | 'redirect' | 'body' | 'rate_limited';

export class RegistryFault extends PassportError {
  constructor(
    readonly kind: RegistryFaultKind,
    message: string,
  ) {
    super(message);
  }
}

export type RegistryExchange = (req: RegistryRequest) => Promise<RegistryResponse>;

export function createRegistryHttp(opts: RegistryHttpOptions): RegistryExchange {
  const maxRedirects = opts.maxRedirects ?? 3;
  const base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);

  return async function exchange(req: RegistryRequest): Promise<RegistryResponse> {
    const { request } = await import('undici');
    let url = new URL(req.path, base);
    for (const [k, v] of Object.entries(req.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const timeout = AbortSignal.timeout(req.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    const headers: Record<string, string> = { accept: req.accept ?? 'application/json', 'user-agent': opts.userAgent ?? 'passport-mcp' };
    // Security: the key goes only to the registry's own host (redirects elsewhere are refused below).
    if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
    const body = req.json === undefined ? undefined : JSON.stringify(req.json);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const fault = (err: unknown, during: string): RegistryFault => {
      if (err instanceof RegistryFault) return err;
      if (timeout.aborted) return new RegistryFault('timeout', `registry did not answer within ${req.timeoutMs} ms (${url.host})`);
      if (req.signal?.aborted) return new RegistryFault('cancelled', 'registry request cancelled');
      return new RegistryFault(
        during === 'connect' ? 'unreachable' : 'body',
        `registry ${during === 'connect' ? 'unreachable' : 'body failed'} (${url.host}): ${(err as Error).message}`,
      );
    };
    for (let hop = 0; ; hop++) {
      let res;
      try {
        res = await request(url, {
          method: req.method ?? 'GET',
          headers,
          body,
          signal,
          headersTimeout: req.timeoutMs,
          bodyTimeout: req.timeoutMs,
        });
      } catch (err) {
        throw fault(err, 'connect');
      }
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        await res.body.dump().catch(() => undefined);
        if (hop >= maxRedirects) throw new RegistryFault('redirect', `registry redirected more than ${maxRedirects} times`);
        const next = new URL(String(res.headers.location), url);
        // Security: a redirect must not leave the registry's host or downgrade to plain HTTP.
        if (next.host !== url.host) throw new RegistryFault('redirect', `registry redirected to another host (${next.host}); refused`);
        if (url.protocol === 'https:' && next.protocol !== 'https:') throw new RegistryFault('redirect', 'registry redirected from https to http; refused');
        url = next;
        continue;
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > req.maxBytes) {
        res.body.destroy();
        throw new RegistryFault('too_large', `registry answer is ${declared} bytes, over the ${req.maxBytes}-byte limit`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          // Security: stop reading as soon as the cap is passed, whatever Content-Length said.
          if (size > req.maxBytes) {
            res.body.destroy();
            throw new RegistryFault('too_large', `registry answer is over the ${req.maxBytes}-byte limit`);
          }
          chunks.push(chunk as Buffer);
        }
      } catch (err) {
        throw fault(err, 'body');
      }
      return { status: res.statusCode, headers: res.headers, url, text: Buffer.concat(chunks).toString('utf8') };
    }
  };
}

/** True when a Content-Type header names JSON (application/json or a +json type). */
export function isJsonType(type: unknown): boolean {
  return /^application\/([a-z.+-]*\+)?json\b/i.test(String(type ?? ''));
}
