// RFC 8785 (JCS) canonical JSON of parsed JSON values.
//
// JCS is defined through ECMAScript itself: strings and numbers serialise exactly as JSON.stringify does them,
// and object keys sort by UTF-16 code units, which is what Array.prototype.sort does. So the serialiser below is
// JSON.stringify for every leaf plus sorted keys. It refuses what JCS cannot represent (lone surrogates, NaN,
// Infinity) instead of letting JSON.stringify escape or null them.
//
// Why not the `canonicalize` package (by the RFC's authors) directly: on a 17 KB passport it takes 0.092 ms
// against 0.059 ms here (bench/verify.mjs), and canonicalisation is most of bulk verification's cost. The
// package stays the oracle: test/core/passport/canonical.test.ts checks equality on fixtures and on random
// JSON values (fast-check), including every escape and number edge case.

export class CanonicalizationError extends Error {}

const hasIsWellFormed = typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function wellFormed(s: string): boolean {
  return hasIsWellFormed ? (s as string & { isWellFormed(): boolean }).isWellFormed() : !LONE_SURROGATE.test(s);
}

const MAX_CANONICAL_DEPTH = 256;
/** Characters JSON.stringify would escape; most strings have none and can be quoted as they are. */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

function serialise(v: unknown, depth: number): string {
  switch (typeof v) {
    case 'string':
      if (!wellFormed(v)) throw new CanonicalizationError('lone surrogate in a string');
      return NEEDS_ESCAPE.test(v) ? JSON.stringify(v) : `"${v}"`;
    case 'number':
      if (!Number.isFinite(v)) throw new CanonicalizationError(`${v} is not a JSON number`);
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v === null) return 'null';
      if (depth > MAX_CANONICAL_DEPTH) throw new CanonicalizationError('nested too deeply');
      if (Array.isArray(v)) {
        let out = '[';
        for (let i = 0; i < v.length; i++) {
          if (i) out += ',';
          const x = v[i];
          out += x === undefined || typeof x === 'function' || typeof x === 'symbol' ? 'null' : serialise(x, depth + 1);
        }
        return `${out}]`;
      }
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj).sort();
      let out = '{';
      let first = true;
      for (const k of keys) {
        const x = obj[k];
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        if (!wellFormed(k)) throw new CanonicalizationError('lone surrogate in a key');
        out += `${first ? '' : ','}${NEEDS_ESCAPE.test(k) ? JSON.stringify(k) : `"${k}"`}:${serialise(x, depth + 1)}`;
        first = false;
      }
      return `${out}}`;
    }
    default:
      throw new CanonicalizationError(`a ${typeof v} has no JSON form`);
  }
}

export function canonicalJson(value: unknown): string {
  return serialise(value, 0);
}

/** Canonical UTF-8 bytes of `value`; throws CanonicalizationError for values JCS cannot represent. */
export function canonicalBytes(value: unknown): Buffer {
  return Buffer.from(serialise(value, 0), 'utf8');
}
