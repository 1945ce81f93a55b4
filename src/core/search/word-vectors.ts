// Static word vectors for semantic matching: a table distilled from GloVe (scripts/distil-word-vectors.mjs,
// data/word-vectors.bin: 50,000 most frequent English words, 100 dimensions, int8). It gives intent search what
// the lexical index cannot: that "mailbox" is near "email" and "picture" near "image", and it is the dictionary
// for typo repair ("transcrbe a meetng"), with the next 100,000 words (data/more-words.txt, no vectors) as words
// not to repair. Loaded lazily by the index on its first search, never at start.
import { readFileSync } from 'node:fs';
import { packageFile } from '../version.js';
import { type Int8Dot, int8Dot } from './int8-dot.js';
import { SKIP_WORDS, STOP_WORDS, tokenize } from './text.js';

export const WORD_VECTORS_PATH = packageFile('data/word-vectors.bin');
/**
 * The next 100,000 words of GloVe's vocabulary by frequency, without vectors (scripts/distil-word-vectors.mjs): so
 * typo repair leaves a correctly spelt word the table lacks as it is ("login" was read as "logic", "lidar" as "liar").
 */
export const MORE_WORDS_PATH = packageFile('data/more-words.txt');

const MAGIC = 'PMWV';
/** Longest word the typo repair considers; longer tokens are identifiers, not misspellings. */
const MAX_REPAIR_LEN = 20;

export class WordVectors {
  readonly dims: number;
  readonly count: number;
  private readonly rows = new Map<string, number>();
  private readonly data: Int8Array;
  /** 1 / |row| for each row, so a sum of unit vectors needs no sqrt per word. */
  private readonly inv: Float32Array;
  private more: WordList | undefined;
  /** The WebAssembly dot product (int8-dot.ts), made on the first cosine; null where it is unavailable. */
  private kernel: Int8Dot | null | undefined;

  /** `moreWords`: reads the words known beyond the table's rows, on the first word the table lacks. */
  constructor(
    buf: Uint8Array,
    private readonly moreWords: () => WordList = () => new WordList(''),
  ) {
    // Security: the table is our own package file, but a damaged one must fail clearly, not read out of range.
    if (buf.length < 16 || Buffer.from(buf.subarray(0, 4)).toString('ascii') !== MAGIC || buf[4] !== 1) throw new Error('word vectors: not a PMWV v1 file');
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.dims = buf[5]!;
    this.count = view.getUint32(8, true);
    const wordBytes = view.getUint32(12, true);
    if (16 + wordBytes + this.count * this.dims !== buf.length) throw new Error('word vectors: truncated file');
    const words = Buffer.from(buf.subarray(16, 16 + wordBytes))
      .toString('utf8')
      .split('\n');
    if (words.length !== this.count) throw new Error('word vectors: word count mismatch');
    const start = 16 + wordBytes;
    // A view of exactly the matrix bytes (a small Node Buffer may live inside a shared pool: offsets, not .buffer).
    this.data = new Int8Array(buf.buffer, buf.byteOffset + start, this.count * this.dims);
    this.inv = new Float32Array(this.count);
    for (let r = 0; r < this.count; r++) {
      this.rows.set(words[r]!, r);
      let s = 0;
      for (let d = 0, o = r * this.dims; d < this.dims; d++, o++) s += this.data[o]! * this.data[o]!;
      this.inv[r] = s > 0 ? 1 / Math.sqrt(s) : 0;
    }
  }

  /** Whether a word is English as far as GloVe knows: a row of the table, or one of the words beyond it. */
  isWord(word: string): boolean {
    if (this.rows.has(word)) return true;
    this.more ??= this.moreWords();
    return this.more.has(word);
  }

  /** Row of a word (its frequency rank), or -1. */
  row(word: string): number {
    return this.rows.get(word) ?? -1;
  }

  /**
   * The unit-normalised, weighted mean of the content words' vectors of a text, or undefined when no word is
   * known. Rarer words weigh more (log of the frequency rank), as in SIF-style sentence embeddings.
   */
  embed(text: string, out?: Float32Array): Float32Array | undefined {
    const v = out ?? new Float32Array(this.dims);
    v.fill(0);
    let n = 0;
    for (const w of tokenize(text)) {
      if (STOP_WORDS.has(w) || SKIP_WORDS.has(w)) continue;
      const r = this.rows.get(w);
      if (r === undefined) continue;
      const k = this.inv[r]! * Math.log(2 + r);
      for (let d = 0, o = r * this.dims; d < this.dims; d++, o++) v[d] = v[d]! + k * this.data[o]!;
      n++;
    }
    if (n === 0) return undefined;
    let s = 0;
    for (let d = 0; d < this.dims; d++) s += v[d]! * v[d]!;
    const inv = 1 / Math.sqrt(s);
    for (let d = 0; d < this.dims; d++) v[d] = v[d]! * inv;
    return v;
  }

  /** Rows of the distinct known content words of some texts. */
  rowsOf(texts: readonly string[]): Int32Array {
    const seen = new Set<number>();
    for (const t of texts)
      for (const w of tokenize(t)) {
        if (STOP_WORDS.has(w) || SKIP_WORDS.has(w)) continue;
        const r = this.rows.get(w);
        if (r !== undefined) seen.add(r);
      }
    return Int32Array.from(seen);
  }

  /** Cosine of two rows of the table. */
  cosine(a: number, b: number): number {
    // The table is copied for the kernel on the first comparison (~5 MB, a few ms), never at load.
    if (this.kernel === undefined) this.kernel = int8Dot(this.data, this.count, this.dims) ?? null;
    const dot = this.kernel ? this.kernel.dot(a, b) : this.dot(a, b);
    return dot * this.inv[a]! * this.inv[b]!;
  }

  /** The dot product of two rows in JavaScript: where WebAssembly SIMD is missing, and the kernel's reference. */
  dot(a: number, b: number): number {
    const dims = this.dims;
    const data = this.data;
    const ao = a * dims;
    const bo = b * dims;
    // Four lanes per step, which V8 runs ~1.3x faster than one; the tail handles dims not a multiple of 4.
    const end4 = dims - (dims % 4);
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d = 0;
    for (; d < end4; d += 4) {
      s0 += data[ao + d]! * data[bo + d]!;
      s1 += data[ao + d + 1]! * data[bo + d + 1]!;
      s2 += data[ao + d + 2]! * data[bo + d + 2]!;
      s3 += data[ao + d + 3]! * data[bo + d + 3]!;
    }
    for (; d < dims; d++) s0 += data[ao + d]! * data[bo + d]!;
    return s0 + s1 + s2 + s3;
  }

  /**
   * Repairs a likely typo: among the words at edit distance 1 (one insertion, deletion, substitution or adjacent
   * swap) this table knows, the first that `preferred` accepts, most frequent first, else the most frequent.
   * Undefined when the word is known (isWord) or nothing fits. Generates the ~54n variants and looks them up (no scan
   * of the vocabulary).
   */
  repair(word: string, preferred: (candidate: string) => boolean): string | undefined {
    const n = word.length;
    if (n < 4 || n > MAX_REPAIR_LEN || !/^[a-z]+$/.test(word) || this.isWord(word)) return undefined;
    const known: [string, number][] = [];
    for (const c of typoCandidates(word)) {
      const r = this.rows.get(c);
      if (r !== undefined) known.push([c, r]);
    }
    known.sort((x, y) => x[1] - y[1]);
    return (known.find(([c]) => preferred(c)) ?? known[0])?.[0];
  }
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/**
 * The strings a typo of `w` may have been meant as: edit distance 1 (editsOne), the same first letter, and four
 * letters or more. People rarely mistype a word's first letter, and a different first letter is most often a
 * different word ("figma" is not "sigma", nor "zapier" "napier"); nor is a repair shorter than four letters sure
 * ("eval" as "eva", "devs" as "des"). Both typo repairs draw on this: the table's (repair) and the index's stems.
 */
export function typoCandidates(w: string): string[] {
  return editsOne(w).filter((c) => c[0] === w[0] && c.length >= 4);
}

/** Every distinct string at Damerau-Levenshtein distance 1 from a lower-case word. */
export function editsOne(w: string): string[] {
  const out = new Set<string>();
  for (let i = 0; i <= w.length; i++) {
    const a = w.slice(0, i);
    const b = w.slice(i);
    if (b) out.add(a + b.slice(1));
    if (b.length > 1) out.add(a + b[1] + b[0] + b.slice(2));
    for (const ch of LETTERS) {
      if (b && ch !== b[0]) out.add(a + ch + b.slice(1));
      out.add(a + ch + b);
    }
  }
  out.delete(w);
  return [...out];
}

/** Reads the shipped table (about 5 MB, ~50 ms); the words beyond it (0.8 MB, ~10 ms) only when a word is not in it. */
export function loadWordVectors(file = WORD_VECTORS_PATH, moreFile = MORE_WORDS_PATH): WordVectors {
  return new WordVectors(readFileSync(file), () => {
    try {
      return new WordList(readFileSync(moreFile, 'latin1'));
    } catch {
      // A missing list costs the check (a rare word may be repaired into a commoner one), never a search.
      return new WordList('');
    }
  });
}

/**
 * A sorted word list (one per line, in code-unit order, as data/more-words.txt is written) searched in place: one
 * string and two offsets per word, so reading 100,000 words costs ~10 ms instead of ~80 ms for a Set of them. An
 * unsorted list only makes lookups miss; a checkout that turned the line ends into CRLF reads the same.
 */
export class WordList {
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;

  constructor(private readonly text: string) {
    const starts: number[] = [];
    const ends: number[] = [];
    for (let p = 0; p < text.length;) {
      const e = text.indexOf('\n', p);
      const next = e < 0 ? text.length : e;
      const end = next > p && text.charCodeAt(next - 1) === 13 ? next - 1 : next;
      if (end > p) {
        starts.push(p);
        ends.push(end);
      }
      p = next + 1;
    }
    this.starts = Int32Array.from(starts);
    this.ends = Int32Array.from(ends);
  }

  get size(): number {
    return this.starts.length;
  }

  has(word: string): boolean {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = this.compare(mid, word);
      if (c === 0) return true;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  /** Entry i against a word, in code-unit order. */
  private compare(i: number, word: string): number {
    const s = this.starts[i]!;
    const e = this.ends[i]!;
    const n = Math.min(e - s, word.length);
    for (let k = 0; k < n; k++) {
      const d = this.text.charCodeAt(s + k) - word.charCodeAt(k);
      if (d !== 0) return d;
    }
    return e - s - word.length;
  }
}
