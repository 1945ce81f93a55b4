// fast-check string units for the fuzz tests, without fast-check's start-up cost.
import fc from 'fast-check';

const SURROGATES = 0xe000 - 0xd800;

/**
 * Exactly fast-check's `unit: 'binary'` (any code point but a surrogate half: index i is code point i below U+D800
 * and i + 0x800 above), the same values for the same seed, and shrinkable without context like it (so fc.string
 * still mixes in its "__proto__"-style slices). fast-check builds that unit's reverse map of all 1,112,064 code
 * points the first time it is used, about 1.2 s of CPU in every test file that uses it; this unmapper is arithmetic.
 */
export const binaryUnit: fc.Arbitrary<string> = fc.nat({ max: 0x10ffff - SURROGATES }).map(
  (i) => String.fromCodePoint(i < 0xd800 ? i : i + SURROGATES),
  (v) => {
    const cp = typeof v === 'string' ? v.codePointAt(0) : undefined;
    if (cp === undefined || String.fromCodePoint(cp) !== v || (cp >= 0xd800 && cp < 0xe000)) throw new Error('not one code point');
    return cp < 0xd800 ? cp : cp - SURROGATES;
  },
);
