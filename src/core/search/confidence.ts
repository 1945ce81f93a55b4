// Calibrated confidence: the probability that a match serves the intent, from small logistic models over
// features a person can check (how much of the intent the capability answers and the heaviest word it lacks, how
// strong and how far ahead the lexical match is, how close in meaning the best sentence of the capability is). Two
// models: one for the first match, fitted on first matches alone, which answers "is the best candidate right, or
// does nothing here fit?" (its lead over the rest weighs there, and next to nothing in the other model), and one
// fitted on the top five matches (the first included; fitting it on the others alone did worse on dev) for the
// matches after the first, each capped by the match ranked before it. Fitted on the development split of the
// labelled real-registry set (scripts/fit-confidence.mjs, dev only) and checked on the held-out split;
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

/** Logistic weights for the first match (bias first, then FEATURE_NAMES order). Written by scripts/fit-confidence.mjs. */
export const FIRST_CONFIDENCE_WEIGHTS: readonly number[] = [-6.051, 2.367, 1.278, 2.439, -1.12, 2.255, -1.754, 1.787, 1.077, 0.922, -2.306, 1.033];

/** Logistic weights for the matches after the first (same layout). Written by scripts/fit-confidence.mjs. */
export const CONFIDENCE_WEIGHTS: readonly number[] = [-9.204, 2.396, 1.397, 1.101, 2.502, -0.269, -0.918, 1.207, 1.163, 0.848, -0.489, 1.749];

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
 * keeps 0.92 (0.922-0.929): the shipped shift now changes only when it fails on dev.
 * scripts/choose-small-catalogue-shift.mjs makes the choice on random dev subsets (--reps 40: with 20 the choice moved
 * with the sampling); run it after each refit.
 */
export const CALIBRATION_CAPABILITIES = 121;
export const SMALL_CATALOGUE_SLOPE = 1.2;
export const SMALL_CATALOGUE_MAX_SHIFT = 2.5;

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
