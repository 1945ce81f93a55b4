// verifyMany must give, in order, exactly what one-by-one verification gives. Worker threads load built files,
// so this test imports from dist/ (npm test builds first).
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- built JavaScript, no declarations emitted
import { verifyMany } from '../../../dist/core/passport/bulk.js';
import { createTrustStore, makeTrustedKey } from '../../../src/core/passport/trust.js';
import { verifyPassportObject, type VerifyResult } from '../../../src/core/passport/verify.js';
import { makeKey, seedDocument, signPassport } from '../../support/keys.js';

describe('verifyMany', () => {
  it('matches one-by-one verification, in order, across worker threads', async () => {
    const key = makeKey();
    const trust = createTrustStore([makeTrustedKey('unfragile.ai', key.rawBase64)]);
    const now = new Date('2026-07-01T00:00:00Z');
    const docs: unknown[] = [];
    for (let i = 0; i < 1500; i++) {
      const d = seedDocument();
      (d.passport.unfragile.artifact as { slug: string }).slug = `m-${i}`;
      if (i % 5 !== 4) signPassport(d.passport, key, i % 19 === 2 ? 'passport' : 'unfragile', i % 17 === 3 ? 'other-issuer.example' : 'unfragile.ai');
      if (i % 7 === 0) (d.passport.unfragile.trust as { score: number }).score = 1; // tampered after signing
      if (i % 11 === 0) delete d.passport.signature;
      docs.push(i % 13 === 0 ? { junk: i } : d);
    }
    const expected = docs.map((d) => verifyPassportObject(d, { trust, now }));
    for (const threads of [1, 2]) {
      const got: VerifyResult[] = await verifyMany(docs, trust, { threads, now });
      expect(got.map((r) => r.status)).toEqual(expected.map((r) => r.status));
      expect(got).toEqual(expected);
    }
    const got: VerifyResult[] = await verifyMany(docs, trust, { now });
    expect(new Set(got.map((r) => r.status))).toEqual(new Set(['valid', 'invalid_signature', 'unknown_key', 'unsigned', 'malformed']));
    // Both scopes occur: the whole-passport one is finished on the calling thread after the workers' miss.
    expect(new Set(got.filter((r) => r.valid).map((r) => r.scope))).toEqual(new Set(['unfragile', 'passport']));
  });
});
