// Test keys and signing: an Ed25519 key pair made per test run (no private key is committed), and helpers that
// sign a passport the way the registry does (JCS canonical bytes of `unfragile`, base64 signature).
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { canonicalBytes } from '../../src/core/passport/canonical.js';
import { SEED } from './spawn.js';

export interface TestKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  rawBase64: string;
  rawHex: string;
  rawBase64Url: string;
  pem: string;
}

export function makeKey(): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  return {
    privateKey,
    publicKey,
    rawBase64: raw.toString('base64'),
    rawHex: raw.toString('hex'),
    rawBase64Url: raw.toString('base64url'),
    pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

export function seedDocument(): { passport: Record<string, unknown> & { unfragile: Record<string, unknown> }; _links?: unknown } {
  return JSON.parse(readFileSync(SEED, 'utf8'));
}

/** Signs `unfragile` (scope "unfragile") or the passport without signature (scope "passport") in place. */
export function signPassport(
  passport: Record<string, unknown>,
  key: TestKey,
  scope: 'unfragile' | 'passport' = 'unfragile',
  signedBy = 'unfragile.ai',
): Record<string, unknown> {
  passport.signedBy = signedBy;
  delete passport.signature;
  const bytes = scope === 'unfragile' ? canonicalBytes(passport.unfragile) : canonicalBytes(passport);
  passport.signature = sign(null, bytes, key.privateKey).toString('base64');
  return passport;
}
