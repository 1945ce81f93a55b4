// The intent index: capabilities of every loaded passport, searchable by a free-text intent ("turn my meeting
// recording into a transcript"). Built incrementally: `add` analyses one passport and appends its postings, so
// the index is ready as soon as loading finishes and stays current when the registry adds passports later.
//
// Pieces: text.ts (tokens, stems), vocabulary.ts (concepts of the AI-task domain), analyze.ts (fields -> weighted
// terms), postings.ts (typed-array inverted index), scoring.ts (the one lexical scoring function), semantic.ts and
// word-vectors.ts (meaning: re-ranking the lexical candidates, typo repair), confidence.ts (calibrated confidence).
// This file owns the documents (one per capability), filters, the hybrid order, tie order and reasons.
import type { Capability, LoadedPassport } from '../passport/schema.js';
import {
  acceptedModality,
  analyzeQuery,
  createAnalyzerContext,
  DocumentAnalyzer,
  FIELDS,
  isTextOnly,
  requiredByKind,
  requiredModality,
  type AnalyzerContext,
  type QueryPlan,
} from './analyze.js';
import { PostingsPool } from './postings.js';
import { DEFAULT_SCORING, idf, scoreQuery, type Scored, type Scorer, type ScoringParams, type ScoringView, type Scratch } from './scoring.js';
import { confidenceOf, CONFIDENCE_WEIGHTS, FIRST_CONFIDENCE_WEIGHTS, smallCatalogueShift, type MatchFeatures } from './confidence.js';
import { SemanticRanker } from './semantic.js';
import { SKIP_WORDS, STOP_WORDS, StemCache, stemWord, tokenize } from './text.js';
import { compileVocabulary, CONCEPTS, type Concept } from './vocabulary.js';
import { loadWordVectors, typoCandidates, type WordVectors } from './word-vectors.js';

export interface SearchFilters {
  /** Keep capabilities whose input_types mention this (case-insensitive substring, e.g. "image"). */
  input_type?: string;
  /** Keep capabilities whose output_types mention this. */
  output_type?: string;
  /** Keep only artifacts whose passport says verified (artifact.verified or trust.verified). */
  verified_only?: boolean;
  /** Keep only artifacts with trust.score >= this (0..100). */
  min_trust_score?: number;
}

export interface SearchOptions extends SearchFilters {
  limit?: number;
}

export interface SearchMatch {
  /** The ranking score in [0, 1]: lexical relevance blended with closeness in meaning. Orders matches of one search. */
  score: number;
  /**
   * Calibrated probability in [0, 1] that this capability serves the intent: among matches at >= 0.5
   * (DEFAULT_MIN_CONFIDENCE) at least 90 % served the intent on held-out real registry intents. Comparable across
   * searches; the index never drops a match for it (the caller applies a threshold). Never higher than the
   * confidence of the match ranked before it, and the same whatever the limit asked for.
   */
  confidence: number;
  /** A short human reason, e.g. 'matched "meeting", "recording" ~ audio; close in meaning to intent "…" (0.81)'. */
  reason: string;
  passport: LoadedPassport;
  capability: Capability;
}

export interface IntentIndexOptions {
  /** Replaces the scoring function (see scoring.ts). */
  scorer?: Scorer;
  /** Overrides of the default scoring parameters. */
  params?: Partial<ScoringParams>;
  /** Replaces the curated vocabulary (tests and experiments). */
  concepts?: readonly Concept[];
  /**
   * Word vectors for semantic re-ranking and typo repair. Default: the shipped table, read on the first search
   * (never at construction, so building the index at start costs nothing). `false` turns meaning off (lexical only).
   */
  vectors?: WordVectors | false;
  /** Share of closeness in meaning in the hybrid ranking score (0..1). */
  semanticWeight?: number;
  /** Logistic weights of the confidence models (see confidence.ts), first match and the rest; for calibration. */
  confidenceWeights?: { first: readonly number[]; rest: readonly number[] };
}

/** A match with the features its confidence was computed from (for calibration and benchmarks). */
export interface RankedMatch extends SearchMatch {
  features: MatchFeatures;
}

export const DEFAULT_LIMIT = 5;
/** The field bit of a capability's name (FIELDS order). */
const NAME_FIELD = 1 << FIELDS.findIndex((f) => f.name === 'name');
/** How many lexical candidates the semantic re-ranking looks at. */
const RERANK_DEPTH = 15;
/** Default share of meaning in the hybrid ranking score. */
const SEMANTIC_WEIGHT = 0.4;
/** Word-level closeness is computed for this many leading matches (it costs ~10 µs a word); later ones use coverage. */
const CLOSENESS_DEPTH = 10;
/** Documents added since the last search that are inserted into the tie order one by one rather than sorted. */
const TIE_INSERT_MAX = 64;
/** Cosine of two words below which they count as unrelated, and above which as the same need. */
const CLOSE_FROM = 0.3;
const CLOSE_TO = 0.8;
/** Unknown words of one intent that typo repair tries (each looks up a few hundred variants). */
const MAX_REPAIR_ATTEMPTS = 6;
/** Words this short are repaired only into words the index or the concept vocabulary reads (see understand). */
const SHORT_WORD = 4;
export const MAX_LIMIT = 100;
/** Intents are bounded upstream (2000 chars); this keeps the core safe on its own. */
const MAX_INTENT_CHARS = 4000;
/** Compact the postings when this share of them belongs to removed documents. */
const COMPACT_DEAD_SHARE = 0.3;

/** What the search filters read of a capability (see filterPredicate). */
export interface FilterFacts {
  trust: number | undefined;
  verified: boolean;
  /** The input and output types, joined by newlines and lower-cased (a filter matches a substring). */
  inputTypes: string;
  outputTypes: string;
}

export function filterFacts(p: LoadedPassport, cap: Capability): FilterFacts {
  const u = p.passport.unfragile;
  return {
    trust: typeof u.trust?.score === 'number' && Number.isFinite(u.trust.score) ? u.trust.score : undefined,
    verified: u.artifact.verified === true || u.trust?.verified === true,
    inputTypes: (cap.input_types ?? []).join('\n').toLowerCase(),
    outputTypes: (cap.output_types ?? []).join('\n').toLowerCase(),
  };
}

/**
 * The search filters as one predicate, for the index's documents and the registry's matches alike; undefined when
 * no filter is set.
 */
export function filterPredicate(opts: SearchFilters): ((f: FilterFacts) => boolean) | undefined {
  const input = opts.input_type?.trim().toLowerCase() || undefined;
  const output = opts.output_type?.trim().toLowerCase() || undefined;
  const verifiedOnly = opts.verified_only === true;
  const minTrust = typeof opts.min_trust_score === 'number' && Number.isFinite(opts.min_trust_score) ? opts.min_trust_score : undefined;
  if (!input && !output && !verifiedOnly && minTrust === undefined) return undefined;
  return (f) => {
    if (verifiedOnly && !f.verified) return false;
    // A passport without a trust score does not pass a minimum: unknown is not trusted.
    if (minTrust !== undefined && (f.trust === undefined || f.trust < minTrust)) return false;
    if (input && !f.inputTypes.includes(input)) return false;
    if (output && !f.outputTypes.includes(output)) return false;
    return true;
  };
}

interface DocRecord extends FilterFacts {
  passport: LoadedPassport;
  capability: Capability;
  slug: string;
  capId: string;
  /** Postings written for this document (for compaction accounting). */
  postings: number;
}

export class IntentIndex {
  private readonly ctx: AnalyzerContext;
  private readonly analyzer: DocumentAnalyzer;
  private readonly scorer: Scorer;
  private readonly params: ScoringParams;
  private readonly pool = new PostingsPool();
  private readonly docs: DocRecord[] = [];
  private alive = new Uint8Array(1024);
  private modality = new Uint8Array(1024);
  private accepts = new Uint8Array(1024);
  private textOnly = new Uint8Array(1024);
  private readonly bySlug = new Map<string, { passport: LoadedPassport; docs: number[] }>();
  private liveDocs = 0;
  private livePostings = 0;
  private deadPostings = 0;
  private scratch: Scratch = newScratch(1024);
  /** See ensureTieOrder: every document (removed ones too) in tie order, and each one's place in it (undefined after an add). */
  private readonly tieSorted: number[] = [];
  private tieOrder: Uint32Array | undefined;
  /** undefined until the first search decides; null when meaning is off or the table could not be read. */
  private semantic: SemanticRanker | null | undefined;
  private readonly vectorsOpt: WordVectors | false | undefined;
  private readonly semanticWeight: number;
  private readonly confidenceWeights: { first: readonly number[]; rest: readonly number[] };

  constructor(opts: IntentIndexOptions = {}) {
    const stems = new StemCache();
    this.ctx = createAnalyzerContext(stems, compileVocabulary(stems, opts.concepts ?? CONCEPTS), this.pool);
    this.analyzer = new DocumentAnalyzer(this.ctx);
    this.scorer = opts.scorer ?? scoreQuery;
    this.params = { ...DEFAULT_SCORING, ...opts.params };
    this.vectorsOpt = opts.vectors;
    this.semanticWeight = Math.max(0, Math.min(1, opts.semanticWeight ?? SEMANTIC_WEIGHT));
    this.confidenceWeights = opts.confidenceWeights ?? { first: FIRST_CONFIDENCE_WEIGHTS, rest: CONFIDENCE_WEIGHTS };
  }

  /**
   * Reads the word vectors now instead of on the first search (about 50 ms), e.g. once loading has finished.
   * Returns whether meaning is available.
   */
  prepareSemantic(): boolean {
    if (this.semantic === undefined) {
      const textsOf = (doc: number) => {
        const c = this.docs[doc]!.capability;
        return [c.name, c.description ?? '', ...(c.intents ?? []), (c.best_for ?? []).join('. ')];
      };
      if (this.vectorsOpt === false) this.semantic = null;
      else {
        try {
          this.semantic = new SemanticRanker(this.vectorsOpt ?? loadWordVectors(), textsOf);
        } catch {
          // A missing or damaged table costs meaning, not search: the lexical index still answers.
          this.semantic = null;
        }
      }
    }
    return this.semantic !== null;
  }

  /** Adds (or replaces, by slug) a passport's capabilities. */
  add(p: LoadedPassport): void {
    if (this.bySlug.has(p.slug)) this.remove(p.slug);
    this.tieOrder = undefined;
    const u = p.passport.unfragile;
    // A dataset or benchmark needs a request for data, whichever of its capabilities (analyze.ts).
    const kind = requiredByKind(u.artifact.type);
    const ids: number[] = [];
    for (const cap of u.capabilities) {
      const doc = this.docs.length;
      this.ensureCapacity(doc + 1);
      let postings = 0;
      this.analyzer.analyze(p, cap, (term, w, mask) => {
        this.pool.append(term, doc, w, mask);
        postings++;
      });
      this.docs.push({
        passport: p,
        capability: cap,
        slug: p.slug,
        capId: cap.id,
        ...filterFacts(p, cap),
        postings,
      });
      this.alive[doc] = 1;
      this.modality[doc] = requiredModality(cap.input_types) | kind;
      this.accepts[doc] = acceptedModality(cap.input_types) | kind;
      this.textOnly[doc] = !kind && isTextOnly(cap.input_types, cap.output_types) ? 1 : 0;
      this.liveDocs++;
      this.livePostings += postings;
      ids.push(doc);
    }
    this.bySlug.set(p.slug, { passport: p, docs: ids });
  }

  /** Removes a passport's capabilities; unknown slugs are ignored. */
  remove(slug: string): void {
    const entry = this.bySlug.get(slug);
    if (!entry) return;
    this.bySlug.delete(slug);
    for (const doc of entry.docs) {
      const rec = this.docs[doc]!;
      // Re-analysis is deterministic, so it names exactly the terms whose document frequency this doc raised;
      // that avoids keeping a term list per document just for removals.
      this.analyzer.analyze(rec.passport, rec.capability, (term) => {
        this.pool.df[term]!--;
      });
      this.alive[doc] = 0;
      this.semantic?.forget(doc);
      this.liveDocs--;
      this.livePostings -= rec.postings;
      this.deadPostings += rec.postings;
    }
    if (this.deadPostings > 10_000 && this.deadPostings > COMPACT_DEAD_SHARE * (this.livePostings + this.deadPostings)) {
      this.pool.compact(this.alive);
      this.deadPostings = 0;
    }
  }

  /** Number of passports indexed. */
  get size(): number {
    return this.bySlug.size;
  }

  /** Index statistics, for benchmarks and diagnostics. */
  stats(): { passports: number; capabilities: number; terms: number; postings: number; bytes: number } {
    return { passports: this.bySlug.size, capabilities: this.liveDocs, terms: this.pool.terms, postings: this.pool.postings, bytes: this.pool.bytes };
  }

  /**
   * Ranked matches for an intent, best first, each with a calibrated `confidence`. No confidence threshold is
   * applied here: callers (the federation) decide what to show.
   */
  search(intent: string, opts: SearchOptions = {}): SearchMatch[] {
    return this.rank(intent, opts).map(({ features: _features, ...m }) => m);
  }

  /** `search` plus the features behind each confidence (calibration scripts and benchmarks). */
  rank(intent: string, opts: SearchOptions = {}): RankedMatch[] {
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(opts.limit ?? DEFAULT_LIMIT)));
    if (this.liveDocs === 0) return [];
    const semantic = this.prepareSemantic() ? this.semantic! : undefined;
    const query = this.understand(intent.slice(0, MAX_INTENT_CHARS), semantic);
    const plan = analyzeQuery(this.ctx, query.text, this.params, semantic ? (w) => informativeness(semantic.vectors, w) : undefined);
    if (!plan.terms.length) return [];
    this.ensureTieOrder();
    const accept = this.filter(opts);
    const view: ScoringView = {
      pool: this.pool,
      alive: this.alive,
      modality: this.modality,
      accepts: this.accepts,
      textOnly: this.textOnly,
      liveDocs: this.liveDocs,
      deadPostings: this.deadPostings > 0,
      scratch: this.scratch,
      tieBefore: (a, b) => this.tieBefore(a, b),
    };
    // At least two candidates, so the best match's lead (a confidence feature) is the same whatever the limit.
    const top = this.scorer(view, plan, Math.max(limit, 2, semantic ? RERANK_DEPTH : 0), accept, this.params);
    if (!top.length) return [];
    const qv = semantic?.query(query.text);
    const beta = qv ? this.semanticWeight : 0;
    // Both parts are absolute (the lexical score is normalised by the query's ideal document), so the blend can
    // be compared across the candidates of one search.
    const blend = (s: Scored) => {
      const sim = qv ? semantic!.similarity(qv, s.doc) : { sim: 0, field: -1 };
      return { s, sim, hybrid: (1 - beta) * s.score + beta * Math.max(0, sim.sim) };
    };
    // Meaning re-ranks a fixed number of lexical candidates, and the features that compare a match with the others
    // (lead, distinct) are measured on those alone: the first matches and their confidence are the same whatever
    // the limit. Deeper candidates (limit > RERANK_DEPTH) follow in lexical order, never scored above the last
    // re-ranked one.
    const depth = qv ? RERANK_DEPTH : top.length;
    const ranked = top.slice(0, depth).map(blend);
    let meanSim = 0;
    for (const r of ranked) meanSim += Math.max(0, r.sim.sim) / ranked.length;
    ranked.sort((a, b) => b.hybrid - a.hybrid || (this.tieBefore(a.s.doc, b.s.doc) ? -1 : 1));
    const best = ranked[0]!.hybrid;
    const lead = best > 0 && ranked.length > 1 ? (best - ranked[1]!.hybrid) / best : 1;
    for (const s of top.slice(depth, limit)) {
      const r = blend(s);
      r.hybrid = Math.min(r.hybrid, ranked[ranked.length - 1]!.hybrid);
      ranked.push(r);
    }
    ranked.length = Math.min(ranked.length, limit);
    const words = this.groupWords(plan);
    const near = semantic?.nearness(words.map((w) => w.word));
    // Confidence never rises down the list: a match ranked below another is not more likely to serve than it, so
    // a caller that orders by confidence (the federation, to merge with the registry) keeps the index's order.
    let ceiling = 1;
    const shift = smallCatalogueShift(this.liveDocs);
    return ranked.map(({ s, sim, hybrid }, i) => {
      const rec = this.docs[s.doc]!;
      const features: MatchFeatures = {
        score: s.score,
        coverage: s.coverage,
        similarity: Math.max(0, sim.sim),
        relative: best > 0 ? hybrid / best : 0,
        lead,
        unknown: query.unknown,
        closeness: i < CLOSENESS_DEPTH && near ? this.closeness(near, words, s) : s.coverage,
        distinct: Math.max(0, sim.sim) - meanSim,
        named: s.fieldMask & NAME_FIELD ? 1 : 0,
        lacking: lacking(words, s),
        lexicalFirst: s === top[0] ? 1 : 0,
      };
      const reason = describeMatch(plan, s) + describeMeaning(rec.capability, sim.field, sim.sim, query.repairs);
      return {
        score: Math.round(Math.min(1, Math.max(0, hybrid)) * 1e4) / 1e4,
        confidence: (ceiling = Math.min(
          ceiling,
          Math.round(confidenceOf(features, i === 0 ? this.confidenceWeights.first : this.confidenceWeights.rest, shift) * 1e4) / 1e4,
        )),
        reason,
        passport: rec.passport,
        capability: rec.capability,
        features,
      };
    });
  }

  /** The intent's content words by query group, with their idf weight in this index. */
  private groupWords(plan: QueryPlan): { bit: number; word: string; weight: number }[] {
    const n = Math.max(this.liveDocs, 1);
    const out: { bit: number; word: string; weight: number }[] = [];
    for (const t of plan.terms) {
      if (t.kind !== 'word') continue;
      const df = t.id >= 0 ? this.pool.df[t.id]! : 0;
      out.push({ bit: t.groups, word: t.surface, weight: idf(Math.max(0, df), n) });
    }
    return out;
  }

  /** Soft coverage: words the capability lacks count by how close its nearest word comes (see MatchFeatures). */
  private closeness(near: (k: number, doc: number) => number, words: { bit: number; word: string; weight: number }[], s: Scored): number {
    let total = 0;
    let got = 0;
    for (const w of words) {
      total += w.weight;
      if (s.groupMask & w.bit) got += w.weight;
    }
    if (total <= 0) return s.coverage;
    words.forEach((w, k) => {
      if (!(s.groupMask & w.bit)) got += w.weight * Math.max(0, Math.min(1, (near(k, s.doc) - CLOSE_FROM) / (CLOSE_TO - CLOSE_FROM)));
    });
    return got / total;
  }

  /**
   * Typo repair against the index's own vocabulary, for words too rare for the word-vector table ("transcrbe"):
   * the edit-distance-1 variant of the word's stem that the most documents have. Returns that stem, which reads
   * back as itself (it is put into the intent text in the word's place).
   */
  private repairStem(word: string): string | undefined {
    // A token with a digit is a name or a quantity ("h100", "24gb", "2024"), not a misspelling: it read "24gb" as
    // "24b…" and "2024" as "224…". The word-vector table's repair has the same rule.
    if (!/^[a-z]+$/.test(word)) return undefined;
    const stem = this.ctx.stems.stem(word);
    if (stem.length < 4) return undefined;
    let best: string | undefined;
    let bestDf = 0;
    const body = stem.slice(0, -1);
    for (const v of typoCandidates(stem)) {
      // An edit of the last letter alone is not trusted here: a stem's end is where stemming cut ("selfies" is
      // "selfi", so "self" was one edit away; "config" read as "confid").
      if (v === body || v.slice(0, -1) === body || v.slice(0, -1) === stem) continue;
      const id = this.pool.termId(v);
      const df = id === undefined ? 0 : this.pool.df[id]!;
      if (df > bestDf && stemWord(v) === v) {
        best = v;
        bestDf = df;
      }
    }
    return best;
  }

  /**
   * Repairs likely typos ("transcrbe" -> "transcribe") against words both the index and the word vectors know,
   * and measures how much of the intent is unknown to both.
   */
  private understand(intent: string, semantic: SemanticRanker | undefined): { text: string; repairs: Repair[]; unknown: number } {
    const repairs: Repair[] = [];
    let content = 0;
    let unknown = 0;
    const known = (w: string) => this.pool.termId(this.ctx.stems.stem(w)) !== undefined;
    // Known to the index, or a word some concept phrase is made of.
    const readable = (w: string) => {
      const s = this.ctx.stems.stem(w);
      return this.pool.termId(s) !== undefined || this.ctx.vocab.stems.has(s);
    };
    let attempts = 0;
    for (const w of new Set(tokenize(intent))) {
      if (STOP_WORDS.has(w) || SKIP_WORDS.has(w)) continue;
      content++;
      if (known(w)) continue;
      // Security: each repair looks up ~54 variants per letter; an intent of made-up words must stay cheap.
      if (!semantic || attempts >= MAX_REPAIR_ATTEMPTS) {
        unknown++;
        continue;
      }
      if (semantic.vectors.row(w) >= 0) continue;
      // A correctly spelt word too rare for the table (data/more-words.txt) is not a typo of a commoner one: "login"
      // was read as "logic", "lidar" as "liar", and the reason said so.
      if (semantic.vectors.isWord(w)) {
        unknown++;
        continue;
      }
      attempts++;
      // Security: stemming every variant costs ~1 ms, so it is tried for the first few unknown words only.
      let word = semantic.vectors.repair(w, known);
      // A four-letter word has many neighbours one edit away, and many are jargon ("jira", "grep", "nsfw"): it is
      // repaired only into a word the index or the concept vocabulary reads ("mial" as "mail"), never into one that
      // serves only meaning ("ira", "grew", "nsw").
      if (word && w.length <= SHORT_WORD && !readable(word)) word = undefined;
      const stem = word ? undefined : this.repairStem(w);
      if (word) repairs.push([w, word]);
      // A stem is shown as the start of a word ("transcrib…"), which is what it is.
      else if (stem) repairs.push([w, stem, `${stem}…`]);
      else unknown++;
    }
    let text = intent;
    if (repairs.length) {
      text = intent.toLowerCase();
      // Tokens are [a-z0-9]+ (tokenize), so they are safe inside a pattern.
      for (const [from, to] of repairs) text = text.replace(new RegExp(`(?<![a-z0-9])${from}(?![a-z0-9])`, 'g'), to);
    }
    return { text, repairs, unknown: content ? unknown / content : 0 };
  }

  private filter(opts: SearchFilters): (doc: number) => boolean {
    const pass = filterPredicate(opts);
    return pass ? (doc) => pass(this.docs[doc]!) : () => true;
  }

  /** Equal scores rank by slug, then capability id (then insertion), so results never depend on load order. */
  private tieBefore(a: number, b: number): boolean {
    return this.tieOrder![a]! < this.tieOrder![b]!;
  }

  /**
   * Each document's place in (slug, capability id) order, brought up to date on the first search after an add: a
   * few new documents (a registry answer's) are inserted by binary search, many (loading) sorted with the rest
   * (about 10 ms at 10,000 passports). Exact clones tie often at registry scale, and comparing their long,
   * shared-prefix slugs on every tie was a tenth of a search.
   */
  private ensureTieOrder(): void {
    if (this.tieOrder) return;
    const docs = this.docs;
    const before = (a: number, b: number) => {
      const x = docs[a]!;
      const y = docs[b]!;
      if (x.slug !== y.slug) return x.slug < y.slug;
      if (x.capId !== y.capId) return x.capId < y.capId;
      return a < b;
    };
    const sorted = this.tieSorted;
    if (docs.length - sorted.length > TIE_INSERT_MAX) {
      for (let d = sorted.length; d < docs.length; d++) sorted.push(d);
      sorted.sort((a, b) => (before(a, b) ? -1 : 1));
    } else {
      for (let d = sorted.length; d < docs.length; d++) {
        let lo = 0;
        let hi = sorted.length;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (before(sorted[mid]!, d)) lo = mid + 1;
          else hi = mid;
        }
        sorted.splice(lo, 0, d);
      }
    }
    const order = new Uint32Array(docs.length);
    sorted.forEach((doc, i) => (order[doc] = i));
    this.tieOrder = order;
  }

  private ensureCapacity(n: number): void {
    if (n <= this.alive.length) return;
    let cap = this.alive.length;
    while (cap < n) cap *= 2;
    const alive = new Uint8Array(cap);
    alive.set(this.alive);
    this.alive = alive;
    const modality = new Uint8Array(cap);
    modality.set(this.modality);
    this.modality = modality;
    const accepts = new Uint8Array(cap);
    accepts.set(this.accepts);
    this.accepts = accepts;
    const text = new Uint8Array(cap);
    text.set(this.textOnly);
    this.textOnly = text;
    this.scratch = newScratch(cap);
  }
}

/** The heaviest word of the intent the match does not answer, as a share of all the words' weight (MatchFeatures). */
function lacking(words: readonly { bit: number; weight: number }[], s: Scored): number {
  let total = 0;
  let heaviest = 0;
  for (const w of words) {
    total += w.weight;
    if (!(s.groupMask & w.bit)) heaviest = Math.max(heaviest, w.weight);
  }
  return total > 0 ? heaviest / total : 0;
}

/** Words at or past this frequency rank in English keep their full idf (see informativeness). */
const INFORMATIVE_RANK = 10_000;
/** The most common words still keep this share of their idf. */
const MIN_INFORMATIVENESS = 0.3;

/**
 * How much a word says about a need in English at large, 0.3..1: log of its frequency rank (the word-vector table's
 * row order) over log(10,000); words the table lacks are rare and count fully. In a small catalogue "check", "new"
 * or "look" are rare and would outweigh "mail" by idf alone; this prior keeps them from deciding a search.
 * Measured on the real set's development split (issue 12): +0.015 top-1, +0.013 MRR.
 */
function informativeness(vectors: WordVectors, word: string): number {
  const r = vectors.row(word);
  return r < 0 ? 1 : Math.max(MIN_INFORMATIVENESS, Math.min(1, Math.log(r + 2) / Math.log(INFORMATIVE_RANK)));
}

function newScratch(n: number): Scratch {
  return {
    acc: new Float64Array(n),
    groups: new Int32Array(n),
    terms: new Int32Array(n),
    fields: new Int32Array(n),
    touched: new Int32Array(n),
    coverage: new Float64Array(1024),
  };
}

const MAX_REASON_PARTS = 5;

/** 'matched "meeting", "recording" ~ audio, "transcript" ~ speech to text; phrase "meeting recording"; in intents, name' */
export function describeMatch(plan: QueryPlan, s: Scored): string {
  const words: string[] = [];
  const concepts: string[] = [];
  const phrases: string[] = [];
  let literalGroups = 0;
  plan.terms.forEach((t, i) => {
    if (i >= 31 || !(s.termMask & (1 << i))) return;
    if (t.kind === 'word') {
      words.push(`"${t.surface}"`);
      literalGroups |= t.groups;
    } else if (t.kind === 'bigram') phrases.push(`"${t.surface}"`);
  });
  plan.terms.forEach((t, i) => {
    if (i >= 31 || !(s.termMask & (1 << i)) || t.kind !== 'concept') return;
    // Say "~ concept" only when the concept, not the literal word, is what connected them.
    concepts.push((t.groups & ~literalGroups) !== 0 ? `"${t.surface}" ~ ${t.label}` : `${t.label}`);
  });
  const parts = [...words, ...concepts].slice(0, MAX_REASON_PARTS);
  let out = parts.length ? `matched ${parts.join(', ')}` : 'weak match';
  if (phrases.length) out += `; phrase ${phrases.slice(0, 2).join(', ')}`;
  const where = FIELDS.filter((_, f) => s.fieldMask & (1 << f)).map((f) => f.name);
  if (where.length) out += `; in ${where.slice(0, 4).join(', ')}`;
  return out;
}

/** A typo repair: the word as typed, what the intent text uses instead, and how a reason shows it. */
type Repair = [from: string, to: string, shown?: string];

const MEANING_SHOWN_CHARS = 70;
/** Below this cosine, closeness in meaning is too weak to be worth a person's attention in a reason. */
const MEANING_SHOWN_FROM = 0.6;

/** '; close in meaning to intent "Connect an AI agent to my email…" (0.78)'; '; read "transcrbe" as "transcribe"' */
function describeMeaning(cap: Capability, field: number, sim: number, repairs: readonly Repair[]): string {
  let out = '';
  if (repairs.length)
    out += `; read ${repairs
      .slice(0, 3)
      .map(([a, b, shown]) => `"${a}" as "${shown ?? b}"`)
      .join(', ')}`;
  if (field < 0 || sim < MEANING_SHOWN_FROM) return out;
  const intents = cap.intents ?? [];
  const [where, text] =
    field === 0
      ? ['name', cap.name]
      : field === 1
        ? ['description', cap.description ?? '']
        : field - 2 < intents.length
          ? ['intent', intents[field - 2]!]
          : ['best_for', (cap.best_for ?? []).join('. ')];
  const shown = text.length > MEANING_SHOWN_CHARS ? `${text.slice(0, MEANING_SHOWN_CHARS - 1).trimEnd()}…` : text;
  return `${out}; close in meaning to ${where} "${shown}" (${sim.toFixed(2)})`;
}

export { DEFAULT_MIN_CONFIDENCE, FEATURE_NAMES, type MatchFeatures } from './confidence.js';
export { CONCEPTS, type Concept } from './vocabulary.js';
export { DEFAULT_SCORING, scoreQuery, type Scorer, type ScoringParams } from './scoring.js';
export { tokenize, stemWord } from './text.js';
