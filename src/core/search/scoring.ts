// Scoring: one function from a query plan to the best k documents. Everything that decides rank lives here, so
// the scorer can be swapped (IntentIndex takes a `scorer` option) without touching analysis or storage.
//
// score(doc) = coverage(doc)^gamma * sum over query terms t of  weight(t) * idf(t) * w(t, doc)
//   w(t, doc)    the precomputed BM25F weight from the postings
//   coverage     the idf-weighted share of the query's words the document answers (directly or via a concept);
//                plain BM25 lets one very rare word outweigh the rest of the intent, which is how it picks the
//                wrong capability for paraphrases
import { K1, type QueryPlan } from './analyze.js';
import type { PostingsPool } from './postings.js';
import { MODALITY } from './vocabulary.js';

export interface ScoringParams {
  /** Query-side weights of the three term kinds. */
  word: number;
  concept: number;
  bigram: number;
  /** How strongly partial coverage of the intent is penalised (0 = plain BM25F). */
  coverageExponent: number;
  /**
   * Factor for a capability that only takes audio/image/video input when the intent mentions none of those
   * ("translate a menu from Japanese" is not a job for speech translation), and for one that neither takes nor makes
   * any of those when the intent mentions one (see isTextOnly in analyze.ts).
   */
  modalityPenalty: number;
  /**
   * Factor for a capability that accepts the audio/image/video the intent mentions ("read the text in a scanned
   * receipt" is a job for a model that takes images, even when its text never says "receipt").
   */
  modalityBonus: number;
}

export const DEFAULT_SCORING: ScoringParams = { word: 1.0, concept: 1.5, bigram: 0.5, coverageExponent: 1, modalityPenalty: 0.6, modalityBonus: 1.4 };

/** What the scorer reads: the postings, liveness, and reusable per-document scratch arrays. */
export interface ScoringView {
  pool: PostingsPool;
  alive: Uint8Array;
  /** Whether any posting belongs to a removed document (else the `alive` test is skipped in the hot loop). */
  deadPostings: boolean;
  /** Per document: MODALITY bits it requires (see requiredModality and requiredByKind), 0 when it accepts text. */
  modality: Uint8Array;
  /** Per document: MODALITY bits it accepts (see acceptedModality). */
  accepts: Uint8Array;
  /** Per document: 1 when it declares its types and neither takes nor makes audio, images or video (isTextOnly). */
  textOnly: Uint8Array;
  liveDocs: number;
  scratch: Scratch;
  /** True when document a should rank before document b on equal scores (slug, then capability id). */
  tieBefore(a: number, b: number): boolean;
}

/**
 * Per-document accumulators (no per-query allocation). A document's first posting writes all four and later ones add
 * to them, so only `fields` (zero means untouched) is reset after a query, through the touched list.
 */
export interface Scratch {
  acc: Float64Array;
  groups: Int32Array;
  terms: Int32Array;
  fields: Int32Array;
  touched: Int32Array;
  /** The per-query coverage table (coverageTable): 4 x 256. */
  coverage: Float64Array;
}

export interface Scored {
  doc: number;
  /** Raw score (see module comment). */
  raw: number;
  /** Normalised to 0..1 against a document that matched every query term strongly. */
  score: number;
  /** Bit i set when query term i (first 31) matched. */
  termMask: number;
  /** Bit mask of FIELDS in which any query term matched. */
  fieldMask: number;
  /** The idf-weighted share of the intent's words this document answers (0..1; 1 when the plan has no groups). */
  coverage: number;
  /** Bit g set when query group g (a content word of the intent) is answered, directly or via a concept. */
  groupMask: number;
}

export type Scorer = (view: ScoringView, plan: QueryPlan, limit: number, accept: (doc: number) => boolean, params: ScoringParams) => Scored[];

/**
 * BM25's idf, dampened by this power. In a registry most passports share a few topics, so a topic's own words
 * ("mcp", "claude") are in many of them and plain idf lets any rarer bystander word of the intent ("app", "offer")
 * outweigh them: "my express app should offer tools to claude over mcp" found a billing API first. The power
 * keeps rare above common but narrows the gap; word informativeness in English (index.ts) still weighs common
 * words down. Chosen on the real development split (MRR 0.857 at 1, 0.866 at 0.5, 0.867 at 0.3, 0.851 at 0).
 */
const IDF_POWER = 0.3;

export function idf(df: number, n: number): number {
  return Math.log(1 + (n - df + 0.5) / (df + 0.5)) ** IDF_POWER;
}

const MEDIA = MODALITY.audio | MODALITY.image | MODALITY.video;

/**
 * The covered weight of any group mask as the sum of four lookups, one per byte: `out[256 * k + b]` is the weight of
 * the groups whose bits are byte b of byte position k. Built once per query (1,024 additions), it replaces a loop
 * over 31 bits (or a Map of masks seen) for each of the thousands of documents a query touches at registry scale.
 */
function coverageTable(groupWeight: Float64Array, out: Float64Array): Float64Array {
  for (let k = 0; k < 4; k++) {
    const base = k << 8;
    out[base] = 0;
    // Each mask is a smaller one plus its highest bit, added last as the bit loop it replaces did: for an intent of
    // at most eight groups the sums are the same to the last bit.
    for (let m = 1; m < 256; m++) {
      const high = 31 - Math.clz32(m);
      out[base + m] = out[base + (m ^ (1 << high))]! + groupWeight[(k << 3) + high]!;
    }
  }
  return out;
}

export const scoreQuery: Scorer = (view, plan, limit, accept, params) => {
  const { pool, alive, scratch } = view;
  const dead = view.deadPostings;
  const { acc, groups, terms, fields, touched } = scratch;
  const n = Math.max(view.liveDocs, 1);
  const pDoc = pool.pDoc;
  const pVal = pool.pVal;
  const pMask = pool.pMask;
  let nTouched = 0;
  const groupWeight = new Float64Array(32);
  let ideal = 0;

  for (let ti = 0; ti < plan.terms.length; ti++) {
    const qt = plan.terms[ti]!;
    const id = qt.id;
    const df = id < 0 ? 0 : pool.df[id]!;
    if (df <= 0) {
      // A word (or a concept) no document has is still part of the intent: it counts as uncovered (at the rarest
      // word's weight), so "file my tax return" does not read as fully answered by a file server, nor "text to
      // image" by a catalogue that has no image generator. For a word every document lacks it, so only the absolute
      // coverage changes; an absent concept whose words some documents have raises its group's weight, which can
      // reorder documents by how much of the rest they cover.
      if (qt.kind !== 'bigram') for (let g = 0; g < 31; g++) if (qt.groups & (1 << g)) groupWeight[g] = Math.max(groupWeight[g]!, idf(0, n) * (qt.prior ?? 1));
      continue;
    }
    const termIdf = idf(df, n) * (qt.prior ?? 1);
    if (qt.kind !== 'bigram') {
      for (let g = 0; g < 31; g++) if (qt.groups & (1 << g)) groupWeight[g] = Math.max(groupWeight[g]!, termIdf);
    }
    const w = qt.weight * termIdf;
    ideal += w * (K1 + 1);
    const tbit = ti < 31 ? 1 << ti : 0;
    const gbits = qt.groups;
    for (let b = pool.firstBlock(id); b >= 0; b = pool.nextBlock(b)) {
      const s = pool.blockStart(b);
      const e = s + pool.blockFill(id, b);
      for (let i = s; i < e; i++) {
        const d = pDoc[i]!;
        if (dead && !alive[d]) continue;
        // Every posting has a field bit (DocumentAnalyzer), so no field bit yet means not touched yet.
        const f = fields[d]!;
        if (f === 0) {
          touched[nTouched++] = d;
          fields[d] = pMask[i]!;
          acc[d] = w * pVal[i]!;
          groups[d] = gbits;
          terms[d] = tbit;
        } else {
          fields[d] = f | pMask[i]!;
          acc[d] = acc[d]! + w * pVal[i]!;
          groups[d] = groups[d]! | gbits;
          terms[d] = terms[d]! | tbit;
        }
      }
    }
  }

  let totalGroup = 0;
  for (let g = 0; g < 32; g++) totalGroup += groupWeight[g]!;
  const covered = coverageTable(groupWeight, scratch.coverage);

  // Top-k by insertion into a small sorted array: k is small (<= 100) and most documents fail the first test.
  const top: Scored[] = [];
  const gamma = params.coverageExponent;
  // Coverage is at most 1 and the modality factors at most this, so once the list is full a document whose
  // accumulated score times this cannot reach the worst kept one is skipped before any per-document work (most
  // touched documents, at registry scale), and the same again once coverage is known. The bonus applies only when
  // the intent names a medium, so most intents get the tighter bound 1. The margin keeps the bound safe from
  // rounding: results are unchanged.
  const bonus = plan.modality !== 0 ? Math.max(1, params.modalityBonus) : 1;
  // The penalty may apply twice (a medium and data), so a penalty above 1 (a bonus in effect) counts squared.
  const bound = bonus * Math.max(1, params.modalityPenalty) ** 2 * (1 + 1e-9);
  let worstRaw = -Infinity;
  for (let t = 0; t < nTouched; t++) {
    const d = touched[t]!;
    let raw = acc[d]!;
    if (raw * bound < worstRaw) continue;
    let share = 1;
    if (totalGroup > 0) {
      const gm = groups[d]!;
      share =
        (covered[gm & 255]! + covered[256 + ((gm >>> 8) & 255)]! + covered[512 + ((gm >>> 16) & 255)]! + covered[768 + ((gm >>> 24) & 255)]!) / totalGroup;
      if (gamma === 1) raw *= share;
      else if (gamma > 0) raw *= Math.pow(share, gamma);
      if (raw * bound < worstRaw) continue;
    }
    // A media requirement is met by any one of its media; the data requirement (a dataset or benchmark) only by an
    // intent asking for data, whatever its media: "classify this photo" is not a request for an image dataset.
    const needs = view.modality[d]!;
    const media = needs & ~MODALITY.data;
    if (media !== 0 && (media & plan.modality) === 0) raw *= params.modalityPenalty;
    if (needs & MODALITY.data && !(plan.modality & MODALITY.data)) raw *= params.modalityPenalty;
    if ((view.accepts[d]! & plan.modality) !== 0) raw *= params.modalityBonus;
    if (plan.modality & MEDIA && view.textOnly[d]) raw *= params.modalityPenalty;
    const full = top.length >= limit;
    if (full) {
      const worst = top[top.length - 1]!;
      if (raw < worst.raw || (raw === worst.raw && !view.tieBefore(d, worst.doc))) continue;
    }
    if (raw <= 0 || !accept(d)) continue;
    const item: Scored = {
      doc: d,
      raw,
      score: ideal > 0 ? Math.min(1, raw / ideal) : 0,
      termMask: terms[d]!,
      fieldMask: fields[d]!,
      coverage: share,
      groupMask: groups[d]!,
    };
    let i = full ? top.length - 1 : top.length;
    if (full) top.pop();
    while (i > 0) {
      const o = top[i - 1]!;
      if (o.raw > raw || (o.raw === raw && !view.tieBefore(d, o.doc))) break;
      i--;
    }
    top.splice(i, 0, item);
    if (top.length >= limit) worstRaw = top[top.length - 1]!.raw;
  }

  for (let t = 0; t < nTouched; t++) fields[touched[t]!] = 0;
  return top;
};
