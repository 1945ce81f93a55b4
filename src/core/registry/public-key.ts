// The registry's issuer public key, from GET {registry}/trust-passport-public-key. Its format is not documented,
// so every form comparable registries use is accepted (REGISTRY.md): raw 32 bytes as base64 / base64url / hex,
// SPKI as PEM or DER (base64 or hex), a JWK or a JWKS (kty OKP, crv Ed25519), a JSON wrapper holding one of
// these under publicKey / public_key / public_key_pem / public_key_b64 / key / x, or a plain-text body.
// Anything that is not exactly one valid Ed25519 key (noble strict, not small order: passport/trust.ts) is
// refused. Nothing here pins anything: the caller shows the fingerprint and asks.
import { PassportError } from '../errors.js';
import { MAX_DEPTH, parseStrictJson } from '../strict-json.js';
import { SPKI_PREFIX, trustedKeyFromRaw, type TrustedKey } from '../passport/trust.js';
import type { RegistryExchange } from './http.js';

/** A key answer is a few hundred bytes; anything much larger is not a key. */
export const MAX_KEY_BODY_BYTES = 64 * 1024;
export const KEY_PATH = 'trust-passport-public-key';
const WRAPPER_FIELDS = ['publicKey', 'public_key', 'public_key_pem', 'public_key_b64', 'key', 'x'] as const;
const MAX_JWKS_KEYS = 64;

/** A key the registry served that cannot be used; the message says why. */
export class PublicKeyError extends PassportError {}

export interface FetchedKey {
  key: TrustedKey;
  /** The URL the key was finally read from (after same-host redirects). */
  origin: string;
  /** An issuer the answer names itself (`issuer`, `signedBy` or `iss`), when it does. */
  namedIssuer?: string;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
const HEX_DER = /^[0-9a-fA-F]{88}$/;
const B64_RAW = /^[A-Za-z0-9+/]{43}=?$/;
const B64URL_RAW = /^[A-Za-z0-9_-]{43}$/;
const B64_DER = /^[A-Za-z0-9+/]{59}=?$/;
const B64URL_DER = /^[A-Za-z0-9_-]{59}$/;
const PEM = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

function canonical(bytes: Buffer, text: string, enc: BufferEncoding): Buffer | undefined {
  // Security: Buffer.from ignores junk and non-zero padding bits; accept only text that round-trips exactly
  // (padding aside, which base64 writers disagree on).
  return bytes.toString(enc).replace(/=+$/, '') === text.replace(/=+$/, '') ? bytes : undefined;
}

function fromDer(der: Buffer): Uint8Array {
  // Security: exactly SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING (32 bytes) } and nothing after it.
  if (der.length !== 44 || !der.subarray(0, 12).equals(SPKI_PREFIX))
    throw new PublicKeyError('the DER key is not an Ed25519 SubjectPublicKeyInfo (prefix 302a300506032b6570032100, 44 bytes)');
  return new Uint8Array(der.subarray(12));
}

/** One key in a textual form: PEM, hex, base64 or base64url of the raw key or of its DER. */
function fromText(input: string): Uint8Array {
  const t = input.trim();
  if (t.includes('-----BEGIN')) {
    const blocks = [...t.matchAll(PEM)];
    if (blocks.length !== 1) throw new PublicKeyError(`expected exactly one PEM block, found ${blocks.length}`);
    const [whole, label, body] = blocks[0]!;
    if (t.replace(whole, '').trim()) throw new PublicKeyError('text outside the PEM block');
    if (label !== 'PUBLIC KEY') throw new PublicKeyError(`a PEM "${label}" block is not a public key (expected "PUBLIC KEY")`);
    const b64 = body!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new PublicKeyError('the PEM block is not base64');
    return fromDer(Buffer.from(b64, 'base64'));
  }
  if (HEX64.test(t)) return new Uint8Array(Buffer.from(t, 'hex'));
  if (HEX_DER.test(t)) return fromDer(Buffer.from(t, 'hex'));
  for (const [re, enc, der] of [
    [B64_RAW, 'base64', false],
    [B64URL_RAW, 'base64url', false],
    [B64_DER, 'base64', true],
    [B64URL_DER, 'base64url', true],
  ] as const) {
    if (!re.test(t)) continue;
    const bytes = canonical(Buffer.from(t, enc), t, enc);
    if (!bytes) throw new PublicKeyError('the key text is not canonical base64');
    return der ? fromDer(bytes) : new Uint8Array(bytes);
  }
  throw new PublicKeyError(
    'not a recognised key form: expected 32 raw bytes as base64, base64url or hex, an SPKI PEM or DER, a JWK or JWKS, or JSON holding one of these',
  );
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fromJwk(jwk: Record<string, unknown>): Uint8Array {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519')
    throw new PublicKeyError(`the JWK is not an Ed25519 key (kty ${String(jwk.kty)}, crv ${String(jwk.crv)}); expected kty OKP, crv Ed25519`);
  // Security: a JWK carrying "d" is a private key: a registry that publishes it has leaked it; trust nothing of it.
  if ('d' in jwk) throw new PublicKeyError('the JWK holds a private key ("d"); refused');
  if (jwk.use !== undefined && jwk.use !== 'sig') throw new PublicKeyError(`the JWK is for "${String(jwk.use)}", not signatures`);
  if (typeof jwk.x !== 'string' || !B64URL_RAW.test(jwk.x))
    throw new PublicKeyError('the JWK "x" must be the 32-byte key in base64url (43 characters, no padding)');
  const bytes = canonical(Buffer.from(jwk.x, 'base64url'), jwk.x, 'base64url');
  if (!bytes) throw new PublicKeyError('the JWK "x" is not canonical base64url');
  return new Uint8Array(bytes);
}

/** Every key a JSON value names, deduplicated by the caller; throws on any form it cannot read. */
function keysInJson(v: unknown, depth: number): Uint8Array[] {
  if (depth > 4) throw new PublicKeyError('the key answer nests too deeply');
  if (typeof v === 'string') return [fromText(v)];
  if (Array.isArray(v)) throw new PublicKeyError('the key answer is a JSON array; expected one key');
  if (!isObj(v)) throw new PublicKeyError('the key answer is not a key');
  if (Array.isArray(v.keys)) {
    if (v.keys.length > MAX_JWKS_KEYS) throw new PublicKeyError(`the JWKS holds ${v.keys.length} keys`);
    // A JWKS may list keys of other types; only its Ed25519 signing keys count.
    return v.keys.filter((k): k is Record<string, unknown> => isObj(k) && k.kty === 'OKP' && k.crv === 'Ed25519').map(fromJwk);
  }
  if (v.kty !== undefined) return [fromJwk(v)];
  const alg = v.algorithm ?? v.alg ?? v.type;
  if (typeof alg === 'string' && !/^(ed25519|eddsa|okp)$/i.test(alg))
    throw new PublicKeyError(`the key answer says its algorithm is "${alg.slice(0, 40)}", not Ed25519`);
  const found = WRAPPER_FIELDS.filter((f) => v[f] !== undefined && v[f] !== null);
  if (!found.length) throw new PublicKeyError(`the JSON answer holds no key (looked for ${WRAPPER_FIELDS.join(', ')}, a JWK or a JWKS)`);
  return found.flatMap((f) => keysInJson(v[f], depth + 1));
}

function namedIssuerOf(doc: unknown): string | undefined {
  if (!isObj(doc)) return undefined;
  const v = doc.issuer ?? doc.signedBy ?? doc.iss;
  return typeof v === 'string' ? v : undefined;
}

/**
 * Parses a key answer's body into exactly one validated Ed25519 key for `issuer`. JSON is recognised by its
 * content (a `{` or `"` first), whatever the content type says, since key endpoints often serve text/plain.
 * Throws PublicKeyError (or ConfigError from the point checks).
 */
export function parsePublicKeyBody(body: string, issuer: string): { key: TrustedKey; namedIssuer?: string } {
  const text = body.replace(/^\uFEFF/, '').trim();
  if (!text) throw new PublicKeyError('the key answer is empty');
  if (/^<(!doctype|html)/i.test(text)) throw new PublicKeyError('the key answer is an HTML page, not a key');
  let raws: Uint8Array[];
  let namedIssuer: string | undefined;
  if (/^[{["]/.test(text)) {
    let doc: unknown;
    try {
      doc = parseStrictJson(text, { maxBytes: MAX_KEY_BODY_BYTES, maxDepth: Math.min(MAX_DEPTH, 8) });
    } catch (err) {
      throw new PublicKeyError(`the key answer is not acceptable JSON: ${(err as Error).message}`);
    }
    raws = keysInJson(doc, 0);
    namedIssuer = namedIssuerOf(doc);
  } else {
    raws = [fromText(text)];
  }
  const distinct = [...new Map(raws.map((r) => [Buffer.from(r).toString('hex'), r])).values()];
  if (distinct.length === 0) throw new PublicKeyError('the key answer holds no Ed25519 key');
  // Security: two different keys where one is expected: which one the issuer signs with cannot be known.
  if (distinct.length > 1) throw new PublicKeyError(`the key answer holds ${distinct.length} different Ed25519 keys; expected exactly one`);
  return { key: trustedKeyFromRaw(issuer, distinct[0]!, 'pinned'), ...(namedIssuer !== undefined ? { namedIssuer } : {}) };
}

/** GET {registry}/trust-passport-public-key through the registry's one HTTP exchange. Throws PassportError. */
export async function fetchIssuerKey(http: RegistryExchange, issuer: string, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<FetchedKey> {
  const res = await http({
    path: KEY_PATH,
    timeoutMs: opts.timeoutMs ?? 10_000,
    maxBytes: MAX_KEY_BODY_BYTES,
    signal: opts.signal,
    accept: 'application/json, application/jwk+json, application/jwk-set+json, application/x-pem-file, text/plain;q=0.9, */*;q=0.1',
  });
  if (res.status !== 200) throw new PublicKeyError(`the registry answered HTTP ${res.status} for its public key (${res.url.href})`);
  const type = String(res.headers['content-type'] ?? '');
  if (/^text\/html/i.test(type)) throw new PublicKeyError(`the registry answered with an HTML page, not a key (${res.url.href})`);
  // The content is sniffed, not trusted to its type: key endpoints often label JSON or PEM as text/plain.
  const parsed = parsePublicKeyBody(res.text, issuer);
  return { key: parsed.key, origin: res.url.href, ...(parsed.namedIssuer !== undefined ? { namedIssuer: parsed.namedIssuer } : {}) };
}
