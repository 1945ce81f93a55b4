// Calibrated confidence: the probability that a match serves the intent, from small logistic models over
// features a person can check (how much of the intent the capability answers and the heaviest word it lacks, how
// strong and how far ahead the lexical match is, how close in meaning the best sentence of the capability is). Two
// models: one for the first match, fitted on first matches alone, which answers "is the best candidate right, or
// does nothing here fit?" (its lead over the rest weighs there, and next to nothing in the other model), and one
// fitted on the top five matches (the first included; fitting it on the others alone did worse on dev) for the
// matches after the first, each capped by the match ranked before it. The first match's model also weighs every
// pairwise product of the features (a wide lead means more when coverage is full than when it is not): judged out
// of round on dev it kept the same promises and put the right capability first with confidence >= 0.5 for 0.499 of
// intents against 0.436 without (scripts/fit-confidence.mjs --check; scripts/confidence-ceiling.mjs compares
// learners). Fitted on the development split of the labelled real-registry set (scripts/fit-confidence.mjs, dev
// only) and checked on the held-out split;
// `>= DEFAULT_MIN_CONFIDENCE` is meant as "serves the intent". Abstaining is the federation's job: the index reports
// confidence and never drops a match.

/** Matches at or above this confidence are meant to serve the intent. */
export const DEFAULT_MIN_CONFIDENCE = 0.5;

export interface MatchFeatures {
  /** Lexical score normalised against a document that matched every query term strongly (0..1). */
  score: number;
  /** The idf-weighted share of the intent's content words the capability answers, directly or via a concept. */
  coverage: number;
  /** Best cosine between the intent and one of the capability's texts (0..1; 0 without word vectors). */
  similarity: number;
  /** This match's hybrid score over the best match's (1 for the best). */
  relative: number;
  /** The best match's lead over the second, as a share of the best's hybrid score (same for every match). */
  lead: number;
  /** Share of the intent's content words that neither the index nor the word vectors know (0..1). */
  unknown: number;
  /**
   * Like `coverage`, but a word the capability lacks counts in part when the capability has a word close in meaning
   * ("mailboxes" ~ "email"), and words weigh by idf alone, without the English-frequency prior (weighing them by
   * both measured the same on the real sets); equals `coverage` without word vectors.
   */
  closeness: number;
  /**
   * How much closer in meaning this capability is than the average lexical candidate (its similarity minus the
   * mean over the candidates re-ranked): a real fit stands out, a guess for an intent nothing serves does not.
   */
  distinct: number;
  /**
   * 1 when the intent's words (or concepts) are in the capability's name, else 0: a name says what a capability is
   * for, so a match there is stronger evidence than the same words in a long description.
   */
  named: number;
  /**
   * The heaviest content word of the intent that the capability does not answer, as a share of all its words'
   * weight (idf), 0 when it answers every one: one missing word that carries the need ("post" messages to a server
   * that only lists them) says more than the total coverage does.
   */
  lacking: number;
  /** 1 when this match is also the first by the lexical score alone, before meaning re-ranks the candidates. */
  lexicalFirst: number;
}

export const FEATURE_NAMES = [
  'score',
  'coverage',
  'similarity',
  'relative',
  'lead',
  'unknown',
  'closeness',
  'distinct',
  'named',
  'lacking',
  'lexicalFirst',
] as const;

/**
 * Logistic weights for the first match: bias first, then FEATURE_NAMES order, then the product of every pair of
 * features i <= j in that order (f0·f0, f0·f1, ... f10·f10: 66). A first match's `relative` is always 1, so its
 * products repeat the linear weights of the features after it. Written by scripts/fit-confidence.mjs.
 */
export const FIRST_CONFIDENCE_WEIGHTS: readonly number[] = [
  -4.151, 0.825, 0.514, 0.248, -0.722, 0.639, -0.716, 0.391, 0.263, 0.124, -1.059, 0.093, -0.006, 0.088, 0.644, 0.825, 0.183, -0.135, 0.564, 0.063, 0.326,
  0.177, 0.023, -0.591, 0.423, 0.514, 0.54, -0.316, 0.088, 0.09, -0.047, -0.086, -0.529, 0.882, 0.248, 0.926, -0.405, 0.602, 0.345, 0.193, -0.521, 0.864,
  -0.722, 0.639, -0.716, 0.391, 0.263, 0.124, -1.059, 0.093, -0.356, -0.176, 0.719, 0.049, 1.068, -0.269, 0.66, -0.36, -0.431, -0.003, -0.586, -0.209, -0.699,
  0.4, 0.156, 0.09, -0.422, 0.4, 0.093, 0.284, 0.033, 0.089, 0.124, 0.005, 0.158, -0.532, -1.043, 0.093,
];

/** Logistic weights for the matches after the first (bias, then FEATURE_NAMES order; no products). Written by scripts/fit-confidence.mjs. */
export const CONFIDENCE_WEIGHTS: readonly number[] = [-9.16, 2.431, 1.464, 1.079, 2.508, -0.273, -0.956, 1.276, 1.108, 0.863, -0.495, 1.719];

/**
 * Capabilities in the catalogue the models were fitted on (the labelled real set with the built-in passport). In a
 * smaller catalogue an intent's serving artifact is usually missing while a near relative is there, and the
 * features read the relative as a fit: precision at 0.5 fell to 0.50 with the built-in passport alone, 0.54-0.76
 * from 5 to 40 passports (scripts/calibration-by-size.mjs). Below this size the models' log-odds are lowered by
 * SMALL_CATALOGUE_SLOPE per e-fold of missing size, at most SMALL_CATALOGUE_MAX_SHIFT: both chosen on the dev split
 * of random subsets (the least shift that keeps 92 % precision at every size, a margin over the promised 90 % like the
 * full catalogue's), then checked on held-out: 1.2 per e-fold, at most 2.5 (at most 2 until round 12 joined the set
 * and left 15 passports at 0.919 on dev, over 40 subsets per size; before that 0.8 and 1.5, chosen at exactly 90 %,
 * which left held-out subsets of 5 and 15 passports at 0.84-0.88 once rounds 10 and 11 were in the set). With round 13
 * the least passing pair was a cap of 2 again, at the line (0.921-0.929 over three subset seeds), while 2.5 still
 * keeps 0.92 (0.922-0.929): the shipped shift now changes only when it fails on dev. It failed when the first
 * match's model took the features' pairwise products: they read a small catalogue's near relative as a fit more
 * readily (0.84 on dev with the built-in passport alone, 0.88 at 3-5 passports), and the least pair keeping 0.92 at
 * every size became 2.5 per e-fold, at most 4 (slope 1.7 left 15 passports at 0.90). A finer grid, run after that
 * choice, found 2 and at most 3.5 keeping it too (0.931 against 0.933): by the rule above the shipped pair stays, and
 * it is the surer one where held-out is short (5 passports).
 * scripts/choose-small-catalogue-shift.mjs makes the choice on random dev subsets (--reps 40: with 20 the choice moved
 * with the sampling); run it after each refit.
 */
export const CALIBRATION_CAPABILITIES = 121;
export const SMALL_CATALOGUE_SLOPE = 2.5;
export const SMALL_CATALOGUE_MAX_SHIFT = 4;

/**
 * How much a catalogue of `capabilities` lowers the log-odds of every confidence (0 at registry size and above).
 * `slope` and `cap` are the shipped ones unless a script is choosing them (scripts/choose-small-catalogue-shift.mjs).
 */
export function smallCatalogueShift(capabilities: number, slope = SMALL_CATALOGUE_SLOPE, cap = SMALL_CATALOGUE_MAX_SHIFT): number {
  if (capabilities >= CALIBRATION_CAPABILITIES) return 0;
  return Math.min(cap, slope * Math.log(CALIBRATION_CAPABILITIES / Math.max(1, capabilities)));
}

/**
 * The probability a logistic model gives; the default weights are those for matches after the first. `shift`
 * lowers the log-odds (smallCatalogueShift).
 */
export function confidenceOf(f: MatchFeatures, w: readonly number[] = CONFIDENCE_WEIGHTS, shift = 0): number {
  let z = w[0]! - shift;
  FEATURE_NAMES.forEach((k, i) => (z += (w[i + 1] ?? 0) * f[k]));
  // The pairwise products, when the weights have them (FIRST_CONFIDENCE_WEIGHTS).
  let o = FEATURE_NAMES.length + 1;
  for (let i = 0; o < w.length && i < FEATURE_NAMES.length; i++)
    for (let j = i; j < FEATURE_NAMES.length; j++) z += (w[o++] ?? 0) * f[FEATURE_NAMES[i]!] * f[FEATURE_NAMES[j]!];
  return 1 / (1 + Math.exp(-z));
}
