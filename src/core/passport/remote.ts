// Fetching a passport from the registry: GET {base}/passport/{slug} with undici, a timeout, a body cap,
// redirects followed by hand (at most 3, same host, never https -> http), validated exactly like a file.
import { PassportError } from '../errors.js';
import { MAX_DOCUMENT_BYTES } from '../strict-json.js';
import { parsePassportText } from './load.js';
import { SLUG_PATTERN, type LoadedPassport } from './schema.js';

export interface RemoteOptions {
  baseUrl: string;
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  userAgent?: string;
}


export function createRegistryFetcher(opts: RemoteOptions) {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? MAX_DOCUMENT_BYTES;
  const maxRedirects = opts.maxRedirects ?? 3;
  const base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : `${opts.baseUrl}/`);

  return async function fetchPassport(slug: string, signal?: AbortSignal): Promise<LoadedPassport> {
    if (!SLUG_PATTERN.test(slug)) throw new PassportError(`"${slug.slice(0, 60)}" is not a valid passport slug`);
    const { request } = await import('undici');
    let url = new URL(`passport/${encodeURIComponent(slug)}`, base);
    const timeout = AbortSignal.timeout(timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    for (let hop = 0; ; hop++) {
      let res;
      try {
        res = await request(url, {
          method: 'GET',
          headers: { accept: 'application/json', 'user-agent': opts.userAgent ?? 'passport-mcp' },
          signal: combined,
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
        });
      } catch (err) {
        if (timeout.aborted) throw new PassportError(`registry did not answer within ${timeoutMs} ms (${url.host})`);
        if (signal?.aborted) throw new PassportError('registry fetch cancelled');
        throw new PassportError(`registry unreachable (${url.host}): ${(err as Error).message}`);
      }
      if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
        await res.body.dump().catch(() => undefined);
        if (hop >= maxRedirects) throw new PassportError(`registry redirected more than ${maxRedirects} times`);
        const next = new URL(String(res.headers.location), url);
        // Security: a redirect must not leave the registry's host or downgrade to plain HTTP.
        if (next.host !== url.host) throw new PassportError(`registry redirected to another host (${next.host}); refused`);
        if (url.protocol === 'https:' && next.protocol !== 'https:') throw new PassportError('registry redirected from https to http; refused');
        url = next;
        continue;
      }
      if (res.statusCode === 404) {
        await res.body.dump().catch(() => undefined);
        throw new PassportError(`the registry has no passport "${slug}"`);
      }
      if (res.statusCode !== 200) {
        await res.body.dump().catch(() => undefined);
        throw new PassportError(`registry answered HTTP ${res.statusCode} for "${slug}"`);
      }
      const type = String(res.headers['content-type'] ?? '');
      if (!/^application\/([a-z.+-]*\+)?json\b/i.test(type)) {
        await res.body.dump().catch(() => undefined);
        throw new PassportError(`registry answered with ${type || 'no content type'}, not JSON`);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        await res.body.dump().catch(() => undefined);
        throw new PassportError(`registry passport is ${declared} bytes, over the ${maxBytes}-byte limit`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      try {
        for await (const chunk of res.body) {
          size += (chunk as Buffer).length;
          // Security: stop reading as soon as the cap is passed, whatever Content-Length said.
          if (size > maxBytes) {
            res.body.destroy();
            throw new PassportError(`registry passport is over the ${maxBytes}-byte limit`);
          }
          chunks.push(chunk as Buffer);
        }
      } catch (err) {
        if (err instanceof PassportError) throw err;
        if (timeout.aborted) throw new PassportError(`registry body did not arrive within ${timeoutMs} ms`);
        throw new PassportError(`registry body failed: ${(err as Error).message}`);
      }
      const { passports, problems } = parsePassportText(Buffer.concat(chunks).toString('utf8'), url.href, maxBytes);
      if (problems.length || passports.length !== 1) {
        throw new PassportError(`registry passport for "${slug}" is invalid: ${problems[0]?.message ?? 'expected exactly one passport'}`);
      }
      const p = passports[0]!;
      if (p.slug !== slug) throw new PassportError(`registry returned passport "${p.slug}" when asked for "${slug}"`);
      return p;
    }
  };
}
