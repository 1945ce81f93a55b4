// Safe reading of local files named by users, clients or directory listings: passports, images, the pins file.
// One place for the rules: a size cap checked on what was opened (not on what a path names later), FIFOs and
// devices refused without blocking, symlinks refused where a swapped link could smuggle in another file, reads
// that never go past the cap even if the file grows, and path containment compared by segments.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import path from 'node:path';

export type SafeReadFault = 'not_regular' | 'too_large' | 'changed' | 'grew';

/** A file that was opened but must not be read; filesystem errors (ENOENT, EACCES, ELOOP) pass through as they are. */
export class SafeReadError extends Error {
  constructor(
    readonly fault: SafeReadFault,
    message: string,
    /** The file's size when the fault is `too_large`. */
    readonly size?: number,
  ) {
    super(message);
  }
}

export interface SafeReadOptions {
  /** At most this many bytes; a larger file is refused before any byte is read. */
  maxBytes: number;
  /** Refuse a symlink as the last path component (O_NOFOLLOW): for paths whose links were already vetted. */
  noFollow?: boolean;
  /** The file must be this one (device and inode from an earlier stat): a swap in between is refused. */
  sameAs?: Pick<Stats, 'dev' | 'ino'>;
  /** More checks on the opened file's own stats (e.g. its mode); throw to refuse it. */
  check?: (st: Stats) => void;
}

function openFlags(noFollow: boolean | undefined): number {
  // Security: O_NONBLOCK so that opening a FIFO (or a device) returns at once instead of waiting for a writer;
  // fstat below then refuses anything that is not a regular file. O_NOFOLLOW when asked: a path component that
  // was a regular file when listed cannot have become a link to somewhere else.
  return constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (noFollow ? (constants.O_NOFOLLOW ?? 0) : 0);
}

function checkOpened(st: Stats, opts: SafeReadOptions): void {
  // Security: the checks run on the descriptor that will be read, so a path swapped after them changes nothing.
  if (!st.isFile()) throw new SafeReadError('not_regular', 'not a regular file');
  if (opts.sameAs && (st.dev !== opts.sameAs.dev || st.ino !== opts.sameAs.ino))
    throw new SafeReadError('changed', 'the file changed while it was being opened');
  if (st.size > opts.maxBytes) throw new SafeReadError('too_large', `file is ${st.size} bytes, over the ${opts.maxBytes}-byte limit`, st.size);
  opts.check?.(st);
}

function grewPast(n: number, size: number): void {
  // Security: one byte past the size fstat gave is read on purpose: a file that grew since (or whose size lies,
  // as /proc files do) is refused rather than silently cut at a length nobody checked.
  if (n > size) throw new SafeReadError('grew', 'file grew while being read');
}

/** Reads a regular file synchronously (for batches of small files, where per-file promises cost more than the read). */
export function readRegularFileSync(file: string, opts: SafeReadOptions): Buffer {
  const fd = openSync(file, openFlags(opts.noFollow));
  try {
    const st = fstatSync(fd);
    checkOpened(st, opts);
    const buf = Buffer.allocUnsafe(Math.min(st.size, opts.maxBytes) + 1);
    let n = 0;
    while (n < buf.length) {
      const got = readSync(fd, buf, n, buf.length - n, n);
      if (got === 0) break;
      n += got;
    }
    grewPast(n, st.size);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Reads a regular file without blocking the event loop. */
export async function readRegularFile(file: string, opts: SafeReadOptions): Promise<Buffer> {
  const fh = await open(file, openFlags(opts.noFollow));
  try {
    const st = await fh.stat();
    checkOpened(st, opts);
    const buf = Buffer.alloc(Math.min(st.size, opts.maxBytes) + 1);
    let n = 0;
    while (n < buf.length) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (!bytesRead) break;
      n += bytesRead;
    }
    grewPast(n, st.size);
    return buf.subarray(0, n);
  } finally {
    await fh.close();
  }
}

/** Whether `child` is `parent` or below it. Both should be absolute and normalised (or both real paths). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  // Security: compare path segments, so /data/img-evil is not inside /data/img and "..x" names stay inside.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

/** For a symlink found inside `realDir`: whether its target, fully resolved, is inside `realDir` too. */
export async function linkStaysInside(link: string, realDir: string): Promise<boolean> {
  try {
    // Security: a link in a trusted directory must not pull in files from elsewhere.
    return isInside(await realpath(link), realDir);
  } catch {
    return true; // a dangling link: reading it reports "no such file"
  }
}
