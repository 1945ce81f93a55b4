// Ranking quality on a labelled set of intents: top-1, top-3 and mean reciprocal rank. Any ranker fits (ours, or
// the MiniSearch baseline in the benchmark), so both are measured by the same code on the same set.

/**
 * The first round of labelled real intents on which no vocabulary change was ever decided (test/fixtures/eval/real):
 * the confidence biases are calibrated on the dev half of these rounds, and their held-out half is reported apart.
 */
export const FRESH_ROUND = 7;

export interface LabelledIntent {
  intent: string;
  /** Capability ids that answer the intent (the first found in the ranking counts); empty: nothing loaded does. */
  expected: string[];
  /** "dev" (used while tuning) or "holdout" (not). */
  split?: string;
  /** Which round of blind writing it came from, where that matters (7 and later: no vocabulary change was decided on it). */
  round?: number;
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

export interface ConfidenceResult {
  /** Among all matches at or above the threshold, the share that serve their intent. */
  precision: number;
  /** Matches at or above the threshold, over all intents. */
  served: number;
  /** In-catalogue intents whose first match serves them and has confidence >= threshold. */
  rightFirst: number;
  /** Off-catalogue intents (`expected: []`) with no match at or above the threshold. */
  offUnanswered: number;
  inCatalogue: number;
  offCatalogue: number;
}

/**
 * Whether confidence means what it says, on a labelled set that may hold off-catalogue intents (`expected: []`).
 * `search(intent)` returns ranked matches with their capability id and confidence, no threshold applied.
 */
export function evaluateConfidence(
  intents: readonly LabelledIntent[],
  search: (intent: string) => { id: string; confidence: number }[],
  threshold = 0.5,
): ConfidenceResult {
  let served = 0;
  let servedOk = 0;
  let rightFirst = 0;
  let inCat = 0;
  let off = 0;
  let offQuiet = 0;
  for (const it of intents) {
    const ms = search(it.intent);
    const sure = ms.filter((m) => m.confidence >= threshold);
    served += sure.length;
    servedOk += sure.filter((m) => it.expected.includes(m.id)).length;
    if (it.expected.length) {
      inCat++;
      if (ms[0] && ms[0].confidence >= threshold && it.expected.includes(ms[0].id)) rightFirst++;
    } else {
      off++;
      if (!sure.length) offQuiet++;
    }
  }
  return {
    precision: served ? servedOk / served : 1,
    served,
    rightFirst: inCat ? rightFirst / inCat : 0,
    offUnanswered: off ? offQuiet / off : 1,
    inCatalogue: inCat,
    offCatalogue: off,
  };
}

/** One request as an agent passed it (test/fixtures/eval/real/via-agent.json): `of` is the person's own intent. */
export interface AgentRewrite {
  of: string;
  intent: string;
  split: string;
}

/**
 * The agents' intents with the labels of the people's intents they were written from, each with its `of`. Throws
 * when an `of` is not a labelled intent of the same split: a relabelled or reworded set must not lose its rewrites
 * without a word.
 */
export function viaAgent(labelled: readonly LabelledIntent[], rewrites: readonly AgentRewrite[]): (LabelledIntent & { of: string })[] {
  const byText = new Map(labelled.map((i) => [i.intent, i]));
  return rewrites.map((r) => {
    const source = byText.get(r.of);
    if (!source || source.split !== r.split) throw new Error(`via-agent: no ${r.split} intent "${r.of}" in the labelled set`);
    return { ...source, intent: r.intent, of: r.of };
  });
}

/** Neighbouring keys on a QWERTY keyboard: the commonest substitution typo hits one of these. */
const NEAR_KEYS: Readonly<Record<string, string>> = {
  q: 'wa',
  w: 'qeas',
  e: 'wrds',
  r: 'etdf',
  t: 'ryfg',
  y: 'tugh',
  u: 'yihj',
  i: 'uojk',
  o: 'ipkl',
  p: 'ol',
  a: 'qwsz',
  s: 'awedxz',
  d: 'serfcx',
  f: 'drtgvc',
  g: 'ftyhbv',
  h: 'gyujnb',
  j: 'huikmn',
  k: 'jiolm',
  l: 'kop',
  z: 'asx',
  x: 'zsdc',
  c: 'xdfv',
  v: 'cfgb',
  b: 'vghn',
  n: 'bhjm',
  m: 'njk',
};

/**
 * The intent with `count` typos as people make them (issue 12: "transcrbe a meetng" must find what the plain
 * wording finds): in distinct words of five letters or more, never the first letter, one of a dropped letter, two
 * letters swapped, a neighbouring key struck instead, or a letter doubled. Deterministic for an intent and a seed,
 * whatever else is measured with it.
 */
export function withTypos(intent: string, count = 1, seed = 1): string {
  let h = seed >>> 0;
  for (let i = 0; i < intent.length; i++) h = Math.imul(h ^ intent.charCodeAt(i), 0x01000193) >>> 0;
  // mulberry32
  const rnd = () => {
    h = (h + 0x6d2b79f5) >>> 0;
    let t = h;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const parts = intent.split(/([^A-Za-z]+)/);
  const words = parts.flatMap((p, i) => (/^[A-Za-z]{5,}$/.test(p) ? [i] : []));
  for (let c = 0; c < count && words.length; c++) {
    const at = words.splice(Math.floor(rnd() * words.length), 1)[0]!;
    const w = parts[at]!;
    const i = 1 + Math.floor(rnd() * (w.length - 1));
    const kind = rnd();
    const near = NEAR_KEYS[w[i]!.toLowerCase()];
    if (kind < 0.3) parts[at] = w.slice(0, i) + w.slice(i + 1);
    else if (kind < 0.55 && i < w.length - 1) parts[at] = w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2);
    else if (kind < 0.85 && near) parts[at] = w.slice(0, i) + near[Math.floor(rnd() * near.length)] + w.slice(i + 1);
    else parts[at] = w.slice(0, i) + w[i] + w.slice(i);
  }
  return parts.join('');
}
