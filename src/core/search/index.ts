// The intent index: capabilities of every loaded passport, searchable by a free-text intent ("turn my meeting
// recording into a transcript"). Built incrementally: `add` analyses one passport and appends its postings, so
// the index is ready as soon as loading finishes and stays current when the registry adds passports later.
//
// Pieces: text.ts (tokens, stems), vocabulary.ts (concepts of the AI-task domain), analyze.ts (fields -> weighted
// terms), postings.ts (typed-array inverted index), scoring.ts (the one scoring function). This file owns the
// documents (one per capability), filters, tie order and reasons.
import type { Capability, LoadedPassport } from '../passport/schema.js';
import { analyzeQuery, createAnalyzerContext, DocumentAnalyzer, FIELDS, requiredModality, type AnalyzerContext, type QueryPlan } from './analyze.js';
import { PostingsPool } from './postings.js';
import { DEFAULT_SCORING, scoreQuery, type Scored, type Scorer, type ScoringParams, type ScoringView, type Scratch } from './scoring.js';
import { StemCache } from './text.js';
import { compileVocabulary, CONCEPTS, type Concept } from './vocabulary.js';

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
  score: number;
  /**
   * Calibrated probability in [0, 1] that this capability serves the intent (>= 0.5: it does). The search work
   * (issue 12) replaces the interim mapping below with a calibrated one; federation and the tool rely on the field.
   */
  confidence: number;
  /** A short human reason, e.g. 'intent "describe a photo" ~ "image", "describe"'. */
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
}

export const DEFAULT_LIMIT = 5;
/** The confidence at which a match serves the intent; the federation's default min_confidence (CONTRACT). */
export const DEFAULT_MIN_CONFIDENCE = 0.5;
export const MAX_LIMIT = 100;
/** Intents are bounded upstream (2000 chars); this keeps the core safe on its own. */
const MAX_INTENT_CHARS = 4000;
/** Compact the postings when this share of them belongs to removed documents. */
const COMPACT_DEAD_SHARE = 0.3;

interface DocRecord {
  passport: LoadedPassport;
  capability: Capability;
  slug: string;
  capId: string;
  trust: number | undefined;
  verified: boolean;
  inputTypes: string;
  outputTypes: string;
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
  private readonly bySlug = new Map<string, { passport: LoadedPassport; docs: number[] }>();
  private liveDocs = 0;
  private livePostings = 0;
  private deadPostings = 0;
  private scratch: Scratch = newScratch(1024);

  constructor(opts: IntentIndexOptions = {}) {
    const stems = new StemCache();
    this.ctx = createAnalyzerContext(stems, compileVocabulary(stems, opts.concepts ?? CONCEPTS), this.pool);
    this.analyzer = new DocumentAnalyzer(this.ctx);
    this.scorer = opts.scorer ?? scoreQuery;
    this.params = { ...DEFAULT_SCORING, ...opts.params };
  }

  /** Adds (or replaces, by slug) a passport's capabilities. */
  add(p: LoadedPassport): void {
    if (this.bySlug.has(p.slug)) this.remove(p.slug);
    const u = p.passport.unfragile;
    const trust = typeof u.trust?.score === 'number' && Number.isFinite(u.trust.score) ? u.trust.score : undefined;
    const verified = u.artifact.verified === true || u.trust?.verified === true;
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
        trust,
        verified,
        inputTypes: (cap.input_types ?? []).join('\n').toLowerCase(),
        outputTypes: (cap.output_types ?? []).join('\n').toLowerCase(),
        postings,
      });
      this.alive[doc] = 1;
      this.modality[doc] = requiredModality(cap.input_types);
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

  search(intent: string, opts: SearchOptions = {}): SearchMatch[] {
    const limit = Math.max(1, Math.min(MAX_LIMIT, Math.floor(opts.limit ?? DEFAULT_LIMIT)));
    const plan = analyzeQuery(this.ctx, intent.slice(0, MAX_INTENT_CHARS), this.params);
    if (!plan.terms.length || this.liveDocs === 0) return [];
    const accept = this.filter(opts);
    const view: ScoringView = {
      pool: this.pool,
      alive: this.alive,
      modality: this.modality,
      liveDocs: this.liveDocs,
      scratch: this.scratch,
      tieBefore: (a, b) => this.tieBefore(a, b),
    };
    const top = this.scorer(view, plan, limit, accept, this.params);
    return top.map((s) => {
      const rec = this.docs[s.doc]!;
      return { score: s.score, confidence: Math.max(0, Math.min(1, s.score)), reason: describeMatch(plan, s), passport: rec.passport, capability: rec.capability };
    });
  }

  private filter(opts: SearchFilters): (doc: number) => boolean {
    const input = opts.input_type?.trim().toLowerCase() || undefined;
    const output = opts.output_type?.trim().toLowerCase() || undefined;
    const verifiedOnly = opts.verified_only === true;
    const minTrust = typeof opts.min_trust_score === 'number' && Number.isFinite(opts.min_trust_score) ? opts.min_trust_score : undefined;
    if (!input && !output && !verifiedOnly && minTrust === undefined) return () => true;
    return (doc) => {
      const r = this.docs[doc]!;
      if (verifiedOnly && !r.verified) return false;
      // A passport without a trust score does not pass a minimum: unknown is not trusted.
      if (minTrust !== undefined && (r.trust === undefined || r.trust < minTrust)) return false;
      if (input && !r.inputTypes.includes(input)) return false;
      if (output && !r.outputTypes.includes(output)) return false;
      return true;
    };
  }

  private tieBefore(a: number, b: number): boolean {
    const x = this.docs[a]!;
    const y = this.docs[b]!;
    if (x.slug !== y.slug) return x.slug < y.slug;
    if (x.capId !== y.capId) return x.capId < y.capId;
    return a < b;
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
    this.scratch = newScratch(cap);
  }
}

function newScratch(n: number): Scratch {
  return { acc: new Float64Array(n), groups: new Int32Array(n), terms: new Int32Array(n), fields: new Int32Array(n), touched: new Int32Array(n) };
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

export { CONCEPTS, type Concept } from './vocabulary.js';
export { DEFAULT_SCORING, scoreQuery, type Scorer, type ScoringParams } from './scoring.js';
export { tokenize, stemWord } from './text.js';
