// The canonicaliser must produce exactly what the `canonicalize` package (by RFC 8785's authors) produces.
import canonicalizeImpl from 'canonicalize';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalizationError } from '../../../src/core/passport/canonical.js';
import { SEED } from '../../support/spawn.js';
// fast-check's 'binary' unit, the same values without its 1.2 s start-up.
import { binaryUnit } from '../../security/units.js';

const oracle = canonicalizeImpl as unknown as (v: unknown) => string;

describe('canonicalJson (RFC 8785)', () => {
  it('matches the oracle on the seed passport', () => {
    const seed = JSON.parse(readFileSync(SEED, 'utf8'));
    expect(canonicalJson(seed)).toBe(oracle(seed));
    expect(canonicalJson(seed.passport.unfragile)).toBe(oracle(seed.passport.unfragile));
  });

  it('matches the RFC 8785 appendix examples for numbers and escapes', () => {
    const v = {
      numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001, -0],
      string: '€$\u000f\nA\'B"\\\\"/',
      literals: [null, true, false],
    };
    expect(canonicalJson(v)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27,0],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
    expect(canonicalJson(v)).toBe(oracle(v));
  });

  it('sorts keys by UTF-16 code units, including astral characters', () => {
    const v = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    expect(canonicalJson(v)).toBe(oracle(v));
    // RFC 8785 section 3.2.3: the emoji (a surrogate pair, 0xD83D...) sorts before U+FB33.
    expect([...canonicalJson(v).matchAll(/"([^"]*)":"/g)].map((m) => JSON.parse(`"${m[1]}"`))).toEqual([
      '\r',
      '1',
      '\u0080',
      '\u00f6',
      '\u20ac',
      '\ud83d\ude00',
      '\ufb33',
    ]);
  });

  it('agrees with the oracle on random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        expect(canonicalJson(v)).toBe(oracle(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees on random full-Unicode strings and keys', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.string({ unit: binaryUnit, maxLength: 20 })), (v) => {
        expect(canonicalJson(v)).toBe(oracle(v));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses what JCS cannot represent, as the oracle does', () => {
    for (const bad of ['\ud800', 'a\udc00b', { ['\udbff']: 1 }, [Number.NaN], { x: Infinity }]) {
      expect(() => canonicalJson(bad)).toThrow(CanonicalizationError);
      expect(() => oracle(bad)).toThrow();
    }
  });
});
