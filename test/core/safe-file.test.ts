// The one safe file reader (passports, images, pins): caps, FIFOs and devices, symlinks, swaps, growth.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isInside, linkStaysInside, readRegularFile, readRegularFileSync, SafeReadError } from '../../src/core/safe-file.js';

const dir = realpathSync(mkdtempSync(path.join(tmpdir(), 'safe-file-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = path.join(dir, 'a.json');
writeFileSync(file, '{"a":1}');
const fifo = path.join(dir, 'fifo.json');
const hasMkfifo = (() => {
  try {
    execFileSync('mkfifo', [fifo]);
    return true;
  } catch {
    return false;
  }
})();
const link = path.join(dir, 'link.json');
symlinkSync(file, link);

const readers = [
  ['sync', async (f: string, o: Parameters<typeof readRegularFileSync>[1]) => readRegularFileSync(f, o)],
  ['async', readRegularFile],
] as const;

for (const [name, read] of readers) {
  describe(`${name} reader`, () => {
    it('reads a regular file up to the cap, and refuses one byte more before reading', async () => {
      expect((await read(file, { maxBytes: 7 })).toString()).toBe('{"a":1}');
      const err = await read(file, { maxBytes: 6 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SafeReadError);
      expect(err).toMatchObject({ fault: 'too_large', size: 7 });
    });
    it.skipIf(!hasMkfifo)('refuses a FIFO at once instead of waiting for a writer', async () => {
      await expect(read(fifo, { maxBytes: 100 })).rejects.toMatchObject({ fault: 'not_regular' });
    });
    it.skipIf(!existsSync('/dev/zero'))('refuses a device (an endless one)', async () => {
      await expect(read('/dev/zero', { maxBytes: 100 })).rejects.toMatchObject({ fault: 'not_regular' });
    });
    it('refuses a directory', async () => {
      await expect(read(dir, { maxBytes: 100 })).rejects.toThrow();
    });
    it('follows a symlink only when allowed', async () => {
      expect((await read(link, { maxBytes: 100 })).toString()).toBe('{"a":1}');
      await expect(read(link, { maxBytes: 100, noFollow: true })).rejects.toMatchObject({ code: 'ELOOP' });
    });
    it('refuses a file that is not the one stat named (a swap)', async () => {
      const other = path.join(dir, `other-${name}.json`);
      writeFileSync(other, '{}');
      await expect(read(file, { maxBytes: 100, sameAs: statSync(other) })).rejects.toMatchObject({ fault: 'changed' });
      expect((await read(file, { maxBytes: 100, sameAs: statSync(file) })).toString()).toBe('{"a":1}');
    });
    it.skipIf(!existsSync('/proc/self/status'))('refuses a file holding more than its size says (a /proc file, like one that grows)', async () => {
      await expect(read('/proc/self/status', { maxBytes: 1 << 20 })).rejects.toMatchObject({ fault: 'grew' });
    });
  });
}

describe('containment', () => {
  it('isInside compares whole segments', () => {
    expect(isInside(path.join(dir, 'x'), dir)).toBe(true);
    expect(isInside(`${dir}-evil${path.sep}x`, dir)).toBe(false);
    expect(isInside(path.join(dir, '..x'), dir)).toBe(true);
    expect(isInside(path.dirname(dir), dir)).toBe(false);
  });
  it('linkStaysInside resolves the whole chain', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'safe-file-out-'));
    try {
      writeFileSync(path.join(outside, 's.json'), '{}');
      const out = path.join(dir, 'out.json');
      symlinkSync(path.join(outside, 's.json'), out);
      expect(await linkStaysInside(out, dir)).toBe(false);
      expect(await linkStaysInside(link, dir)).toBe(true);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
