// Ranking quality on a labelled set of intents: top-1, top-3 and mean reciprocal rank. Any ranker fits (ours, or
// the MiniSearch baseline in the benchmark), so both are measured by the same code on the same set.

export interface LabelledIntent {
  intent: string;
  /** Capability ids that answer the intent; the first of them found in the ranking counts. */
  expected: string[];
  /** "dev" (used while tuning) or "holdout" (not). */
  split?: string;
}

export interface EvalMiss {
  intent: string;
  expected: string[];
  /** Rank of the first expected id (1-based), or 0 when not in the ranking. */
  rank: number;
  got: string[];
}

export interface EvalResult {
  n: number;
  top1: number;
  top3: number;
  /** Mean reciprocal rank over the first `depth` results (0 when no expected id is there). */
  mrr: number;
  misses: EvalMiss[];
}

/** `rank(intent)` returns capability ids, best first. */
export function evaluate(intents: readonly LabelledIntent[], rank: (intent: string) => string[], depth = 10): EvalResult {
  let top1 = 0;
  let top3 = 0;
  let rr = 0;
  const misses: EvalMiss[] = [];
  for (const it of intents) {
    const got = rank(it.intent).slice(0, depth);
    const want = new Set(it.expected);
    const i = got.findIndex((id) => want.has(id));
    const r = i < 0 ? 0 : i + 1;
    if (r === 1) top1++;
    if (r >= 1 && r <= 3) top3++;
    if (r > 0) rr += 1 / r;
    if (r !== 1) misses.push({ intent: it.intent, expected: it.expected, rank: r, got: got.slice(0, 3) });
  }
  const n = intents.length || 1;
  return { n: intents.length, top1: top1 / n, top3: top3 / n, mrr: rr / n, misses };
}
