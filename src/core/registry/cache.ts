// The persistent cache of passports that came from the registry, so what was discovered once is found again at
// start-up and with --offline. Nothing read back is trusted: every entry goes through the same strict loader as a
// passport file, and the app re-verifies its signature before use (bulk, at start-up).
//
// Layout: `{cacheDir}/passports/v1/{slug}.json`, one file per passport: `{ "passport": <the passport exactly as
// the registry sent it>, "cached": { "from": <url>, "fetchedAt": <ISO date> } }`. A file's age is its mtime.
// Bound: MAX_ENTRIES files and MAX_BYTES bytes; past either, the least recently written entries are deleted.
// Staleness: an entry older than STALE_AFTER_MS is still used, and refreshed when the registry sends that
// passport again (a /resolve answer or a /passport fetch); the app refetches a stale one when it is asked for by
// slug while online. Writes are atomic (a private temp file, then rename), so two servers sharing one cache never
// see a torn file and, each writing its own slugs, lose nothing.
import { lstat, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { parsePassportText, type LoadProblem } from '../passport/load.js';
import { readRegularFileSync } from '../safe-file.js';
import { SLUG_PATTERN, type LoadedPassport } from '../passport/schema.js';
import { decodeUtf8, MAX_DOCUMENT_BYTES } from '../strict-json.js';

export const CACHE_SUBDIR = path.join('passports', 'v1');
export const MAX_ENTRIES = 20_000;
export const MAX_BYTES = 256 * 1024 * 1024;
export const STALE_AFTER_MS = 7 * 24 * 60 * 60 * 1000;
/** A cache file holds one passport (1 MiB at most) and a small wrapper. */
const MAX_ENTRY_BYTES = MAX_DOCUMENT_BYTES + 4096;
/** Temp files older than this were left by a crashed writer. */
const ORPHAN_TMP_MS = 60 * 60 * 1000;
const BATCH = 64;

export interface CachedPassport {
  passport: LoadedPassport;
  /** mtime of the entry (ms). */
  writtenAt: number;
  stale: boolean;
}

export interface CacheOptions {
  dir: string;
  maxEntries?: number;
  maxBytes?: number;
  now?: () => number;
}

export class PassportCache {
  readonly dir: string;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly now: () => number;
  /**
   * What this process knows is on disk: slug -> size and mtime (for the bound), oldest write first: readAll sorts
   * it once and a write re-inserts its entry at the end, so eviction takes from the front without sorting.
   */
  private readonly entries = new Map<string, { size: number; mtime: number }>();
  private bytes = 0;

  constructor(opts: CacheOptions) {
    this.dir = path.join(opts.dir, CACHE_SUBDIR);
    this.maxEntries = opts.maxEntries ?? MAX_ENTRIES;
    this.maxBytes = opts.maxBytes ?? MAX_BYTES;
    this.now = opts.now ?? Date.now;
  }

  fileFor(slug: string): string {
    return path.join(this.dir, `${slug}.json`);
  }

  /** Reads every entry. Corrupt, hostile or misnamed files are problems (the caller warns), never a throw. */
  async readAll(): Promise<{ passports: CachedPassport[]; problems: LoadProblem[] }> {
    const passports: CachedPassport[] = [];
    const problems: LoadProblem[] = [];
    let names: { name: string; file: boolean; link: boolean }[];
    try {
      // Security: the directory we created must still be a directory, not a link to somewhere else.
      const st = await lstat(this.dir);
      if (!st.isDirectory()) {
        problems.push({ source: this.dir, message: 'cache directory is not a directory (a symlink?); not read' });
        return { passports, problems };
      }
      names = (await readdir(this.dir, { withFileTypes: true })).map((e) => ({ name: e.name, file: e.isFile(), link: e.isSymbolicLink() }));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push({ source: this.dir, message: (err as Error).message });
      return { passports, problems };
    }
    const now = this.now();
    let n = 0;
    for (const { name, file, link } of names) {
      const full = path.join(this.dir, name);
      if (name.endsWith('.tmp')) {
        // A crashed writer's leftover; a live writer's temp file is young and left alone.
        await stat(full)
          .then((s) => (now - s.mtimeMs > ORPHAN_TMP_MS ? unlink(full) : undefined))
          .catch(() => undefined);
        continue;
      }
      if (!name.endsWith('.json')) continue;
      const slug = name.slice(0, -5);
      if (link || !file) {
        problems.push({ source: full, message: 'not a regular file (symlinks are never followed in the cache); skipped' });
        continue;
      }
      if (!SLUG_PATTERN.test(slug)) {
        problems.push({ source: full, message: 'file name is not a passport slug; skipped' });
        continue;
      }
      if (passports.length + problems.length >= this.maxEntries * 2) break;
      try {
        // Security: O_NOFOLLOW refuses a symlink swapped in after the listing; the safe reader also refuses a FIFO,
        // anything but a regular file, an entry over the cap and one that grows while read.
        let size = 0;
        let mtime = 0;
        const bytes = readRegularFileSync(full, {
          maxBytes: MAX_ENTRY_BYTES,
          noFollow: true,
          check: (st) => {
            size = st.size;
            mtime = st.mtimeMs;
          },
        });
        const r = parsePassportText(decodeUtf8(bytes), full, MAX_ENTRY_BYTES);
        const p = r.passports[0];
        if (r.problems.length || !p) problems.push({ source: full, message: r.problems[0]?.message ?? 'no passport' });
        else if (p.slug !== slug) problems.push({ source: full, message: `holds passport "${p.slug.slice(0, 80)}", not "${slug}"; skipped` });
        else {
          passports.push({ passport: { ...p, source: full }, writtenAt: mtime, stale: now - mtime > STALE_AFTER_MS });
          this.track(slug, size, mtime);
        }
      } catch (err) {
        problems.push({ source: full, message: describe(err) });
      }
      if (++n % BATCH === 0) await yieldToLoop();
    }
    const byAge = [...this.entries].sort((a, b) => a[1].mtime - b[1].mtime);
    this.entries.clear();
    for (const [slug, e] of byAge) this.entries.set(slug, e);
    return { passports, problems };
  }

  /** Writes (or replaces) the entry for `p` atomically, then keeps the cache within its bound. */
  async write(p: LoadedPassport, from: string): Promise<void> {
    if (!SLUG_PATTERN.test(p.slug)) return;
    const body = JSON.stringify({ passport: p.raw, cached: { from: from.slice(0, 2048), fetchedAt: new Date(this.now()).toISOString() } });
    const bytes = Buffer.byteLength(body);
    if (bytes > MAX_ENTRY_BYTES) return;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const target = this.fileFor(p.slug);
    const tmp = path.join(this.dir, `.${p.slug}.${randomBytes(9).toString('hex')}.tmp`);
    // Security: 'wx' creates a new file or fails; it never writes through an existing file or symlink. rename
    // then replaces the directory entry itself (a planted symlink is replaced, not followed).
    await writeFile(tmp, body, { flag: 'wx', mode: 0o600 });
    try {
      await rename(tmp, target);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    this.track(p.slug, bytes, this.now());
    await this.evict();
  }

  async remove(slug: string): Promise<void> {
    if (!SLUG_PATTERN.test(slug)) return;
    await unlink(this.fileFor(slug)).catch(() => undefined);
    this.untrack(slug);
  }

  get size(): number {
    return this.entries.size;
  }

  private track(slug: string, size: number, mtime: number): void {
    this.untrack(slug);
    this.entries.set(slug, { size, mtime });
    this.bytes += size;
  }

  private untrack(slug: string): void {
    const e = this.entries.get(slug);
    if (!e) return;
    this.bytes -= e.size;
    this.entries.delete(slug);
  }

  private async evict(): Promise<void> {
    // Oldest first (see entries); removing the entry being visited is safe while iterating a Map.
    for (const [slug] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      await this.remove(slug);
    }
  }
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') return 'is a symlink; never followed in the cache';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (err as Error).message;
}
