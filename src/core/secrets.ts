// Secret scrubbing: every message that leaves the process (tool results, logs, progress) passes through a
// scrubber that knows the configured API keys. Upstreams sometimes echo the request (headers included) back.

export type Scrubber = (text: string) => string;

/** A scrubber for these secrets; short values (< 8 chars) are ignored to avoid mangling ordinary words. */
export function createScrubber(secrets: readonly (string | undefined)[]): Scrubber {
  const list = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8))].sort((a, b) => b.length - a.length);
  const bearer = /(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
  return (text: string) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join('[redacted]');
    // Security: whatever key an upstream echoes, an Authorization value never leaves the process.
    return out.replace(bearer, '$1[redacted]');
  };
}

/** Scrubs every string inside a JSON value (object keys included), returning a new value. */
export function scrubDeep<T>(value: T, scrub: Scrubber): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, scrub(k), { value: scrubDeep(v, scrub), enumerable: true, writable: true, configurable: true });
    return out as T;
  }
  return value;
}
