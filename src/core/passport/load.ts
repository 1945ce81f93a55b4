// Loading passports from files, directories of *.json, and JSON arrays. One bad document never stops the others:
// each problem is returned with the file (and array index) it came from, and the caller logs it.
import { lstat, open, readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStrictJson, MAX_DOCUMENT_BYTES, StrictJsonError } from '../strict-json.js';
import { PassportSchema, unwrapPassport, type LoadedPassport } from './schema.js';

/** A JSON file holding an array of passports may be larger than one document. */
export const MAX_ARRAY_FILE_BYTES = 64 * 1024 * 1024;
export const MAX_FILES_PER_DIRECTORY = 100_000;
const READ_CONCURRENCY = 32;

export const BUILTIN_PASSPORT_PATH = fileURLToPath(new URL('../../../passports/mistral-small-3.1.passport.json', import.meta.url));

export interface LoadProblem {
  source: string;
  message: string;
}

export interface LoadResult {
  passports: LoadedPassport[];
  problems: LoadProblem[];
}

/** Validates one parsed document (an envelope, a bare passport) into a LoadedPassport, or explains why not. */
export function toLoadedPassport(doc: unknown, source: string): LoadedPassport {
  const raw = unwrapPassport(doc);
  if (!raw) throw new StrictJsonError('not a passport: no "passport" envelope and no "unfragile" object');
  const parsed = PassportSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const where = first?.path.length ? first.path.join('.') : '(root)';
    throw new StrictJsonError(`schema: ${where}: ${first?.message ?? 'invalid'}${parsed.error.issues.length > 1 ? ` (+${parsed.error.issues.length - 1} more)` : ''}`);
  }
  return { slug: parsed.data.unfragile.artifact.slug, passport: parsed.data, raw, source };
}

/** Parses document text: a passport, an envelope, or an array of either. Array elements fail one by one. */
export function parsePassportText(text: string, source: string, maxBytes = MAX_DOCUMENT_BYTES): LoadResult {
  const passports: LoadedPassport[] = [];
  const problems: LoadProblem[] = [];
  let doc: unknown;
  try {
    const isArray = text.trimStart().startsWith('[');
    doc = parseStrictJson(text, { maxBytes: isArray ? Math.max(maxBytes, MAX_ARRAY_FILE_BYTES) : maxBytes });
  } catch (err) {
    problems.push({ source, message: (err as Error).message });
    return { passports, problems };
  }
  const items = Array.isArray(doc) ? doc : [doc];
  items.forEach((item, i) => {
    const where = Array.isArray(doc) ? `${source}[${i}]` : source;
    try {
      passports.push(toLoadedPassport(item, where));
    } catch (err) {
      problems.push({ source: where, message: (err as Error).message });
    }
  });
  return { passports, problems };
}

async function readCapped(file: string, cap: number): Promise<string> {
  // Security: read through one handle, checking the size of what we opened, not of what the path names now.
  const fh = await open(file, 'r');
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new StrictJsonError('not a regular file');
    if (st.size > cap) throw new StrictJsonError(`file is ${st.size} bytes, over the ${cap}-byte limit`);
    return await fh.readFile('utf8');
  } finally {
    await fh.close();
  }
}

export async function loadPassportFile(file: string): Promise<LoadResult> {
  try {
    const text = await readCapped(file, MAX_ARRAY_FILE_BYTES);
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
  let names: string[];
  try {
    realDir = await realpath(dir);
    names = (await readdir(realDir)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
  } catch (err) {
    out.problems.push({ source: dir, message: describeFsError(err) });
    return out;
  }
  if (names.length > MAX_FILES_PER_DIRECTORY) {
    out.problems.push({ source: dir, message: `holds ${names.length} JSON files; only the first ${MAX_FILES_PER_DIRECTORY} are read` });
    names = names.slice(0, MAX_FILES_PER_DIRECTORY);
  }
  const results: LoadResult[] = new Array(names.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      const file = path.join(dir, names[i]!);
      results[i] = await loadContainedFile(file, realDir);
      done++;
      onProgress?.(done, names.length);
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, names.length) }, worker));
  for (const r of results) {
    out.passports.push(...r.passports);
    out.problems.push(...r.problems);
  }
  return out;
}

async function loadContainedFile(file: string, realDir: string): Promise<LoadResult> {
  try {
    const st = await lstat(file);
    if (st.isSymbolicLink()) {
      const target = await realpath(file);
      // Security: a link in a passport directory must not pull in files from elsewhere.
      if (!isInside(target, realDir)) {
        return { passports: [], problems: [{ source: file, message: 'symlink points outside the passport directory; skipped' }] };
      }
    }
  } catch (err) {
    return { passports: [], problems: [{ source: file, message: describeFsError(err) }] };
  }
  return loadPassportFile(file);
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

export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(parent, child);
  // Security: compare path segments, so /data/img-evil is not inside /data/img and "..x" names stay inside.
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}

function describeFsError(err: unknown): string {
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
