// The passport cache on its own: bound and eviction (oldest first, by count and by bytes), atomic replace, a planted
// symlink replaced rather than followed, orphaned temp files cleaned, staleness by age (a fake clock).
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toLoadedPassport } from '../../../src/core/passport/load.js';
import { CACHE_SUBDIR, PassportCache, STALE_AFTER_MS } from '../../../src/core/registry/cache.js';
import { MAX_DOCUMENT_BYTES } from '../../../src/core/strict-json.js';
import { seedDocument } from '../../support/keys.js';

function passport(slug: string) {
  const d = seedDocument();
  (d.passport.unfragile as { artifact: { slug: string } }).artifact.slug = slug;
  return toLoadedPassport(d, `test:${slug}`);
}

describe('PassportCache', () => {
  it('keeps at most maxEntries, evicting the least recently written', async () => {
    const clock = { t: 1_000_000 };
    const dir = mkdtempSync(path.join(tmpdir(), 'pcache-'));
    const c = new PassportCache({ dir, maxEntries: 3, now: () => clock.t });
    for (const s of ['a1', 'b2', 'c3', 'd4']) {
      clock.t += 1000;
      await c.write(passport(s), 'test');
    }
    expect(readdirSync(path.join(dir, CACHE_SUBDIR)).sort()).toEqual(['b2.json', 'c3.json', 'd4.json']);
    expect(c.size).toBe(3);
  });

  it("after a restart, evicts by each file's age, not by the order the directory lists them", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcache-'));
    const first = new PassportCache({ dir });
    for (const s of ['a1', 'b2', 'c3']) await first.write(passport(s), 'test');
    // Ages against the names' order: a1 is the newest, c3 the oldest.
    const entries = path.join(dir, CACHE_SUBDIR);
    const t = Date.now() / 1000;
    utimesSync(path.join(entries, 'a1.json'), t - 10, t - 10);
    utimesSync(path.join(entries, 'b2.json'), t - 20, t - 20);
    utimesSync(path.join(entries, 'c3.json'), t - 30, t - 30);
    const again = new PassportCache({ dir, maxEntries: 3 });
    expect((await again.readAll()).passports.length).toBe(3);
    await again.write(passport('d4'), 'test');
    expect(readdirSync(entries).sort()).toEqual(['a1.json', 'b2.json', 'd4.json']);
    await again.write(passport('e5'), 'test');
    expect(readdirSync(entries).sort()).toEqual(['a1.json', 'd4.json', 'e5.json']);
  });

  it('keeps within maxBytes too', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcache-'));
    const size = JSON.stringify({ passport: passport('x').raw }).length;
    const c = new PassportCache({ dir, maxBytes: Math.floor(size * 2.5) });
    for (const s of ['p1', 'p2', 'p3', 'p4']) await c.write(passport(s), 'test');
    expect(readdirSync(path.join(dir, CACHE_SUBDIR)).length).toBe(2);
  });

  it('replaces a planted symlink instead of writing through it, and reads back what it wrote', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcache-'));
    const entries = path.join(dir, CACHE_SUBDIR);
    await mkdir(entries, { recursive: true });
    const victim = path.join(mkdtempSync(path.join(tmpdir(), 'victim-')), 'victim.txt');
    writeFileSync(victim, 'do not touch');
    symlinkSync(victim, path.join(entries, 'slug-a.json'));
    const c = new PassportCache({ dir });
    await c.write(passport('slug-a'), 'https://registry.example/api/v1/resolve');
    expect(readFileSync(victim, 'utf8')).toBe('do not touch');
    expect(lstatSync(path.join(entries, 'slug-a.json')).isSymbolicLink()).toBe(false);
    const back = await new PassportCache({ dir }).readAll();
    expect(back.problems).toEqual([]);
    expect(back.passports.map((p) => p.passport.slug)).toEqual(['slug-a']);
    expect(back.passports[0]!.stale).toBe(false);
  });

  it('reads only regular entries within the cap: a symlink, a FIFO, a directory and an oversized file are problems, never followed, waited on or read', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcache-'));
    const c = new PassportCache({ dir });
    await c.write(passport('good-one'), 'test');
    const entries = path.join(dir, CACHE_SUBDIR);
    const outside = path.join(mkdtempSync(path.join(tmpdir(), 'outside-')), 'p.json');
    writeFileSync(outside, JSON.stringify({ passport: passport('linked').raw }));
    symlinkSync(outside, path.join(entries, 'linked.json'));
    mkdirSync(path.join(entries, 'a-dir.json'));
    writeFileSync(path.join(entries, 'huge.json'), Buffer.alloc(MAX_DOCUMENT_BYTES + 8192, 0x20));
    if (process.platform !== 'win32') execFileSync('mkfifo', [path.join(entries, 'pipe.json')]);
    const back = await new PassportCache({ dir }).readAll();
    expect(back.passports.map((p) => p.passport.slug)).toEqual(['good-one']);
    const why = Object.fromEntries(back.problems.map((p) => [path.basename(p.source), p.message]));
    expect(why['linked.json']).toMatch(/not a regular file/);
    expect(why['a-dir.json']).toMatch(/not a regular file/);
    expect(why['huge.json']).toMatch(/over the \d+-byte limit/);
    if (process.platform !== 'win32') expect(why['pipe.json']).toMatch(/not a regular file/);
  });

  it('marks old entries stale, cleans orphaned temp files, and reports a missing cache as empty', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pcache-'));
    expect(await new PassportCache({ dir }).readAll()).toEqual({ passports: [], problems: [] });
    const c = new PassportCache({ dir });
    await c.write(passport('old-one'), 'test');
    const entries = path.join(dir, CACHE_SUBDIR);
    const orphan = path.join(entries, '.old-one.deadbeef.tmp');
    writeFileSync(orphan, '{');
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    utimesSync(orphan, old, old);
    const later = Date.now() + STALE_AFTER_MS + 60_000;
    const r = await new PassportCache({ dir, now: () => later }).readAll();
    expect(r.passports[0]!.stale).toBe(true);
    expect(existsSync(orphan)).toBe(false);
  });
});
