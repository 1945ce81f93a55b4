// The passport envelope, without the schema: small enough for verification worker threads to import.
// Knows every shape the registry really writes: the signed envelope `{ passport: {...}, _links }`, the older
// unsigned `{ unfragile, _links }`, a bare passport object, and a /resolve entry's `trust` object.

/** Unwraps the registry envelope (`{ passport: {...}, _links }`) or returns the bare passport object. */
export function unwrapPassport(doc: unknown): Record<string, unknown> | undefined {
  if (!isObject(doc)) return undefined;
  // Both shapes must hold an `unfragile` object; an envelope around anything else is not a passport.
  if (isObject(doc.passport)) return isObject(doc.passport.unfragile) ? doc.passport : undefined;
  if (isObject(doc.unfragile)) return doc;
  return undefined;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Canonical base64 of exactly 64 bytes: 86 characters and "==". The last data character must leave the unused
// low bits zero, which the round-trip check below enforces.
const SIG_B64 = /^[A-Za-z0-9+/]{86}==$/;

/** The 64 signature bytes, or undefined unless `sig` is canonical standard base64 of exactly 64 bytes. */
export function decodeSignature(sig: string): Buffer | undefined {
  // Security: Buffer.from(s, 'base64') accepts junk and the URL-safe alphabet; accept only canonical base64.
  if (!SIG_B64.test(sig)) return undefined;
  const bytes = Buffer.from(sig, 'base64');
  if (bytes.length !== 64 || bytes.toString('base64') !== sig) return undefined;
  return bytes;
}

/**
 * A copy of `value` without `null`: an object member whose value is null is left out, a null array element is
 * dropped. The registry writes `null` for "not known" (free artifacts' prices, stars, dates, optional lists);
 * the parsed view treats that as absent so no consumer ever sees `null`. Subtrees without a null are shared,
 * not copied. Objects deeper than `maxDepth` throw (documents parsed from text are already bounded; this bounds
 * objects built elsewhere too). Never used on what is verified: the raw object stays exactly as signed.
 */
export function withoutNulls(value: unknown, maxDepth = 64): unknown {
  return strip(value, maxDepth);
}

function strip(v: unknown, depthLeft: number): unknown {
  if (typeof v !== 'object' || v === null) return v;
  // Security: bound recursion so a hostile object cannot exhaust the stack.
  if (depthLeft <= 0) throw new RangeError('nesting is too deep');
  if (Array.isArray(v)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < v.length; i++) {
      const item = v[i];
      const s = item === null ? undefined : strip(item, depthLeft - 1);
      if (out) {
        if (item !== null) out.push(s);
      } else if (item === null || s !== item) {
        out = v.slice(0, i);
        if (item !== null) out.push(s);
      }
    }
    return out ?? v;
  }
  const obj = v as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(obj);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const item = obj[k];
    const s = item === null ? undefined : strip(item, depthLeft - 1);
    if (!out && (item === null || s !== item)) {
      out = {};
      for (let j = 0; j < i; j++) define(out, keys[j]!, obj[keys[j]!]);
    }
    if (out && item !== null) define(out, k, s);
  }
  return out ?? v;
}

function define(o: Record<string, unknown>, k: string, v: unknown): void {
  // Security: "__proto__" from JSON.parse is an own data property; keep it one (no prototype change).
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}
