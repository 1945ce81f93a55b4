import { describe, expect, it } from 'vitest';
import { createTrustStore, makeTrustedKey, parseTrustKeySpec, decodePublicKey } from '../../../src/core/passport/trust.js';
import { decodeSignature, verifyInline, verifyPassportObject } from '../../../src/core/passport/verify.js';
import { parseStrictJson, parseStrictJsonAsync } from '../../../src/core/strict-json.js';
import { countTurns } from '../../support/turns.js';
import { makeKey, seedDocument, signPassport } from '../../support/keys.js';

const key = makeKey();
const other = makeKey();
const trust = createTrustStore([makeTrustedKey('unfragile.ai', key.rawBase64)]);
const NOW = new Date('2026-07-01T00:00:00Z');

function signedSeed(scope: 'unfragile' | 'passport' = 'unfragile') {
  const doc = seedDocument();
  signPassport(doc.passport, key, scope);
  return doc;
}

type Case = { name: string; make: () => unknown; status: string; scope?: string };

const cases: Case[] = [
  { name: 'signed over unfragile', make: () => signedSeed(), status: 'valid', scope: 'unfragile' },
  { name: 'signed over the whole passport', make: () => signedSeed('passport'), status: 'valid', scope: 'passport' },
  { name: 'bare passport object (no envelope)', make: () => signedSeed().passport, status: 'valid', scope: 'unfragile' },
  {
    name: 'reordered keys are still valid (canonical form)',
    make: () => {
      const doc = signedSeed();
      const u = doc.passport.unfragile;
      const reversed = Object.fromEntries(Object.entries(u).reverse());
      return { passport: { ...doc.passport, unfragile: reversed } };
    },
    status: 'valid',
  },
  {
    name: 'tampered field',
    make: () => {
      const doc = signedSeed();
      (doc.passport.unfragile as { trust: { score: number } }).trust.score = 99;
      return doc;
    },
    status: 'invalid_signature',
  },
  {
    name: 'tampered capability limitation',
    make: () => {
      const doc = signedSeed();
      const caps = (doc.passport.unfragile as { capabilities: { limitations: string[] }[] }).capabilities;
      caps[0]!.limitations.pop();
      return doc;
    },
    status: 'invalid_signature',
  },
  {
    name: 'flipped signature bit',
    make: () => {
      const doc = signedSeed();
      const sig = Buffer.from(doc.passport.signature as string, 'base64');
      sig[10]! ^= 0x01;
      doc.passport.signature = sig.toString('base64');
      return doc;
    },
    status: 'invalid_signature',
  },
  {
    name: 'signed by another key',
    make: () => {
      const doc = seedDocument();
      signPassport(doc.passport, other);
      return doc;
    },
    status: 'invalid_signature',
  },
  {
    name: 'unknown issuer',
    make: () => {
      const doc = seedDocument();
      signPassport(doc.passport, key, 'unfragile', 'someone-else.example');
      return doc;
    },
    status: 'unknown_key',
  },
  { name: 'the real seed against a key that did not sign it', make: () => seedDocument(), status: 'invalid_signature' },
  {
    name: 'unsigned',
    make: () => {
      const doc = seedDocument();
      delete doc.passport.signature;
      return doc;
    },
    status: 'unsigned',
  },
  {
    name: 'junk base64',
    make: () => {
      const doc = signedSeed();
      doc.passport.signature = '!!!not base64!!!';
      return doc;
    },
    status: 'malformed',
  },
  {
    name: 'url-safe alphabet is not canonical base64',
    make: () => {
      const doc = signedSeed();
      doc.passport.signature = Buffer.from(doc.passport.signature as string, 'base64').toString('base64url');
      return doc;
    },
    status: 'malformed',
  },
  {
    name: 'missing padding',
    make: () => {
      const doc = signedSeed();
      doc.passport.signature = (doc.passport.signature as string).replace(/=+$/, '');
      return doc;
    },
    status: 'malformed',
  },
  {
    name: 'short signature (63 bytes)',
    make: () => {
      const doc = signedSeed();
      doc.passport.signature = Buffer.alloc(63, 7).toString('base64');
      return doc;
    },
    status: 'malformed',
  },
  {
    name: 'non-canonical trailing bits in base64',
    make: () => {
      const doc = signedSeed();
      const s = doc.passport.signature as string;
      // The 86th character carries 4 unused low bits; setting one decodes to the same bytes in Node.
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
      const last = alphabet.indexOf(s[85]!);
      doc.passport.signature = `${s.slice(0, 85)}${alphabet[(last & ~0xf) | ((last + 1) & 0xf)]}==`;
      return doc;
    },
    status: 'malformed',
  },
  { name: 'not a passport at all', make: () => ({ hello: 'world' }), status: 'malformed' },
  { name: 'an array', make: () => [1, 2, 3], status: 'malformed' },
  {
    name: 'signature of the wrong type',
    make: () => {
      const doc = signedSeed();
      doc.passport.signature = 12345 as unknown as string;
      return doc;
    },
    status: 'malformed',
  },
  {
    name: 'lone surrogate cannot be canonicalised',
    make: () => {
      const doc = signedSeed();
      (doc.passport.unfragile as { artifact: { name: string } }).artifact.name = 'bad \ud800 name';
      return doc;
    },
    status: 'malformed',
  },
];

describe('verifyPassportObject: adversarial table', () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = verifyPassportObject(c.make(), { trust, now: NOW });
      expect(r.status).toBe(c.status);
      expect(r.valid).toBe(c.status === 'valid');
      if (c.scope) expect(r.scope).toBe(c.scope);
      if (r.valid) expect(r.key_fingerprint).toMatch(/^SHA256:[A-Za-z0-9_-]{43}$/);
      expect(r.detail.length).toBeGreaterThan(10);
    });
  }

  it('native and noble engines agree on every case', () => {
    for (const c of cases) {
      const doc = c.make();
      const a = verifyPassportObject(doc, { trust, now: NOW, engine: 'native' });
      const b = verifyPassportObject(doc, { trust, now: NOW, engine: 'noble' });
      expect(b.status, c.name).toBe(a.status);
    }
  });

  it('unknown_key tells the user how to add the key', () => {
    const r = verifyPassportObject(seedDocument(), { trust: createTrustStore([]), now: NOW });
    expect(r.status).toBe('unknown_key');
    expect(r.detail).toContain('--trust-key unfragile.ai=');
    expect(r.detail).toContain('PASSPORT_MCP_TRUST_KEYS');
  });

  it('warns about future, stale and self-declared unverified passports', () => {
    const future = signedSeed();
    future.passport.signedAt = '2030-01-01T00:00:00Z';
    signPassport(future.passport, key, 'passport');
    const r1 = verifyPassportObject(future, { trust, now: NOW });
    expect(r1.status).toBe('valid');
    expect(r1.warnings.join('\n')).toMatch(/future/);
    expect(r1.warnings.join('\n')).toMatch(/not verified/);
    const r2 = verifyPassportObject(signedSeed(), { trust, now: new Date('2029-01-01T00:00:00Z') });
    expect(r2.warnings.join('\n')).toMatch(/more than 365 days ago/);
  });

  it('any of several keys for one issuer may match (key rotation)', () => {
    const rotated = createTrustStore([makeTrustedKey('unfragile.ai', other.rawBase64), makeTrustedKey('unfragile.ai', key.rawHex)]);
    expect(verifyPassportObject(signedSeed(), { trust: rotated, now: NOW }).status).toBe('valid');
  });
});

describe('inline documents (tool input as JSON text)', () => {
  it('refuses duplicate keys that JSON.parse would silently merge', () => {
    const doc = signedSeed();
    const text = JSON.stringify(doc).replace('"slug":', '"slug":"evil","slug":');
    const r = verifyInline(text, trust);
    expect(r.status).toBe('malformed');
    expect(r.detail).toMatch(/duplicate key "slug"/);
  });
  it('refuses integers beyond 2^53', () => {
    const text = JSON.stringify(signedSeed()).replace('"score":23', '"score":9007199254740993');
    const r = verifyInline(text, trust);
    expect(r.status).toBe('malformed');
    expect(r.detail).toMatch(/2\^53/);
  });
  it('accepts the same document as text and as an object', () => {
    const doc = signedSeed();
    expect(verifyInline(JSON.stringify(doc), trust).status).toBe('valid');
    expect(verifyInline(doc, trust).status).toBe('valid');
  });
});

describe('trusted keys', () => {
  it('accepts base64, base64url, hex and PEM forms of the same key', () => {
    const fps = [key.rawBase64, key.rawBase64Url, key.rawHex, key.pem].map((k) => makeTrustedKey('i', k).fingerprint);
    expect(new Set(fps).size).toBe(1);
    expect(parseTrustKeySpec(`unfragile.ai=${key.rawBase64}`).issuer).toBe('unfragile.ai');
  });
  it('refuses small-order keys at configuration time', () => {
    // The identity point (y = 1) and a point of order 8 from the Ed25519 small-order list.
    const smallOrder = [
      '0100000000000000000000000000000000000000000000000000000000000000',
      'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ];
    for (const hex of smallOrder) expect(() => makeTrustedKey('evil', hex)).toThrow(/small-order|not a valid/);
  });
  it('refuses keys of the wrong size or encoding with a clear message', () => {
    expect(() => parseTrustKeySpec('noequals')).toThrow(/ISSUER=KEY/);
    expect(() => parseTrustKeySpec('x=abcd')).toThrow(/32 bytes/);
    expect(() => decodePublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----')).toThrow(/Ed25519 SPKI/);
    expect(() => makeTrustedKey('x', 'ff'.repeat(32))).toThrow(/not a valid Ed25519 point/);
  });
  it('decodeSignature accepts exactly canonical 64-byte base64', () => {
    const good = Buffer.alloc(64, 1).toString('base64');
    expect(decodeSignature(good)?.length).toBe(64);
    expect(decodeSignature(`${good} `)).toBeUndefined();
    expect(decodeSignature(Buffer.alloc(65, 1).toString('base64'))).toBeUndefined();
  });
});

describe('strict JSON', () => {
  it('bounds depth and size', () => {
    expect(() => parseStrictJson('['.repeat(100) + ']'.repeat(100))).toThrow(/nesting/);
    expect(() => parseStrictJson(`"${'a'.repeat(100)}"`, { maxBytes: 50 })).toThrow(/larger/);
  });
  it('finds duplicates written with escapes', () => {
    expect(() => parseStrictJson('{"a":1,"\\u0061":2}')).toThrow(/duplicate/);
    expect(parseStrictJson('{"a":{"a":1},"b":[{"a":1},{"a":2}]}')).toEqual({ a: { a: 1 }, b: [{ a: 1 }, { a: 2 }] });
  });
  it('parseStrictJsonAsync: the same answers and refusals, with turns of the event loop while it scans a large text', async () => {
    const big = JSON.stringify(Array.from({ length: 80_000 }, (_, i) => ({ id: i, name: `passport ${i}`, tags: ['a', 'b'] })));
    expect(big.length).toBeGreaterThan(3 * 1024 * 1024);
    const counter = countTurns();
    const doc = await parseStrictJsonAsync(big, { maxBytes: 64 * 1024 * 1024 });
    const turns = counter.stop();
    expect(doc).toEqual(JSON.parse(big));
    // One turn per MiB scanned at least (without the yields the scan and the parse are one step: at most 1 turn).
    expect(turns).toBeGreaterThanOrEqual(Math.floor(big.length / (1024 * 1024)));
    const dup = `[${big.slice(1, -1)},{"a":1,"a":2}]`;
    await expect(parseStrictJsonAsync(dup, { maxBytes: 64 * 1024 * 1024 })).rejects.toThrow(/duplicate key "a"/);
    expect(() => parseStrictJson(dup, { maxBytes: 64 * 1024 * 1024 })).toThrow(/duplicate key "a"/);
    await expect(parseStrictJsonAsync(big, { maxBytes: 1024 })).rejects.toThrow(/larger/);
  });
  it('leaves safe numbers and floats alone', () => {
    expect(parseStrictJson('[9007199254740991,-9007199254740991,1.5e300,0.1]')).toEqual([9007199254740991, -9007199254740991, 1.5e300, 0.1]);
    expect(() => parseStrictJson('[-9007199254740993]')).toThrow(/2\^53/);
  });
});
