import { describe, expect, it } from 'vitest';
import { createLineGuard } from '../../src/mcp/line-guard.js';

async function through(chunks: string[], max: number): Promise<{ out: string; dropped: number[] }> {
  const dropped: number[] = [];
  const g = createLineGuard(max, (n) => dropped.push(n));
  let out = '';
  g.on('data', (d: Buffer) => (out += d.toString()));
  for (const c of chunks) g.write(Buffer.from(c));
  g.end();
  await new Promise((r) => g.on('end', r));
  return { out, dropped };
}

describe('line guard', () => {
  it('passes lines within the limit unchanged, however they are split', async () => {
    const r = await through(['{"a"', ':1}\n{"b":2', '}\n', '{"c":3}\n'], 10);
    expect(r.out).toBe('{"a":1}\n{"b":2}\n{"c":3}\n');
    expect(r.dropped).toEqual([]);
  });
  it('truncates an oversized line to the limit, keeps its newline, and resumes with the next line', async () => {
    const r = await through(['{"ok":1}\n', 'x'.repeat(7), 'y'.repeat(20), 'z\n{"ok":2}\n'], 10);
    expect(r.out).toBe('{"ok":1}\nxxxxxxxyyy\n{"ok":2}\n');
    expect(r.dropped).toEqual([29]);
  });
  it('a line of exactly the limit passes', async () => {
    const r = await through(['0123456789\n'], 10);
    expect(r.out).toBe('0123456789\n');
  });
});

describe('findId: the id of an oversized request', () => {
  it('finds it first, after jsonrpc/method, or last after the params, and not inside params', async () => {
    const { findId } = await import('../../src/mcp/line-guard.js');
    expect(findId('{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{', '')).toBe(7);
    expect(findId('{"id":"abc","params":', '')).toBe('abc');
    expect(findId('{"method":"tools/call","params":{"id":99,', '..."}},"jsonrpc":"2.0","id":12}')).toBe(12);
    expect(findId('{"method":"x","params":{"id":99,', 'xxxxx"}}}')).toBeUndefined();
  });
  it('the guard reports the id of the line it truncated', async () => {
    const ids: unknown[] = [];
    const g = createLineGuard(20, (_n, id) => ids.push(id));
    g.resume();
    g.write(Buffer.from(`{"method":"m","params":{"a":"${'x'.repeat(100)}"},"jsonrpc":"2.0","id":42}\n`));
    g.end();
    await new Promise((r) => g.on('end', r));
    expect(ids).toEqual([42]);
  });
  it('hands each line on in one piece, however many reads it took (the SDK then copies a large line once, not per read)', async () => {
    const g = createLineGuard(1 << 20);
    const pieces: string[] = [];
    g.on('data', (d: Buffer) => pieces.push(d.toString()));
    const big = `{"id":1,"data":"${'a'.repeat(300_000)}"}\n`;
    for (let i = 0; i < big.length; i += 1000) g.write(Buffer.from(big.slice(i, i + 1000)));
    g.write(Buffer.from('{"id":2}\n{"id":3}\n{"id'));
    g.end(Buffer.from('":4}'));
    await new Promise((r) => g.on('end', r));
    // The unterminated last line is passed on at the end, as before.
    expect(pieces).toEqual([big, '{"id":2}\n', '{"id":3}\n', '{"id":4}']);
  });
});
