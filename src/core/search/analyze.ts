// Turns a capability into weighted index terms, and an intent into query terms. Three kinds of term:
//   word    a content stem ("transcript")
//   @concept a vocabulary concept found in the text ("@tts" for "read it aloud")
//   bigram  two adjacent content stems ("meet record"), which rewards phrase and proximity matches
// Documents are scored BM25F-style: each field's term frequency is normalised by the field's length against a
// fixed reference length, weighted, summed across fields, then saturated. The reference lengths are constants
// rather than corpus averages so that a document's weights never change when others are added: postings can be
// precomputed once and `add` stays O(document).
import type { Capability, LoadedPassport } from '../passport/schema.js';
import type { PostingsPool } from './postings.js';
import { stemWord, type StemCache, type StreamToken } from './text.js';
import { DATA_PHRASES, DATA_WORDS, findConcepts, MODALITY, type ConceptHit, type Vocabulary } from './vocabulary.js';

export interface FieldSpec {
  name: string;
  weight: number;
  /** Reference length in content tokens. */
  avgLen: number;
  /** Length normalisation strength (BM25 b). */
  b: number;
  /** Whether adjacent-word bigrams are indexed for this field. */
  bigrams: boolean;
}

/** Field order is the bit order of the posting masks. */
export const FIELDS: readonly FieldSpec[] = [
  { name: 'name', weight: 3.0, avgLen: 5, b: 0.3, bigrams: true },
  { name: 'intents', weight: 2.2, avgLen: 40, b: 0.5, bigrams: true },
  { name: 'description', weight: 1.0, avgLen: 35, b: 0.6, bigrams: false },
  { name: 'best_for', weight: 1.4, avgLen: 20, b: 0.5, bigrams: false },
  { name: 'uri', weight: 1.8, avgLen: 5, b: 0.3, bigrams: false },
  { name: 'categories', weight: 0.8, avgLen: 4, b: 0.3, bigrams: false },
  { name: 'tags', weight: 0.6, avgLen: 5, b: 0.3, bigrams: false },
  { name: 'artifact', weight: 1.0, avgLen: 4, b: 0.3, bigrams: false },
  { name: 'io_types', weight: 0.6, avgLen: 8, b: 0.3, bigrams: false },
];

/**
 * The non-text modalities a capability *requires*: set only when every input type is audio, image or video.
 * "text (question)" or "pdf" among the inputs means the capability also works from text, so no requirement.
 */
export function requiredModality(inputTypes: readonly string[] | undefined): number {
  if (!inputTypes?.length) return 0;
  let bits = 0;
  for (const t of inputTypes) {
    const s = t.toLowerCase();
    if (/\b(audio|speech|voice|wav|mp3|recordings?|sound)\b/.test(s)) bits |= MODALITY.audio;
    else if (/\b(images?|photos?|pictures?|png|jpe?g|scans?|screenshots?)\b/.test(s)) bits |= MODALITY.image;
    else if (/\b(video|frames|mp4)\b/.test(s)) bits |= MODALITY.video;
    else return 0;
  }
  return bits;
}

/**
 * MODALITY.data for a dataset or a benchmark: it serves intents that ask for data (see MODALITY), not tasks. The
 * index uses it both ways, as it does audio for a speech model: required (a task intent ranks it lower) and accepted
 * (an intent that asks for data ranks it above a model described in the same words).
 */
export function requiredByKind(artifactType: unknown): number {
  return typeof artifactType === 'string' && /^(dataset|benchmark)s?$/i.test(artifactType.trim()) ? MODALITY.data : 0;
}

const DATA_STEMS: ReadonlySet<string> = new Set(DATA_WORDS.map(stemWord));
const DATA_PAIRS: ReadonlySet<string> = new Set(DATA_PHRASES.map((p) => p.split(' ').map(stemWord).join(' ')));

/** Whether an intent asks for data (DATA_WORDS, DATA_PHRASES), over its content words in order. */
function asksForData(stream: readonly StreamToken[]): boolean {
  let prev: string | undefined;
  for (const t of stream) {
    if (!t.content) continue;
    if (DATA_STEMS.has(t.stem) || (prev !== undefined && DATA_PAIRS.has(`${prev} ${t.stem}`))) return true;
    prev = t.stem;
  }
  return false;
}

/** The non-text modalities a capability *accepts*: any input type that mentions audio, image or video. */
export function acceptedModality(inputTypes: readonly string[] | undefined): number {
  let bits = 0;
  for (const t of inputTypes ?? []) {
    const s = t.toLowerCase();
    if (/\b(audio|speech|voice|wav|mp3|recordings?|sound)\b/.test(s)) bits |= MODALITY.audio;
    if (/\b(images?|photos?|pictures?|png|jpe?g|scans?|screenshots?|vision|visual)\b/.test(s)) bits |= MODALITY.image;
    if (/\b(video|frames|mp4)\b/.test(s)) bits |= MODALITY.video;
  }
  return bits;
}

/**
 * Whether a capability declares what it takes and what it makes, and none of it is audio, images or video: then it
 * cannot serve an intent about a medium ("ask questions about a photo" is not for the text-only capability of a
 * vision model). A capability that leaves its types out is not judged.
 */
export function isTextOnly(inputTypes: readonly string[] | undefined, outputTypes: readonly string[] | undefined): boolean {
  return !!inputTypes?.length && !!outputTypes?.length && (acceptedModality(inputTypes) | acceptedModality(outputTypes)) === 0;
}

/** Weight of an implied concept (Concept.implies) relative to a stated one. */
const IMPLIED_SHARE = 0.5;

/** BM25 saturation. */
export const K1 = 2.0;

export interface AnalyzerContext {
  stems: StemCache;
  vocab: Vocabulary;
  pool: PostingsPool;
  /** Concept index -> term id in `pool`. */
  conceptIds: Int32Array;
}

export function createAnalyzerContext(stems: StemCache, vocab: Vocabulary, pool: PostingsPool): AnalyzerContext {
  return { stems, vocab, pool, conceptIds: Int32Array.from(vocab.termOf, (t) => pool.ensureTerm(t)) };
}

/** The texts of each field of one capability, in FIELDS order. */
export function capabilityFields(p: LoadedPassport, cap: Capability): string[][] {
  const a = p.passport.unfragile.artifact;
  return [
    [cap.name],
    cap.intents ?? [],
    cap.description ? [cap.description] : [],
    cap.best_for ?? [],
    cap.uri ? [cap.uri.replace(/^[a-z]+:\/\//i, '')] : [],
    [...(cap.categories ?? []), ...(a.categories ?? [])],
    a.tags ?? [],
    [a.name],
    [...(cap.input_types ?? []), ...(cap.output_types ?? [])],
  ];
}

/** Receives each term of an analysed document once: its id, saturated weight and field mask. */
export type TermSink = (term: number, weight: number, mask: number) => void;

/**
 * Analyses capabilities into term ids, creating terms in the pool as needed. Holds reusable accumulators
 * indexed by term id, so analysing a document allocates no per-term objects (this runs 50,000 times at load).
 */
export class DocumentAnalyzer {
  private tf = new Float64Array(4096);
  private mask = new Int32Array(4096);
  private readonly seen: number[] = [];
  private readonly hits: ConceptHit[] = [];

  constructor(private readonly ctx: AnalyzerContext) {}

  analyze(p: LoadedPassport, cap: Capability, sink: TermSink): void {
    const { stems, vocab, pool, conceptIds } = this.ctx;
    const fields = capabilityFields(p, cap);
    const seen = this.seen;
    seen.length = 0;
    for (let f = 0; f < FIELDS.length; f++) {
      const spec = FIELDS[f]!;
      const bit = 1 << f;
      const streams = fields[f]!.map((t) => stems.stream(t));
      let len = 0;
      for (const s of streams) for (const t of s) if (t.content) len++;
      if (len === 0) continue;
      const unit = spec.weight / (1 - spec.b + (spec.b * len) / spec.avgLen);
      for (const s of streams) {
        let prev = -1;
        for (const t of s) {
          if (!t.content) continue;
          if (t.id < 0) t.id = pool.ensureTerm(t.stem);
          this.add(t.id, unit, bit);
          if (spec.bigrams && prev >= 0 && prev !== t.id) this.add(pool.ensurePair(prev, t.id), unit, bit);
          prev = t.id;
        }
        const hits = this.hits;
        hits.length = 0;
        findConcepts(vocab, s, hits);
        // A concept counts once per occurrence, like a word; what it implies counts at half weight.
        for (const h of hits) {
          this.add(conceptIds[h.concept]!, unit, bit);
          for (const i of vocab.implied[h.concept]!) this.add(conceptIds[i]!, unit * IMPLIED_SHARE, bit);
        }
      }
    }
    for (const id of seen) {
      const tf = this.tf[id]!;
      sink(id, (tf * (K1 + 1)) / (tf + K1), this.mask[id]!);
      this.tf[id] = 0;
      this.mask[id] = 0;
    }
  }

  private add(id: number, amount: number, bit: number): void {
    if (id >= this.tf.length) {
      let n = this.tf.length;
      while (n <= id) n *= 2;
      const tf = new Float64Array(n);
      tf.set(this.tf);
      const mask = new Int32Array(n);
      mask.set(this.mask);
      this.tf = tf;
      this.mask = mask;
    }
    if (this.mask[id] === 0) this.seen.push(id);
    this.tf[id] = this.tf[id]! + amount;
    this.mask[id] = this.mask[id]! | bit;
  }
}

export type QueryTermKind = 'word' | 'concept' | 'bigram';

export interface QueryTerm {
  /** Term id in the pool, or -1 when no document has the term. */
  id: number;
  /** Dedup key: the stem, `@concept`, or "stem stem". */
  term: string;
  kind: QueryTermKind;
  /** Query-side weight before idf. */
  weight: number;
  /** Factor on the term's idf: how informative the word is in English at large (1 when unknown). */
  prior?: number;
  /** Bit mask of the query groups (content words) this term stands for. */
  groups: number;
  /** What to show in a reason: the user's words, and for a concept its label. */
  surface: string;
  label?: string;
}

export interface QueryPlan {
  terms: QueryTerm[];
  /** MODALITY bits the intent mentions (audio, image, video; data when it asks for data). */
  modality: number;
  /** Number of groups (distinct content words, at most 31). */
  groupCount: number;
}

export interface QueryWeights {
  word: number;
  concept: number;
  bigram: number;
}

const MAX_GROUPS = 31;

/** Analyses an intent: content words (one group per distinct stem), concepts, and adjacent-word bigrams. */
export function analyzeQuery(ctx: AnalyzerContext, intent: string, w: QueryWeights, prior?: (word: string) => number): QueryPlan {
  const { pool } = ctx;
  const stream: StreamToken[] = ctx.stems.stream(intent);
  // Queries look terms up but never create them: user text must not grow the index.
  const wordId = (t: StreamToken) => (t.id >= 0 ? t.id : (pool.termId(t.stem) ?? -1));
  const groupOf = new Map<string, number>();
  const tokenGroup: number[] = [];
  for (const t of stream) {
    if (!t.content) {
      tokenGroup.push(-1);
      continue;
    }
    let g = groupOf.get(t.stem);
    if (g === undefined) groupOf.set(t.stem, (g = Math.min(groupOf.size, MAX_GROUPS - 1)));
    tokenGroup.push(g);
  }
  const byTerm = new Map<string, QueryTerm>();
  const put = (qt: QueryTerm) => {
    const have = byTerm.get(qt.term);
    if (!have) byTerm.set(qt.term, qt);
    else {
      // A repeated term counts a little more, not double: "image ... picture" is one need said twice.
      have.weight = Math.max(have.weight, qt.weight) * 1.15;
      have.groups |= qt.groups;
    }
  };
  let prev = -1;
  stream.forEach((t, i) => {
    const g = tokenGroup[i]!;
    if (g < 0) return;
    const id = wordId(t);
    put({ id, term: t.stem, kind: 'word', weight: w.word, groups: 1 << g, surface: t.word, ...(prior ? { prior: prior(t.word) } : {}) });
    if (prev >= 0) {
      const p = stream[prev]!;
      const pid = wordId(p);
      if (p.stem !== t.stem) {
        const bid = pid >= 0 && id >= 0 ? (pool.pairId(pid, id) ?? -1) : -1;
        put({
          id: bid,
          term: `${p.stem} ${t.stem}`,
          kind: 'bigram',
          weight: w.bigram,
          groups: (1 << tokenGroup[prev]!) | (1 << g),
          surface: `${p.word} ${t.word}`,
        });
      }
    }
    prev = i;
  });
  let modality = 0;
  if (asksForData(stream)) modality |= MODALITY.data;
  /** Groups that only their concept (or bigram) answers: the words of a direction phrase (see below). */
  let claimed = 0;
  const claimers = new Set<string>();
  for (const h of findConcepts(ctx.vocab, stream)) {
    const concept = ctx.vocab.concepts[h.concept]!;
    modality |= concept.modality ?? 0;
    let groups = 0;
    for (let i = h.start; i < h.end; i++) if (tokenGroup[i]! >= 0) groups |= 1 << tokenGroup[i]!;
    // A direction ("text to image", "speech into text") or a phrase of a concept that only answers whole
    // ("generate an image") is one need: a vision model whose text says "generate" and "image" apart does not make
    // images. Its words still score, but only the concept covers them.
    if ((groups & (groups - 1)) !== 0 && (concept.whole || stream.slice(h.start, h.end).some((t) => DIRECTION_WORDS.has(t.word)))) {
      claimed |= groups;
      claimers.add(ctx.vocab.termOf[h.concept]!);
    }
    // A phrase of function words ("what is in") is a need of its own.
    if (!groups) {
      const key = `@${h.start}`;
      let g = groupOf.get(key);
      if (g === undefined) groupOf.set(key, (g = Math.min(groupOf.size, MAX_GROUPS - 1)));
      groups = 1 << g;
    }
    put({
      id: ctx.conceptIds[h.concept]!,
      term: ctx.vocab.termOf[h.concept]!,
      kind: 'concept',
      weight: w.concept * (concept.weight ?? 1),
      groups,
      // A phrase matched across a gap ("read my blog posts aloud") shows its ends only.
      surface:
        h.end - h.start <= 3
          ? stream
              .slice(h.start, h.end)
              .map((t) => t.word)
              .join(' ')
          : `${stream[h.start]!.word} … ${stream[h.end - 1]!.word}`,
      label: concept.label,
    });
  }
  // The words of a claimed phrase, and the concepts of single words inside it ("image"), no longer cover its groups.
  if (claimed) for (const t of byTerm.values()) if (t.kind === 'word' || (t.kind === 'concept' && !claimers.has(t.term))) t.groups &= ~claimed;
  return { terms: [...byTerm.values()], modality, groupCount: Math.min(groupOf.size, MAX_GROUPS) };
}

/** The words that make a concept phrase a direction, from one medium to another (analyzeQuery). */
const DIRECTION_WORDS: ReadonlySet<string> = new Set(['to', 'into']);
