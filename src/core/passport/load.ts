// Loading passports from files, directories of *.json, and JSON arrays. One bad document never stops the others:
// each problem is returned with the file (and array index) it came from, and the caller logs it.
import { readdir, realpath, stat } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import path from 'node:path';
import { packageFile } from '../version.js';
import { isInside, linkStaysInside, readRegularFile, readRegularFileSync, SafeReadError } from '../safe-file.js';
import { decodeUtf8, parseStrictJson, parseStrictJsonAsync, MAX_DEPTH, MAX_DOCUMENT_BYTES, StrictJsonError } from '../strict-json.js';
import { isObject, parsePassportView, unwrapPassport, type LoadedPassport } from './schema.js';

/** A JSON file holding an array of passports may be larger than one document. */
export const MAX_ARRAY_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_FILES_PER_DIRECTORY = 100_000;
/** Files read between two yields to the event loop: synchronous reads in batches are ~3x faster than
 * per-file promises (five thread-pool round trips each), and the yields keep the process responsive. */
const BATCH = 64;

export const BUILTIN_PASSPORT_PATH = packageFile('passports/mistral-small-3.1.passport.json');

export interface LoadProblem {
  source: string;
  message: string;
}

export interface LoadResult {
  passports: LoadedPassport[];
  problems: LoadProblem[];
}

/**
 * Validates one parsed document (the signed envelope, the older unsigned `{ unfragile, _links }`, or a bare
 * passport object) into a LoadedPassport, or throws StrictJsonError explaining why not. `raw` is the document's
 * passport object itself (not a copy): it is what the signature is checked over.
 */
export function toLoadedPassport(doc: unknown, source: string): LoadedPassport {
  const raw = unwrapPassport(doc);
  if (!raw) throw new StrictJsonError('not a passport: no "passport" envelope and no "unfragile" object');
  let parsed: ReturnType<typeof parsePassportView>;
  try {
    parsed = parsePassportView(raw);
  } catch {
    throw new StrictJsonError(`nesting deeper than ${MAX_DEPTH} levels`);
  }
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.length ? first.path.join('.') : '(root)';
    throw new StrictJsonError(
      `schema: ${where}: ${first?.message ?? 'invalid'}${parsed.error.issues.length > 1 ? ` (+${parsed.error.issues.length - 1} more)` : ''}`,
    );
  }
  return { slug: parsed.data.unfragile.artifact.slug, passport: parsed.data, raw, source };
}

/**
 * A passport that arrived as an already-parsed object inside a larger document (a /resolve entry's `trust`
 * object, an element of a registry answer): bounded like a file (serialised size at most `maxBytes`, nesting at
 * most MAX_DEPTH) and validated by toLoadedPassport. Throws StrictJsonError.
 */
export function loadPassportObject(doc: unknown, source: string, maxBytes = MAX_DOCUMENT_BYTES): LoadedPassport {
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(doc) ?? '', 'utf8');
  } catch {
    throw new StrictJsonError('passport object cannot be serialised');
  }
  // Security: the same size bound as a passport file, whatever the size of the answer that carried it.
  if (size > maxBytes) throw new StrictJsonError(`passport is ${size} bytes, over the ${maxBytes}-byte limit`);
  return toLoadedPassport(doc, source);
}

/**
 * The passport inside a /resolve entry's `trust` object `{ unfragile, signature, signedAt, signedBy, version,
 * verified }`. `verified` is the resolver's own per-answer claim, not part of the passport the registry signs
 * (GET /passport/{slug} has no such member), so it is left out of `raw`; every other member, unknown ones
 * included, is kept by reference, exactly as received. Throws StrictJsonError.
 */
export function loadResolveTrust(trust: unknown, source: string, maxBytes = MAX_DOCUMENT_BYTES): LoadedPassport {
  if (!isObject(trust)) throw new StrictJsonError('resolve entry has no "trust" object');
  if (!isObject(trust.unfragile)) throw new StrictJsonError('resolve entry\'s "trust" object has no "unfragile" passport body');
  const passport: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(trust)) {
    if (k === 'verified') continue;
    // Security: keep "__proto__" (possible from JSON.parse) an own data property.
    Object.defineProperty(passport, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return loadPassportObject(passport, source, maxBytes);
}

/** Parses document text: a passport, an envelope, or an array of either. Array elements fail one by one. */
export function parsePassportText(text: string, source: string, maxBytes = MAX_DOCUMENT_BYTES): LoadResult {
  const out: LoadResult = { passports: [], problems: [] };
  const items = parseItems(text, source, maxBytes, out);
  items?.forEach((item, i) => checkItem(item, i, Array.isArray(items.doc), source, out));
  return out;
}

/** The document (one passport, or an array of them) as a list, or undefined when it is not acceptable JSON. */
function parseItems(text: string, source: string, maxBytes: number, out: LoadResult): (unknown[] & { doc?: unknown }) | undefined {
  try {
    return asItems(parseStrictJson(text, { maxBytes: capFor(text, maxBytes) }));
  } catch (err) {
    out.problems.push({ source, message: (err as Error).message });
    return undefined;
  }
}

/** parseItems, giving the event loop turns while it scans a large file (parseStrictJsonAsync). */
async function parseItemsAsync(text: string, source: string, maxBytes: number, out: LoadResult): Promise<(unknown[] & { doc?: unknown }) | undefined> {
  try {
    return asItems(await parseStrictJsonAsync(text, { maxBytes: capFor(text, maxBytes) }));
  } catch (err) {
    out.problems.push({ source, message: (err as Error).message });
    return undefined;
  }
}

/** An array file may be as large as MAX_ARRAY_FILE_BYTES; one passport, `maxBytes`. */
const capFor = (text: string, maxBytes: number) => (text.trimStart().startsWith('[') ? Math.max(maxBytes, MAX_ARRAY_FILE_BYTES) : maxBytes);

const asItems = (doc: unknown): unknown[] & { doc?: unknown } => Object.assign(Array.isArray(doc) ? doc : [doc], { doc });

function checkItem(item: unknown, i: number, inArray: boolean, source: string, out: LoadResult): void {
  const where = inArray ? `${source}[${i}]` : source;
  try {
    out.passports.push(toLoadedPassport(item, where));
  } catch (err) {
    out.problems.push({ source: where, message: (err as Error).message });
  }
}

function readCapped(file: string, cap: number, noFollow = false): string {
  // Security: size cap, FIFO/device refusal and O_NOFOLLOW live in safe-file.ts (shared with images and pins).
  return decodeUtf8(readRegularFileSync(file, { maxBytes: cap, noFollow }));
}

/**
 * One file (a passport, or an array of up to MAX_ARRAY_FILE_BYTES): read without blocking, scanned and checked in
 * slices so that a server loading a large array keeps answering pings and signals. JSON.parse itself is one step
 * (about 0.2 s for 24 MB).
 */
export async function loadPassportFile(file: string): Promise<LoadResult> {
  const out: LoadResult = { passports: [], problems: [] };
  let text: string;
  try {
    text = decodeUtf8(await readRegularFile(file, { maxBytes: MAX_ARRAY_FILE_BYTES }));
  } catch (err) {
    out.problems.push({ source: file, message: describeFsError(err) });
    return out;
  }
  const items = await parseItemsAsync(text, file, MAX_DOCUMENT_BYTES, out);
  if (!items) return out;
  for (let i = 0; i < items.length; i++) {
    checkItem(items[i], i, Array.isArray(items.doc), file, out);
    if ((i + 1) % CHECK_BATCH === 0) await yieldToLoop();
  }
  return out;
}

/** Array elements checked between two turns of the event loop (a few milliseconds of work). */
const CHECK_BATCH = 256;

function loadFileSync(file: string, noFollow = false): LoadResult {
  try {
    const text = readCapped(file, MAX_ARRAY_FILE_BYTES, noFollow);
    return parsePassportText(text, file);
  } catch (err) {
    return { passports: [], problems: [{ source: file, message: describeFsError(err) }] };
  }
}

export interface LoadProgress {
  (done: number, total: number): void;
}

/** Loads every `*.json` directly inside `dir`. Symlinks that lead outside the directory are refused. */
export async function loadPassportDirectory(dir: string, onProgress?: LoadProgress): Promise<LoadResult> {
  const out: LoadResult = { passports: [], problems: [] };
  let realDir: string;
  let entries: { name: string; link: boolean }[];
  try {
    realDir = await realpath(dir);
    entries = (await readdir(realDir, { withFileTypes: true }))
      .filter((e) => e.name.toLowerCase().endsWith('.json'))
      .map((e) => ({ name: e.name, link: e.isSymbolicLink() }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (err) {
    out.problems.push({ source: dir, message: describeFsError(err) });
    return out;
  }
  if (entries.length > MAX_FILES_PER_DIRECTORY) {
    out.problems.push({ source: dir, message: `holds ${entries.length} JSON files; only the first ${MAX_FILES_PER_DIRECTORY} are read` });
    entries = entries.slice(0, MAX_FILES_PER_DIRECTORY);
  }
  for (let i = 0; i < entries.length; i++) {
    const { name, link } = entries[i]!;
    const file = path.join(dir, name);
    let r: LoadResult;
    if (link && !(await linkStaysInside(file, realDir))) {
      r = { passports: [], problems: [{ source: file, message: 'symlink points outside the passport directory; skipped' }] };
    } else {
      r = loadFileSync(file, !link);
    }
    for (const p of r.passports) out.passports.push(p);
    for (const p of r.problems) out.problems.push(p);
    if ((i + 1) % BATCH === 0 || i + 1 === entries.length) {
      onProgress?.(i + 1, entries.length);
      await yieldToLoop();
    }
  }
  return out;
}

/** A path, file or directory. */
export async function loadPassportPath(p: string, onProgress?: LoadProgress): Promise<LoadResult> {
  try {
    const st = await stat(p);
    if (st.isDirectory()) return await loadPassportDirectory(p, onProgress);
  } catch (err) {
    return { passports: [], problems: [{ source: p, message: describeFsError(err) }] };
  }
  return loadPassportFile(p);
}

export { isInside };

function describeFsError(err: unknown): string {
  if (err instanceof SafeReadError) return err.message;
  const e = err as NodeJS.ErrnoException;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory';
    case 'ELOOP':
      return 'too many levels of symbolic links';
    default:
      return e instanceof Error ? e.message : String(err);
  }
}
