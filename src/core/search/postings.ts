// The inverted index storage: term -> postings (document id, precomputed term weight, field bit mask), kept in a
// few large typed arrays instead of one JS array per term. At registry scale there are hundreds of thousands of
// terms (bigrams included); per-term arrays would cost more in object headers than the postings themselves.
//
// Each term's postings are a chain of blocks in one shared pool. Block sizes double (2, 4, 8 ... 4096), so
// appends are O(1), traversal is mostly sequential, and at most half of a term's last block is slack.
// Documents are appended with increasing ids, so every chain is sorted by id. Removal is by tombstone (the
// caller keeps an `alive` array); `compact()` rewrites the pool without dead postings.

const FIRST_BLOCK = 2;
/** Word term ids stay below 2^26 (67M terms), so two of them pack exactly into one double. */
const PAIR_SHIFT = 2 ** 26;
const MAX_BLOCK = 4096;

export class PostingsPool {
  /** term string -> term id */
  private readonly ids = new Map<string, number>();
  /** (first word id, second word id) packed into one number -> bigram term id; no string per bigram. */
  private readonly pairs = new Map<number, number>();
  // Per term.
  private first = new Int32Array(1024);
  private last = new Int32Array(1024);
  private lastFill = new Int32Array(1024);
  /** Live document frequency (the caller decrements it on removal). */
  df = new Int32Array(1024);
  private termCount = 0;
  // Per block.
  private bStart = new Int32Array(1024);
  private bCap = new Int32Array(1024);
  private bNext = new Int32Array(1024);
  private blockCount = 0;
  // Per posting.
  pDoc = new Int32Array(4096);
  pVal = new Float32Array(4096);
  pMask = new Uint16Array(4096);
  private used = 0;

  get terms(): number {
    return this.termCount;
  }

  get postings(): number {
    return this.used;
  }

  /** Approximate bytes held by the typed arrays (for benchmarks). */
  get bytes(): number {
    return this.first.byteLength * 4 + this.bStart.byteLength * 3 + this.pDoc.byteLength + this.pVal.byteLength + this.pMask.byteLength;
  }

  termId(term: string): number | undefined {
    return this.ids.get(term);
  }

  /** The bigram term of two word term ids, if any document has it. */
  pairId(a: number, b: number): number | undefined {
    return this.pairs.get(a * PAIR_SHIFT + b);
  }

  ensurePair(a: number, b: number): number {
    const key = a * PAIR_SHIFT + b;
    let id = this.pairs.get(key);
    if (id === undefined) {
      id = this.newTerm();
      this.pairs.set(key, id);
    }
    return id;
  }

  /** The id of `term`, creating an empty postings list if it is new. */
  ensureTerm(term: string): number {
    let id = this.ids.get(term);
    if (id === undefined) {
      id = this.newTerm();
      this.ids.set(term, id);
    }
    return id;
  }

  private newTerm(): number {
    const id = this.termCount++;
    if (id >= this.first.length) {
      const n = this.first.length * 2;
      this.first = grow(this.first, n);
      this.last = grow(this.last, n);
      this.lastFill = grow(this.lastFill, n);
      this.df = grow(this.df, n);
    }
    this.first[id] = -1;
    this.last[id] = -1;
    this.lastFill[id] = 0;
    this.df[id] = 0;
    return id;
  }

  /** Appends a posting; `doc` must not be smaller than the last doc appended to this term. */
  append(term: number, doc: number, val: number, mask: number): void {
    let b = this.last[term]!;
    if (b < 0 || this.lastFill[term] === this.bCap[b]) {
      const cap = b < 0 ? FIRST_BLOCK : Math.min(this.bCap[b]! * 2, MAX_BLOCK);
      const nb = this.newBlock(cap);
      if (b < 0) this.first[term] = nb;
      else this.bNext[b] = nb;
      this.last[term] = nb;
      this.lastFill[term] = 0;
      b = nb;
    }
    const at = this.bStart[b]! + this.lastFill[term]!;
    this.pDoc[at] = doc;
    this.pVal[at] = val;
    this.pMask[at] = mask;
    this.lastFill[term]!++;
    this.df[term]!++;
  }

  /**
   * Calls `visit(start, end)` for each filled range of `term`'s postings in the pool arrays. Ranges rather than
   * single postings keep the hot loop in the caller free of a callback per posting.
   */
  forEachRange(term: number, visit: (start: number, end: number) => void): void {
    const lastB = this.last[term]!;
    for (let b = this.first[term]!; b >= 0; b = this.bNext[b]!) {
      const s = this.bStart[b]!;
      visit(s, s + (b === lastB ? this.lastFill[term]! : this.bCap[b]!));
    }
  }

  /** Block chain access for hot loops: first block, or -1. */
  firstBlock(term: number): number {
    return this.first[term]!;
  }

  /** The next block, or -1. */
  nextBlock(b: number): number {
    return this.bNext[b]!;
  }

  blockStart(b: number): number {
    return this.bStart[b]!;
  }

  /** Filled length of block `b` of `term`. */
  blockFill(term: number, b: number): number {
    return b === this.last[term] ? this.lastFill[term]! : this.bCap[b]!;
  }

  /** Rewrites every chain as one exact-size block, dropping postings whose doc is not alive. */
  compact(alive: Uint8Array): void {
    const live = new Int32Array(this.termCount);
    let total = 0;
    for (let t = 0; t < this.termCount; t++) {
      let n = 0;
      this.forEachRange(t, (s, e) => {
        for (let i = s; i < e; i++) if (alive[this.pDoc[i]!]) n++;
      });
      live[t] = n;
      total += n;
    }
    const doc = new Int32Array(Math.max(4096, total + (total >> 2)));
    const val = new Float32Array(doc.length);
    const mask = new Uint16Array(doc.length);
    const bStart = new Int32Array(Math.max(1024, this.termCount));
    const bCap = new Int32Array(bStart.length);
    const bNext = new Int32Array(bStart.length);
    let at = 0;
    let blocks = 0;
    for (let t = 0; t < this.termCount; t++) {
      const n = live[t]!;
      if (n === 0) {
        this.first[t] = -1;
        this.last[t] = -1;
        this.lastFill[t] = 0;
        continue;
      }
      const b = blocks++;
      bStart[b] = at;
      bCap[b] = n;
      bNext[b] = -1;
      this.forEachRange(t, (s, e) => {
        for (let i = s; i < e; i++) {
          if (!alive[this.pDoc[i]!]) continue;
          doc[at] = this.pDoc[i]!;
          val[at] = this.pVal[i]!;
          mask[at] = this.pMask[i]!;
          at++;
        }
      });
      this.first[t] = b;
      this.last[t] = b;
      this.lastFill[t] = n;
    }
    this.pDoc = doc;
    this.pVal = val;
    this.pMask = mask;
    this.used = at;
    this.bStart = bStart;
    this.bCap = bCap;
    this.bNext = bNext;
    this.blockCount = blocks;
  }

  private newBlock(cap: number): number {
    const b = this.blockCount++;
    if (b >= this.bStart.length) {
      const n = this.bStart.length * 2;
      this.bStart = grow(this.bStart, n);
      this.bCap = grow(this.bCap, n);
      this.bNext = grow(this.bNext, n);
    }
    if (this.used + cap > this.pDoc.length) {
      const n = Math.max(this.pDoc.length * 2, this.used + cap);
      this.pDoc = grow(this.pDoc, n);
      this.pVal = grow(this.pVal, n);
      this.pMask = grow(this.pMask, n);
    }
    this.bStart[b] = this.used;
    this.bCap[b] = cap;
    this.bNext[b] = -1;
    this.used += cap;
    return b;
  }
}

function grow<T extends Int32Array | Float32Array | Uint16Array | Uint8Array>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}
