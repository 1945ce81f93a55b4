// Trusted issuer keys. Every key is parsed and checked once, when configured: it must be exactly 32 bytes, a
// canonical point encoding, and not of small order (a small-order key "verifies" any message under the
// permissive ZIP-215 rules). After that, verification can use Node's native Ed25519 safely.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { ConfigError } from '../errors.js';

/** Where a trusted key came from: `--trust-key`, `PASSPORT_MCP_TRUST_KEYS`, or a pin made with `trust pin`. */
export type KeySource = 'flag' | 'env' | 'pinned';

export interface TrustedKey {
  issuer: string;
  /** Reported as verify_passport's `key_source` when this key verifies a passport. */
  source?: KeySource;
  raw: Uint8Array;
  /** SHA-256 of the raw key, as `SHA256:<base64url>` (the OpenSSH style people recognise). */
  fingerprint: string;
  keyObject: KeyObject;
}

export interface TrustStore {
  keysFor(issuer: string): readonly TrustedKey[];
  issuers(): string[];
}

// SPKI prefix of an Ed25519 public key (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 } BIT STRING }.
export const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const HEX = /^[0-9a-fA-F]{64}$/;
const B64 = /^[A-Za-z0-9+/]{43}=$/;
const B64URL = /^[A-Za-z0-9_-]{43}=?$/;

/** Parses one key (raw base64, base64url, hex, or a PEM SPKI block) into its 32 raw bytes. */
export function decodePublicKey(text: string): Uint8Array {
  const t = text.trim();
  let raw: Buffer | undefined;
  if (t.includes('-----BEGIN')) {
    const m = /^-----BEGIN PUBLIC KEY-----([\s\S]+?)-----END PUBLIC KEY-----$/.exec(t);
    if (!m) throw new ConfigError('PEM key must be a single "PUBLIC KEY" (SPKI) block');
    const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    if (der.length !== 44 || !der.subarray(0, 12).equals(SPKI_PREFIX)) {
      throw new ConfigError('PEM key is not an Ed25519 SPKI public key');
    }
    raw = der.subarray(12);
  } else if (HEX.test(t)) {
    raw = Buffer.from(t, 'hex');
  } else if (B64.test(t)) {
    raw = Buffer.from(t, 'base64');
  } else if (B64URL.test(t)) {
    raw = Buffer.from(t.replace(/=$/, ''), 'base64url');
  } else {
    throw new ConfigError('key must be 32 bytes as base64, base64url or hex (64 hex digits), or a PEM SPKI block');
  }
  return new Uint8Array(raw);
}

/** Validates a raw key with noble's strict decoding and returns a trusted key; throws ConfigError. */
export function makeTrustedKey(issuer: string, keyText: string, source?: KeySource): TrustedKey {
  return trustedKeyFromRaw(issuer, decodePublicKey(keyText), source);
}

/**
 * The one validation every trusted key goes through, whatever its origin (flag, env, pin, registry answer):
 * exactly 32 bytes, a canonical point encoding, not of small order. Throws ConfigError.
 */
export function trustedKeyFromRaw(issuer: string, raw: Uint8Array, source?: KeySource): TrustedKey {
  if (!issuer) throw new ConfigError('trust key needs an issuer: ISSUER=KEY');
  if (raw.length !== 32) throw new ConfigError(`key for ${issuer} is ${raw.length} bytes; an Ed25519 public key is exactly 32`);
  let point: ed.Point;
  try {
    // Security: strict RFC 8032 decoding (zip215=false) refuses non-canonical encodings.
    point = ed.Point.fromBytes(raw, false);
  } catch {
    throw new ConfigError(`key for ${issuer} is not a valid Ed25519 point`);
  }
  // Security: a small-order key would verify forged signatures; refuse it at configuration time.
  if (point.isSmallOrder()) throw new ConfigError(`key for ${issuer} is a small-order point and cannot be trusted`);
  const keyObject = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  return { issuer, raw: new Uint8Array(raw), fingerprint: fingerprintOf(raw), keyObject, ...(source ? { source } : {}) };
}

export function fingerprintOf(raw: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(raw).digest('base64url')}`;
}

/** `ISSUER=KEY` → trusted key. The key may itself contain `=` (base64 padding), so split on the first one. */
export function parseTrustKeySpec(spec: string, source?: KeySource): TrustedKey {
  const at = spec.indexOf('=');
  if (at <= 0) throw new ConfigError(`trust key "${spec.slice(0, 40)}" must look like ISSUER=KEY`);
  const issuer = spec.slice(0, at).trim();
  try {
    return makeTrustedKey(issuer, spec.slice(at + 1), source);
  } catch (err) {
    throw new ConfigError(`bad trust key for ${issuer}: ${(err as Error).message}`);
  }
}

export function createTrustStore(keys: readonly TrustedKey[]): TrustStore {
  const byIssuer = new Map<string, TrustedKey[]>();
  for (const k of keys) {
    const list = byIssuer.get(k.issuer) ?? [];
    if (!list.some((x) => x.fingerprint === k.fingerprint)) list.push(k);
    byIssuer.set(k.issuer, list);
  }
  return {
    keysFor: (issuer) => byIssuer.get(issuer) ?? [],
    issuers: () => [...byIssuer.keys()],
  };
}
