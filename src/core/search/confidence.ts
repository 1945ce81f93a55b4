// Calibrated confidence: the probability that a match serves the intent, from small logistic models over
// features a person can check (how much of the intent the capability answers, how strong and how far ahead the
// lexical match is, how close in meaning the best sentence of the capability is). Two models: one for the first
// match, fitted on first matches alone, which answers "is the best candidate right, or does nothing here fit?" (its
// lead over the rest weighs there, and next to nothing in the other model), and one fitted on the top five matches
// (the first included; fitting it on the others alone did worse on dev) for the matches after the first, each capped
// by the match ranked before it. Fitted on the development split of the labelled real-registry set
// (scripts/fit-confidence.mjs, dev only) and checked on the held-out split; `>= DEFAULT_MIN_CONFIDENCE` is meant as
// "serves the intent". Abstaining is the federation's job: the index reports confidence and never drops a match.

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
}

export const FEATURE_NAMES = ['score', 'coverage', 'similarity', 'relative', 'lead', 'unknown', 'closeness', 'distinct', 'named'] as const;

/** Logistic weights for the first match (bias first, then FEATURE_NAMES order). Written by scripts/fit-confidence.mjs. */
export const FIRST_CONFIDENCE_WEIGHTS: readonly number[] = [-6.201, 2.495, 1.8, 1.934, -1.108, 2.649, -1.588, 2.338, 0.988, 0.81];

/** Logistic weights for the matches after the first (same layout). Written by scripts/fit-confidence.mjs. */
export const CONFIDENCE_WEIGHTS: readonly number[] = [-11.434, 2.872, 1.581, 0.67, 5.159, 0.707, -0.578, 1.318, 1.44, 0.711];

/**
 * Capabilities in the catalogue the models were fitted on (the labelled real set with the built-in passport). In a
 * smaller catalogue an intent's serving artifact is usually missing while a near relative is there, and the
 * features read the relative as a fit: precision at 0.5 fell to 0.50 with the built-in passport alone, 0.54-0.76
 * from 5 to 40 passports (scripts/calibration-by-size.mjs). Below this size the models' log-odds are lowered by
 * SMALL_CATALOGUE_SLOPE per e-fold of missing size, at most SMALL_CATALOGUE_MAX_SHIFT: both chosen on the dev split
 * of random subsets (the least shift that keeps 90 % precision at every size), then checked on held-out. Since the
 * biases are calibrated on fresh intents (scripts/fit-confidence.mjs), the models are lower at every size and the
 * shift needed is smaller: 0.8 per e-fold, at most 1.5 (it was 1.7, at most 3). scripts/choose-small-catalogue-shift.mjs
 * makes the choice on 20 random dev subsets per size; run it after each refit.
 */
export const CALIBRATION_CAPABILITIES = 121;
export const SMALL_CATALOGUE_SLOPE = 0.8;
export const SMALL_CATALOGUE_MAX_SHIFT = 1.5;

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
  return 1 / (1 + Math.exp(-z));
}
