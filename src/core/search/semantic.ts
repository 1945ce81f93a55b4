// Semantic similarity between an intent and a capability, from static word vectors (word-vectors.ts). Used to
// re-rank the lexical index's best candidates, never to scan the whole index: that keeps a query well under a
// millisecond at 10,000 passports. A capability is compared field by field (its name, its description, each of its
// intents, its best_for) and keeps its best cosine, because one close intent sentence says more than an average
// of everything it does. Field vectors are computed the first time a capability is a candidate and cached.
import type { WordVectors } from './word-vectors.js';

export interface Similarity {
  /** Best cosine of the intent against one field text (0 when nothing is comparable). */
  sim: number;
  /** Index of that text in the capability's field list, or -1. */
  field: number;
}

/**
 * Per-index cache bound, in bytes (a long-running server must not grow without limit, and a capability may have up
 * to 256 intents, so a count of entries bounds nothing). An entry holds each field's unit vector quantised to int8
 * in one buffer, with one scale per field (cosines move by at most 0.0042 over every intent and capability of the
 * labelled real set), and the word rows: ~1.6 KB for a real capability, so ~20,000 of them fit, enough for the
 * candidates of several hundred different recent searches at 10,000 passports. Float vectors took ~5 KB each and
 * the cache was cleared whole when full; with 5,000 of them every search after a clear re-embedded its candidates,
 * which doubled a benchmark's p99.
 */
export const MAX_CACHE_BYTES = 32 * 2 ** 20;
/** What an entry costs besides its arrays' bytes: the entry object, three typed-array headers, the Map slot. */
const ENTRY_OVERHEAD = 600;

interface DocVectors {
  /** Field vectors quantised: field i is `dims` values from i * dims, times scales[i] (0 when no word is known). */
  data: Int8Array;
  scales: Float32Array;
  /** Rows of the distinct known content words of all fields (for word-level closeness). */
  words: Int32Array;
}

export class SemanticRanker {
  private readonly cache = new Map<number, DocVectors>();
  private bytes = 0;
  // nearness(): per word of the table, the search that last saw it and its slot there (allocated on first use).
  private seen: Int32Array | undefined;
  private slot: Int32Array | undefined;
  private generation = 0;

  /** `textsOf(doc)`: the field texts of a capability, in a stable order (see IntentIndex). */
  constructor(
    readonly vectors: WordVectors,
    private readonly textsOf: (doc: number) => string[],
    private readonly maxBytes = MAX_CACHE_BYTES,
  ) {}

  /** Entries and bytes the cache holds now (tests and benchmarks). */
  cacheStats(): { entries: number; bytes: number } {
    return { entries: this.cache.size, bytes: this.bytes };
  }

  query(intent: string): Float32Array | undefined {
    return this.vectors.embed(intent);
  }

  private doc(doc: number): DocVectors {
    let v = this.cache.get(doc);
    if (v) {
      // Least recently used goes first: a Map iterates in insertion order, so a hit moves to the end.
      this.cache.delete(doc);
      this.cache.set(doc, v);
      return v;
    }
    const texts = this.textsOf(doc);
    v = this.quantise(texts);
    // The least recently used entries go first, one at a time, so the candidates of recent searches stay.
    const size = entryBytes(v);
    for (const [old, entry] of this.cache) {
      if (this.bytes + size <= this.maxBytes) break;
      this.cache.delete(old);
      this.bytes -= entryBytes(entry);
    }
    this.cache.set(doc, v);
    this.bytes += size;
    return v;
  }

  /**
   * For one search: how close in meaning a capability comes to each of `words` it does not contain, as
   * `near(k, doc)`, the best cosine of `words[k]` against any word of the capability ("mailboxes" ~ "email"); -1 for a
   * word the table does not know. The candidates of one search share most of their words (near-duplicate servers, a
   * vendor's family of models), so each pair of words is compared once per search, not once per candidate. The
   * function is good until the next call of `nearness` on this ranker (one search at a time: searches are synchronous).
   */
  nearness(words: readonly string[]): (k: number, doc: number) => number {
    const v = this.vectors;
    const rows = words.map((w) => v.row(w));
    const n = words.length;
    if (++this.generation >= 2 ** 31 - 1) {
      this.seen?.fill(0);
      this.generation = 1;
    }
    const generation = this.generation;
    const seen = (this.seen ??= new Int32Array(v.count));
    const slot = (this.slot ??= new Int32Array(v.count));
    // Cosines by (slot of the capability's word, k), NaN until computed; slots are given in first-seen order.
    let cos = new Float64Array(n * 64).fill(NaN);
    let used = 0;
    return (k, doc) => {
      const q = rows[k]!;
      if (q < 0) return -1;
      const own = this.doc(doc).words;
      let best = -1;
      for (let i = 0; i < own.length; i++) {
        const r = own[i]!;
        if (seen[r] !== generation) {
          seen[r] = generation;
          slot[r] = used++;
          if (used * n > cos.length) {
            const grown = new Float64Array(cos.length * 2).fill(NaN);
            grown.set(cos);
            cos = grown;
          }
        }
        const at = slot[r]! * n + k;
        let c = cos[at]!;
        if (c !== c) c = cos[at] = v.cosine(q, r);
        if (c > best) best = c;
      }
      return best;
    };
  }

  similarity(q: Float32Array, doc: number): Similarity {
    const { data, scales } = this.doc(doc);
    const dims = this.vectors.dims;
    let best = 0;
    let field = -1;
    for (let i = 0; i < scales.length; i++) {
      const scale = scales[i]!;
      if (scale === 0) continue;
      let c = 0;
      for (let d = 0, o = i * dims; d < dims; d++, o++) c += q[d]! * data[o]!;
      c *= scale;
      if (c > best) {
        best = c;
        field = i;
      }
    }
    return { sim: best, field };
  }

  private quantise(texts: readonly string[]): DocVectors {
    const dims = this.vectors.dims;
    const data = new Int8Array(texts.length * dims);
    const scales = new Float32Array(texts.length);
    const v = new Float32Array(dims);
    texts.forEach((t, i) => {
      if (!this.vectors.embed(t, v)) return;
      let max = 0;
      for (let d = 0; d < dims; d++) max = Math.max(max, Math.abs(v[d]!));
      if (max === 0) return;
      scales[i] = max / 127;
      for (let d = 0, o = i * dims; d < dims; d++, o++) data[o] = Math.round((v[d]! / max) * 127);
    });
    return { data, scales, words: this.vectors.rowsOf(texts) };
  }

  forget(doc: number): void {
    const v = this.cache.get(doc);
    if (!v) return;
    this.cache.delete(doc);
    this.bytes -= entryBytes(v);
  }
}

function entryBytes(v: DocVectors): number {
  return v.data.byteLength + v.scales.byteLength + v.words.byteLength + ENTRY_OVERHEAD;
}
