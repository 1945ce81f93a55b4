// The WebAssembly int8 dot product (int8-dot.ts) against the plain loop it stands in for, on the shipped table and on
// shapes the table does not have; and its absence.
import { describe, expect, it } from 'vitest';
import { int8Dot } from '../../../src/core/search/int8-dot.js';
import { loadWordVectors } from '../../../src/core/search/word-vectors.js';
import { testVectors } from './helpers.js';

/** Row r of `data` (r * dims) against row s, one value at a time. */
const plain = (data: Int8Array, dims: number, r: number, s: number) => {
  let sum = 0;
  for (let d = 0; d < dims; d++) sum += data[r * dims + d]! * data[s * dims + d]!;
  return sum;
};

describe('int8Dot', () => {
  it('gives the exact integer dot product for any row length, extremes included', () => {
    for (const dims of [1, 15, 16, 17, 100, 257]) {
      const count = 9;
      const data = new Int8Array(count * dims);
      // Row 0 all -128, row 1 all 127 (the largest products), the rest a fixed pseudo-random pattern.
      for (let i = 0; i < data.length; i++) data[i] = i < dims ? -128 : i < 2 * dims ? 127 : ((i * 7919) % 256) - 128;
      const k = int8Dot(data, count, dims)!;
      expect(k).toBeDefined();
      for (let r = 0; r < count; r++) for (let s = 0; s < count; s++) expect(k.dot(r, s)).toBe(plain(data, dims, r, s));
    }
  });

  it('makes the table cosines the same to the last bit as the JavaScript loop', () => {
    const fast = testVectors();
    // The same table, first compared while WebAssembly is missing: it keeps the JavaScript loop.
    const slow = withoutWebAssembly(() => {
      const v = loadWordVectors();
      v.cosine(0, 1);
      return v;
    });
    const rows = [0, 1, 2, 500, 4_999, 12_345, 49_999, fast.row('email'), fast.row('mailbox'), fast.row('melody')];
    for (const a of rows) for (const b of rows) expect(fast.cosine(a, b)).toBe(slow.cosine(a, b));
    expect(fast.cosine(fast.row('email'), fast.row('mailbox'))).toBeGreaterThan(fast.cosine(fast.row('email'), fast.row('melody')));
  });

  it('is absent without WebAssembly, so the caller keeps its own loop', () => {
    expect(withoutWebAssembly(() => int8Dot(new Int8Array(32), 2, 16))).toBeUndefined();
    expect(int8Dot(new Int8Array(0), 0, 16)).toBeUndefined();
  });
});

/** Runs `f` as on a runtime without WebAssembly. */
function withoutWebAssembly<T>(f: () => T): T {
  const g = globalThis as { WebAssembly?: unknown };
  const saved = g.WebAssembly;
  try {
    delete g.WebAssembly;
    return f();
  } finally {
    g.WebAssembly = saved;
  }
}
