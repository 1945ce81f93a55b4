// Offline verification of a passport's Ed25519 signature against trusted issuer keys.
// Statuses (CONTRACT.md): valid | invalid_signature | unknown_key | unsigned | malformed.
// Never `valid` without a successful signature check against a configured, pre-validated key.
import { createHash, verify as nativeVerify } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { canonicalBytes, canonicalJson, CanonicalizationError } from './canonical.js';
import { MAX_DOCUMENT_BYTES, parseStrictJson } from '../strict-json.js';
import { decodeSignature, isObject, unwrapPassport } from './envelope.js';
import type { TrustStore, TrustedKey } from './trust.js';

export { decodeSignature };

import type { VerifyResult, VerifyStatus } from './verify-result.js';

export type { SignatureScope, VerifyResult, VerifyStatus } from './verify-result.js';

export type VerifyEngine = 'native' | 'noble';

export interface VerifyOptions {
  trust: TrustStore;
  now?: Date;
  engine?: VerifyEngine;
  /** Signatures older than this many days get a warning. */
  staleAfterDays?: number;
}

const CLOCK_SKEW_MS = 5 * 60 * 1000;
const DAY_MS = 24 * 60 * 60 * 1000;

function useNoble(): void {
  // noble v3 ships no hash; give it Node's SHA-512 (synchronous, native) the first time it is needed.
  ed.hashes.sha512 ??= (m: Uint8Array) => new Uint8Array(createHash('sha512').update(m).digest());
}

function checkSignature(engine: VerifyEngine, msg: Uint8Array, sig: Uint8Array, key: TrustedKey): boolean {
  if (engine === 'noble') {
    useNoble();
    return ed.verify(sig, msg, key.raw, { zip215: false });
  }
  return nativeVerify(null, msg, key.keyObject, sig);
}

/** Everything a signature check needs, once the document has passed the checks that need no key. */
export interface PendingCheck {
  base: Pick<VerifyResult, 'slug' | 'issuer' | 'signed_at'>;
  warnings: string[];
  issuer: string;
  sig: Buffer;
  passport: Record<string, unknown>;
  keys: readonly TrustedKey[];
}

/**
 * The key-free part of verification: a final verdict (malformed, unsigned, unknown_key), or the pending
 * signature check with the canonical JSON of `unfragile` (the common scope) to check it over. Split out so bulk
 * verification can run the Ed25519 checks on other threads. The JSON is kept apart from the check because bulk
 * verification holds thousands of checks at once and must not keep a 16 KB string alive for each.
 */
export function prepareVerification(doc: unknown, opts: VerifyOptions): { done: VerifyResult } | { pending: PendingCheck; unfragileJson: string } {
  const warnings: string[] = [];
  const passport = unwrapPassport(doc);
  if (!passport) {
    return { done: bad('malformed', warnings, 'not a passport: expected { "passport": { "unfragile": {...}, ... } } or a bare passport object') };
  }
  const unfragile = passport.unfragile as Record<string, unknown>;
  const artifact = isObject(unfragile.artifact) ? unfragile.artifact : undefined;
  const slug = typeof artifact?.slug === 'string' ? artifact.slug : undefined;
  const issuer = typeof passport.signedBy === 'string' ? passport.signedBy : undefined;
  const signedAt = typeof passport.signedAt === 'string' ? passport.signedAt : undefined;
  const base = { slug, issuer, signed_at: signedAt };

  if (artifact?.verified === false) warnings.push('the passport itself says the artifact is not verified (artifact.verified: false)');
  if (isObject(unfragile.trust) && unfragile.trust.verified === false) warnings.push('the issuer has not verified the builder (trust.verified: false)');

  const now = (opts.now ?? new Date()).getTime();
  if (signedAt !== undefined) {
    const t = Date.parse(signedAt);
    if (Number.isNaN(t)) warnings.push(`signedAt "${signedAt.slice(0, 40)}" is not a date`);
    else if (t > now + CLOCK_SKEW_MS) warnings.push(`signed in the future (${signedAt})`);
    else if (now - t > (opts.staleAfterDays ?? 365) * DAY_MS) warnings.push(`signed more than ${opts.staleAfterDays ?? 365} days ago (${signedAt})`);
  }

  if (passport.signature === undefined || passport.signature === null || passport.signature === '') {
    return { done: { status: 'unsigned', valid: false, ...base, warnings, detail: 'the passport carries no signature; its claims cannot be checked' } };
  }
  if (typeof passport.signature !== 'string') {
    return { done: { status: 'malformed', valid: false, ...base, warnings, detail: 'signature must be a base64 string' } };
  }
  const sig = decodeSignature(passport.signature);
  if (!sig) {
    return { done: { status: 'malformed', valid: false, ...base, warnings, detail: 'signature is not exactly 64 bytes of canonical base64' } };
  }
  if (!issuer) {
    return { done: { status: 'malformed', valid: false, ...base, warnings, detail: 'signed passport has no signedBy issuer' } };
  }

  let unfragileJson: string;
  try {
    unfragileJson = canonicalJson(unfragile);
  } catch (err) {
    return { done: malformedCanonical(err, base, warnings) };
  }

  const keys = opts.trust.keysFor(issuer);
  if (keys.length === 0) {
    return {
      done: {
        status: 'unknown_key',
        valid: false,
        ...base,
        warnings,
        detail:
          `no trusted key is configured for issuer "${issuer}", so the signature was not checked. ` +
          `Get the issuer's Ed25519 public key from a channel you trust and start the server with ` +
          `--trust-key ${issuer}=<base64|hex|PEM> (or PASSPORT_MCP_TRUST_KEYS="${issuer}=<key>"), ` +
          `or pin the key the registry publishes with: passport-mcp trust pin ${issuer} (it shows the key's fingerprint first).`,
      },
    };
  }
  return { pending: { base, warnings, issuer, sig, passport, keys }, unfragileJson };
}

/** Index of the key whose signature over the `unfragile` scope checks out, or -1. */
export function matchUnfragileScope(p: PendingCheck, unfragileJson: string, engine: VerifyEngine = 'native'): number {
  const bytes = Buffer.from(unfragileJson, 'utf8');
  return p.keys.findIndex((key) => checkSignature(engine, bytes, p.sig, key));
}

/** A `valid` verdict: which key (fingerprint, where it came from) verified which scope. */
function valid(p: PendingCheck, key: PendingCheck['keys'][number], scope: 'unfragile' | 'passport', over: string): VerifyResult {
  return {
    status: 'valid',
    valid: true,
    ...p.base,
    key_fingerprint: key.fingerprint,
    ...sourceOf(key),
    scope,
    warnings: p.warnings,
    detail: `signature by ${p.issuer} verified over ${over}`,
  };
}

/** The verdict, given which key (if any) matched the `unfragile` scope; tries the whole-passport scope after. */
export function finishVerification(p: PendingCheck, unfragileMatch: number, engine: VerifyEngine = 'native'): VerifyResult {
  const { base, warnings, issuer, keys } = p;
  if (unfragileMatch >= 0) {
    return valid(p, keys[unfragileMatch]!, 'unfragile', 'the canonical "unfragile" object');
  }
  // The whole-passport scope is the rarer one: canonicalise it only when the common scope did not match.
  let passportBytes: Buffer;
  try {
    passportBytes = canonicalBytes(withoutSignature(p.passport));
  } catch (err) {
    return malformedCanonical(err, base, warnings);
  }
  for (const key of keys) {
    if (checkSignature(engine, passportBytes, p.sig, key)) {
      return valid(p, key, 'passport', 'the canonical passport without its signature');
    }
  }
  return {
    status: 'invalid_signature',
    valid: false,
    ...base,
    key_fingerprint: keys.length === 1 ? keys[0]!.fingerprint : undefined,
    warnings,
    detail: `the signature does not match ${keys.length === 1 ? 'the trusted key' : `any of the ${keys.length} trusted keys`} for "${issuer}": the passport was altered after signing, or signed by another key. Do not rely on it.`,
  };
}

export function verifyPassportObject(doc: unknown, opts: VerifyOptions): VerifyResult {
  const prepared = prepareVerification(doc, opts);
  if ('done' in prepared) return prepared.done;
  const engine = opts.engine ?? 'native';
  return finishVerification(prepared.pending, matchUnfragileScope(prepared.pending, prepared.unfragileJson, engine), engine);
}

function sourceOf(key: TrustedKey): Pick<VerifyResult, 'key_source'> {
  return key.source ? { key_source: key.source } : {};
}

function withoutSignature(passport: Record<string, unknown>): Record<string, unknown> {
  const { signature: _omit, ...rest } = passport;
  return rest;
}

function malformedCanonical(err: unknown, base: Pick<VerifyResult, 'slug' | 'issuer' | 'signed_at'>, warnings: string[]): VerifyResult {
  const why = err instanceof CanonicalizationError ? err.message : 'cannot be canonicalised';
  return { status: 'malformed', valid: false, ...base, warnings, detail: `passport cannot be put in RFC 8785 canonical form: ${why}` };
}

function bad(status: VerifyStatus, warnings: string[], detail: string): VerifyResult {
  return { status, valid: false, warnings, detail };
}

/** Verifies a passport given inline: an object, or JSON text read strictly (duplicate keys, big integers). */
export function verifyInline(input: unknown, trust: TrustStore): VerifyResult {
  let doc = input;
  if (typeof input === 'string') {
    try {
      doc = parseStrictJson(input, { maxBytes: MAX_DOCUMENT_BYTES });
    } catch (err) {
      return { status: 'malformed', valid: false, warnings: [], detail: `passport text is not acceptable JSON: ${(err as Error).message}` };
    }
  } else {
    // Objects arrive already parsed; bound them the same way as text.
    let size = 0;
    try {
      size = JSON.stringify(input)?.length ?? 0;
    } catch {
      return { status: 'malformed', valid: false, warnings: [], detail: 'passport object cannot be serialised' };
    }
    if (size > MAX_DOCUMENT_BYTES) return { status: 'malformed', valid: false, warnings: [], detail: `passport is larger than ${MAX_DOCUMENT_BYTES} bytes` };
  }
  return verifyPassportObject(doc, { trust });
}
