// Real registry shapes: `null` wherever the registry writes it loads (absent in the parsed view, untouched in the
// raw object that is verified), and the checks that matter stay strict.
import { describe, expect, it } from 'vitest';
import { loadPassportObject, loadResolveTrust, parsePassportText, toLoadedPassport } from '../../../src/core/passport/load.js';
import { withoutNulls } from '../../../src/core/passport/envelope.js';
import { createTrustStore, makeTrustedKey } from '../../../src/core/passport/trust.js';
import { verifyPassportObject } from '../../../src/core/passport/verify.js';
import { makeKey, seedDocument, signPassport } from '../../support/keys.js';

const key = makeKey();
const trust = createTrustStore([makeTrustedKey('unfragile.ai', key.rawBase64)]);

function hasNull(v: unknown): boolean {
  if (v === null) return true;
  if (typeof v !== 'object') return false;
  return Object.values(v as object).some(hasNull);
}

/** The seed with `null` wherever real registry passports write it. */
function nullish() {
  const doc = seedDocument();
  const u = doc.passport.unfragile as Record<string, any>;
  u.artifact.pricing = { model: 'open_source', free: true, starting_price: null };
  u.artifact.tags = [];
  u.artifact.categories = null;
  u.capabilities[0].requires = null;
  u.capabilities[0].confidence = null;
  u.trust.score = null;
  u.trust.observed_outcomes.last_matched_at = null;
  u.trust.maintenance = { status: 'inactive', updated_at: null, last_scraped_at: null, last_commit: null };
  u.trust.community = { stars: null, forks: null };
  u.distribution = null;
  return doc;
}

describe('null wherever the registry writes it', () => {
  it('loads, with no null in the parsed view and the raw object untouched', () => {
    const doc = nullish();
    const before = JSON.stringify(doc.passport);
    const p = toLoadedPassport(doc, 'nulls');
    expect(hasNull(p.passport)).toBe(false);
    expect(p.passport.unfragile.artifact.pricing).toEqual({ model: 'open_source', free: true });
    expect(p.passport.unfragile.trust?.score).toBeUndefined();
    expect(p.passport.unfragile.trust?.maintenance).toEqual({ status: 'inactive' });
    expect(JSON.stringify(p.raw)).toBe(before);
    expect(p.raw).toBe(doc.passport);
  });

  it('a signature over a passport containing nulls verifies, and fails when a null is changed', () => {
    const doc = nullish();
    signPassport(doc.passport, key);
    const p = parsePassportText(JSON.stringify(doc), 'signed-nulls').passports[0]!;
    expect(verifyPassportObject(p.raw, { trust })).toMatchObject({ status: 'valid', scope: 'unfragile' });
    const tampered = structuredClone(doc);
    (tampered.passport.unfragile as any).artifact.pricing.starting_price = '$0';
    expect(verifyPassportObject(toLoadedPassport(tampered, 't').raw, { trust }).status).toBe('invalid_signature');
    // Dropping a null member changes the signed bytes too: null is not the same as absent for the signature.
    const dropped = structuredClone(doc);
    delete (dropped.passport.unfragile as any).artifact.pricing.starting_price;
    expect(verifyPassportObject(toLoadedPassport(dropped, 'd').raw, { trust }).status).toBe('invalid_signature');
  });

  it('null signature fields mean unsigned, not malformed', () => {
    const doc = nullish();
    Object.assign(doc.passport, { signature: null, signedAt: null, signedBy: null, version: null });
    const p = toLoadedPassport(doc, 'unsigned');
    expect(p.passport.signature).toBeUndefined();
    expect(verifyPassportObject(p.raw, { trust }).status).toBe('unsigned');
  });

  it('a resolve trust object loads as a bare passport and verifies without its `verified` member', () => {
    const doc = nullish();
    signPassport(doc.passport, key);
    const entry = { verified: false, ...doc.passport };
    const p = loadResolveTrust(entry, 'resolve');
    expect(p.raw).not.toHaveProperty('verified');
    expect(p.raw.unfragile).toBe(doc.passport.unfragile);
    expect(verifyPassportObject(p.raw, { trust }).status).toBe('valid');
    // As a bare object it loads too (unknown members are kept).
    expect(loadPassportObject(entry, 'bare').slug).toBe(p.slug);
  });
});

describe('still strict where it matters', () => {
  const cases: [string, (d: any) => void, RegExp][] = [
    ['null slug', (d) => (d.passport.unfragile.artifact.slug = null), /artifact\.slug/],
    ['null artifact', (d) => (d.passport.unfragile.artifact = null), /artifact/],
    ['null name', (d) => (d.passport.unfragile.artifact.name = null), /artifact\.name/],
    ['null capability id', (d) => (d.passport.unfragile.capabilities[0].id = null), /capabilities\.0\.id/],
    ['capability id with a newline', (d) => (d.passport.unfragile.capabilities[0].id = 'a\nb'), /capabilities\.0\.id/],
    ['capability id with a bidi override', (d) => (d.passport.unfragile.capabilities[0].id = 'a\u202eb'), /capabilities\.0\.id/],
    ['url-safe signature', (d) => (d.passport.signature = Buffer.alloc(64, 0xfb).toString('base64url')), /signature/],
    ['63-byte signature', (d) => (d.passport.signature = Buffer.alloc(63, 1).toString('base64')), /signature/],
    ['non-canonical base64 signature', (d) => (d.passport.signature = `${Buffer.alloc(64, 1).toString('base64').slice(0, 85)}B==`), /signature/],
    ['numeric signature', (d) => (d.passport.signature = 7), /signature/],
  ];
  for (const [name, mutate, where] of cases) {
    it(`refuses ${name}`, () => {
      const d = seedDocument();
      mutate(d);
      expect(() => toLoadedPassport(d, name)).toThrow(where);
    });
  }

  it('bounds an object built elsewhere: size and depth', () => {
    const big = seedDocument();
    (big.passport.unfragile as any).extra = 'x'.repeat(2 * 1024 * 1024);
    expect(() => loadPassportObject(big, 'big')).toThrow(/over the/);
    let deep: unknown = null;
    for (let i = 0; i < 100; i++) deep = [deep];
    const d = seedDocument();
    (d.passport.unfragile as any).extra = deep;
    expect(() => loadPassportObject(d, 'deep')).toThrow(/nesting/);
  });

  it('withoutNulls shares null-free subtrees and keeps __proto__ an own member', () => {
    const clean = { a: [1, 2], b: { c: 'x' } };
    expect(withoutNulls(clean)).toBe(clean);
    const mixed = JSON.parse('{"a":[1,null,2],"b":{"c":null,"d":1},"__proto__":{"polluted":true},"e":{"f":"g"}}');
    const out = withoutNulls(mixed) as Record<string, unknown>;
    expect(out.a).toEqual([1, 2]);
    expect(out.b).toEqual({ d: 1 });
    expect(out.e).toBe(mixed.e);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
