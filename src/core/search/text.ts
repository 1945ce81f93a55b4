// Text analysis for intent search: normalising, tokenising, stop words and stemming. Passports and user
// intents go through the same steps, so whatever normalisation happens here (British spellings, "2" as "to",
// diacritics) is symmetric and can only make matching more lenient, never inconsistent.
import { stemmer } from 'stemmer';

/**
 * Words dropped from the phrase stream: pronouns, articles and determiners carry no meaning for phrase
 * matching ("read it aloud" should match "read aloud"). Structural words such as "to", "in", "of" stay in the
 * phrase stream so "text to speech" and "speech to text" remain different phrases.
 */
export const SKIP_WORDS: ReadonlySet<string> = new Set(
  'a an the my your our their his her its this that these those it them me us i we you he she they'.split(' '),
);

/**
 * Words that never become index terms. Besides ordinary English function words this holds the filler of
 * intents ("I need a tool that can help me ..."), which appears in nearly every passport and every query.
 */
export const STOP_WORDS: ReadonlySet<string> = new Set([
  ...SKIP_WORDS,
  ...(
    'to from of in on at by for with without about as into onto over under than then so and or but not no nor ' +
    'is are was were be been being am do does did doing done have has had having can could would should will shall ' +
    'may might must need needs needed want wants wanted wanting like would please help helps let lets get gets got make makes ' +
    'just also very really quite more most much many lot lots what which who whom whose when where why how whether ' +
    'there here if else etc via per e g ie eg something anything thing things way ways kind sort bit some one able ' +
    'using use used uses want trying try tool tools model models ai system some any each every all such own ' +
    'out up off down back away around across along again even yet already because until while both too ' +
    'myself ourselves yourself yourselves him himself hers herself itself theirs themselves ours yours ' +
    // What tokenizing leaves of a contraction ("don't" -> "don" "t"): it matched "don't know the api" by chance.
    'don doesn didn isn aren wasn weren wouldn couldn shouldn hasn haven hadn ll ve re'
  ).split(' '),
]);

/** British and other spelling variants folded before stemming (both sides, so the direction does not matter). */
const SPELLING: ReadonlyMap<string, string> = new Map([
  ['colour', 'color'],
  ['colours', 'colors'],
  ['behaviour', 'behavior'],
  ['favourite', 'favorite'],
  ['neighbour', 'neighbor'],
  ['analyse', 'analyze'],
  ['analysed', 'analyzed'],
  ['analysing', 'analyzing'],
  ['catalogue', 'catalog'],
  ['dialogue', 'dialog'],
  ['programme', 'program'],
  ['licence', 'license'],
  ['centre', 'center'],
  ['labelled', 'labeled'],
  ['labelling', 'labeling'],
  ['modelling', 'modeling'],
  ['travelling', 'traveling'],
  ['cancelled', 'canceled'],
  ['grey', 'gray'],
  ['into', 'to'],
  ['onto', 'to'],
  ['2', 'to'],
  ['pics', 'pictures'],
  ['pic', 'picture'],
  ['vids', 'videos'],
  ['vid', 'video'],
  ['img', 'image'],
  ['imgs', 'images'],
]);

// -ise/-isation -> -ize/-ization; applied to both sides, so a rare false fold ("noise" -> "noize") is harmless.
const ISE = /^(.{3,})is(e|ed|es|ing|ation|ations|er|ers)$/;

/** Lower-cases, strips diacritics, and splits into alphanumeric words; "speech2text" reads as "speech to text". */
export function tokenize(text: string): string[] {
  let s = text.toLowerCase();
  const out: string[] = [];
  // A hand-rolled scan: this runs over every word of every passport at load, where a regex loop costs more.
  let start = -1;
  let ascii = true;
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 32;
    if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
      if (start < 0) start = i;
      continue;
    }
    if (c > 127 && ascii) {
      // Only pay for Unicode normalisation when the text is not plain ASCII; then start over.
      ascii = false;
      s = s.normalize('NFKD').replace(/[\u0300-\u036f]/g, '');
      out.length = 0;
      start = -1;
      i = -1;
      continue;
    }
    if (start >= 0) {
      push(out, s.slice(start, i));
      start = -1;
    }
  }
  return out;
}

function push(out: string[], w: string): void {
  if (w.length === 1 && !(w >= '0' && w <= '9') && w !== 'x') return;
  if (w.length > 2 && w.includes('2') && /[a-z]2[a-z]/.test(w)) {
    for (const part of w.replace(/([a-z])2([a-z])/g, '$1 to $2').split(' ')) push(out, part);
    return;
  }
  out.push(w);
}

/** Folds spelling variants (colour -> color, summarise -> summarize, into -> to); no stemming. */
export function foldWord(word: string): string {
  const w = SPELLING.get(word) ?? word;
  const m = ISE.exec(w);
  return m ? `${m[1]}iz${m[2]}` : w;
}

/** Folds spelling variants, then applies the Porter stemmer. Pure; StemCache caches it. */
export function stemWord(word: string): string {
  const w = foldWord(word);
  if (w.length <= 2 || /^\d/.test(w)) return w;
  return stemmer(w);
}

/** One token of the phrase stream: the stem, the surface word, and whether it is an index term. */
export interface StreamToken {
  stem: string;
  /** The spelling-folded word before stemming, for vocabulary entries that must match exactly. */
  norm: string;
  /** `=norm`: the trie key of exact-word vocabulary entries, built once. */
  exact: string;
  word: string;
  /** False for stop words: they help phrase matching but are not index terms. */
  content: boolean;
  /** Whether the word is dropped from the phrase stream too. */
  skip: boolean;
  /** The owning index's term id for `stem`, cached once known (-1 until then). */
  id: number;
}

/**
 * The analysed-token cache of one index (stem, folded form, term id). Bounded: passports are finite, but user
 * intents are not, and a long-running server must not grow without limit.
 */
export class StemCache {
  private readonly cache = new Map<string, StreamToken>();
  constructor(private readonly max = 200_000) {}

  stem(word: string): string {
    return this.token(word).stem;
  }

  /** The analysed token for one word (shared, do not mutate). */
  token(word: string): StreamToken {
    let t = this.cache.get(word);
    if (t === undefined) {
      const norm = foldWord(word);
      t = { stem: stemWord(word), norm, exact: `=${norm}`, word, content: !STOP_WORDS.has(norm) && !SKIP_WORDS.has(norm), skip: SKIP_WORDS.has(norm), id: -1 };
      if (this.cache.size >= this.max) this.cache.clear();
      this.cache.set(word, t);
    }
    return t;
  }

  /** The phrase stream of a text: tokens minus skip words, each stemmed and flagged content or not. */
  stream(text: string): StreamToken[] {
    const out: StreamToken[] = [];
    for (const word of tokenize(text)) {
      const t = this.token(word);
      if (!t.skip) out.push(t);
    }
    return out;
  }
}
