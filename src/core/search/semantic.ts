// Semantic similarity between an intent and a capability, from static word vectors (word-vectors.ts). Used to
// re-rank the lexical index's best candidates, never to scan the whole index: that keeps a query well under a
// millisecond at 10,000 passports. A capability is compared field by field (its name, its description, each of its
// intents, its best_for) and keeps its best cosine, because one close intent sentence says more than an average
// of everything it does. Field vectors are computed the first time a capability is a candidate and cached.
import { cosine, type WordVectors } from './word-vectors.js';

export interface Similarity {
  /** Best cosine of the intent against one field text (0 when nothing is comparable). */
  sim: number;
  /** Index of that text in the capability's field list, or -1. */
  field: number;
}

/**
 * Per-index cache bound: beyond it the cache starts over (a long-running server must not grow without limit).
 * One entry is ~3 KB (a few 100-d vectors and the word rows), so this is ~15 MB at most.
 */
const MAX_CACHED_DOCS = 5_000;

interface DocVectors {
  /** Unit vector of each field text (EMPTY when no word of it is known). */
  fields: Float32Array[];
  /** Rows of the distinct known content words of all fields (for word-level closeness). */
  words: Int32Array;
}

export class SemanticRanker {
  private readonly cache = new Map<number, DocVectors>();

  /** `textsOf(doc)`: the field texts of a capability, in a stable order (see IntentIndex). */
  constructor(
    readonly vectors: WordVectors,
    private readonly textsOf: (doc: number) => string[],
  ) {}

  query(intent: string): Float32Array | undefined {
    return this.vectors.embed(intent);
  }

  private doc(doc: number): DocVectors {
    let v = this.cache.get(doc);
    if (!v) {
      const texts = this.textsOf(doc);
      v = { fields: texts.map((t) => this.vectors.embed(t) ?? EMPTY), words: this.vectors.rowsOf(texts) };
      if (this.cache.size >= MAX_CACHED_DOCS) this.cache.clear();
      this.cache.set(doc, v);
    }
    return v;
  }

  /**
   * How close in meaning a capability comes to words of the intent it does not contain: for each word, the best
   * cosine against any word of the capability ("mailboxes" ~ "email"). -1 for a word the table does not know.
   */
  nearestWords(words: readonly string[], doc: number): number[] {
    const rows = this.doc(doc).words;
    return words.map((w) => this.vectors.bestCosine(w, rows));
  }

  similarity(q: Float32Array, doc: number): Similarity {
    const fields = this.doc(doc).fields;
    let best = 0;
    let field = -1;
    fields.forEach((f, i) => {
      if (f === EMPTY) return;
      const c = cosine(q, f);
      if (c > best) {
        best = c;
        field = i;
      }
    });
    return { sim: best, field };
  }

  forget(doc: number): void {
    this.cache.delete(doc);
  }
}

const EMPTY = new Float32Array(0);
