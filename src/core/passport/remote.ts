// Fetching a passport from the registry: GET {base}/passport/{slug} through the registry's one HTTP exchange
// (registry/http.ts: deadline, body cap, same-host redirects, API key), validated exactly like a file.
import { PassportError } from '../errors.js';
import { createRegistryHttp, isJsonType, type RegistryExchange } from '../registry/http.js';
import { MAX_DOCUMENT_BYTES } from '../strict-json.js';
import { parsePassportText } from './load.js';
import { SLUG_PATTERN, type LoadedPassport } from './schema.js';

export interface RemoteOptions {
  baseUrl: string;
  apiKey?: string;
  timeoutMs?: number;
  maxBytes?: number;
  maxRedirects?: number;
  userAgent?: string;
  /** An exchange to share (its options win over baseUrl/apiKey/userAgent/maxRedirects). */
  http?: RegistryExchange;
}

export function createRegistryFetcher(opts: RemoteOptions) {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? MAX_DOCUMENT_BYTES;
  const exchange = opts.http ?? createRegistryHttp(opts);

  return async function fetchPassport(slug: string, signal?: AbortSignal): Promise<LoadedPassport> {
    if (!SLUG_PATTERN.test(slug)) throw new PassportError(`"${slug.slice(0, 60)}" is not a valid passport slug`);
    const res = await exchange({ path: `passport/${encodeURIComponent(slug)}`, signal, timeoutMs, maxBytes });
    if (res.status === 404) throw new PassportError(`the registry has no passport "${slug}"`);
    if (res.status !== 200) throw new PassportError(`registry answered HTTP ${res.status} for "${slug}"`);
    const type = String(res.headers['content-type'] ?? '');
    if (!isJsonType(type)) throw new PassportError(`registry answered with ${type || 'no content type'}, not JSON`);
    const { passports, problems } = parsePassportText(res.text, res.url.href, maxBytes);
    if (problems.length || passports.length !== 1) {
      throw new PassportError(`registry passport for "${slug}" is invalid: ${problems[0]?.message ?? 'expected exactly one passport'}`);
    }
    const p = passports[0]!;
    if (p.slug !== slug) throw new PassportError(`registry returned passport "${p.slug}" when asked for "${slug}"`);
    return p;
  };
}
