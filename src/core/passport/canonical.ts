// RFC 8785 (JCS) canonical JSON, through the `canonicalize` package written by the RFC's authors: it sorts keys
// by UTF-16 code units, serialises numbers the ECMAScript way and refuses lone surrogates, NaN and Infinity.
import canonicalizeImpl from 'canonicalize';

const canonicalize = canonicalizeImpl as unknown as (value: unknown) => string | undefined;

export class CanonicalizationError extends Error {}

/** Canonical UTF-8 bytes of `value`; throws CanonicalizationError for values JCS cannot represent. */
export function canonicalBytes(value: unknown): Buffer {
  let text: string | undefined;
  try {
    text = canonicalize(value);
  } catch (err) {
    throw new CanonicalizationError((err as Error).message);
  }
  if (text === undefined) throw new CanonicalizationError('value has no JSON form');
  return Buffer.from(text, 'utf8');
}
