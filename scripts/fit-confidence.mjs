// Fits the two logistic confidence models of intent search (src/core/search/confidence.ts) on the DEVELOPMENT
// split only, then reports the calibration targets on dev and held-out. Samples: the top 5 matches of every dev
// intent of the real-registry set (test/fixtures/eval/real, off-catalogue intents included: all their matches are
// negatives) and of the synthetic set; label = the match serves the intent. The first-match model is fitted on the
// first matches alone, over the features and their pairwise products (`products`, the layout confidenceOf reads),
// the other on all five, over the features alone (products there changed nothing on dev).
//   npm run build && node scripts/fit-confidence.mjs            prints the weights to paste into confidence.ts
//   node scripts/fit-confidence.mjs --check                      leave one fresh round out: does the promise carry over?
//                                                                (each round, and pooled over the left-out rounds)
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toLoadedPassport } from '../build/core/passport/load.js';
import { FEATURE_NAMES } from '../build/core/search/confidence.js';
import { evaluateConfidence, FRESH_ROUND } from '../build/core/search/evaluate.js';
import { IntentIndex } from '../build/core/search/index.js';
import { loadWordVectors } from '../build/core/search/word-vectors.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EVAL = path.join(ROOT, 'test/fixtures/eval');

export function loadSet(dir, intentsFile) {
  const passports = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => toLoadedPassport(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), f));
  passports.push(toLoadedPassport(JSON.parse(readFileSync(path.join(ROOT, 'passports/mistral-small-3.1.passport.json'), 'utf8')), 'builtin'));
  return { passports, intents: JSON.parse(readFileSync(intentsFile, 'utf8')).intents };
}

/**
 * Random subsets of a catalogue, the same for the same seed (a linear congruential generator, so runs repeat):
 * `sample(k)` gives k of `items`. The scripts that measure or choose the small-catalogue shift use it.
 */
export function subsetSampler(items, seed) {
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return (k) =>
    items
      .map((p) => [random(), p])
      .sort((a, b) => a[0] - b[0])
      .slice(0, k)
      .map((x) => x[1]);
}

/** What ">= 0.5" must mean on intents the models were not fitted on (issue 12: 90 %). */
const TARGET = 0.9;
/**
 * The precision the biases are lowered to on dev. Calibrating to exactly 0.9 on the intents a model was fitted on left
 * 0.84-0.92 on the other half of dev (two-fold cross-validation on dev, three seeds, mean 0.886): the fit is
 * optimistic about its own intents. Aiming at 0.92 gave 0.86-0.99 on the unseen half, mean 0.92 (four seeds).
 */
const DEV_TARGET = 0.92;
/**
 * The abstention the biases are calibrated to on dev (`OFF_TARGET=0.93 node ...` tries another). Leaving one fresh
 * round out (`--check`) and calibrating on the other two to 0.9 left 0.875-0.88 on two of the three left-out rounds;
 * 0.93 left 0.88 on one; 0.95 kept every left-out round at 0.92 or more (precision too), at a cost in right-first
 * (0.53 -> 0.40 on average). With five fresh rounds the pooled left-out figures decide (see `--check`): at 0.95,
 * 0.944 precision and 0.951 abstention; at 0.93, 0.923 and 0.917.
 */
const DEV_OFF_TARGET = +(process.env.OFF_TARGET ?? 0.95);
// The biases are calibrated on the dev intents of the rounds no vocabulary change was ever decided on (FRESH_ROUND and
// later in intents.json): six rounds of vocabulary work on the older dev misses made those intents match better than
// any new intent does, so a promise kept on them was not kept on fresh ones (0.84-0.87 precision on the seventh
// round's intents while the older dev held 0.92-0.93).

const vec = (f) => FEATURE_NAMES.map((k) => f[k]);
/** The features, then the product of every pair i <= j in FEATURE_NAMES order (FIRST_CONFIDENCE_WEIGHTS' layout). */
export const products = (x) => [...x, ...x.flatMap((a, i) => x.slice(i).map((b) => a * b))];

/** Each of the top `depth` matches of every intent, with whether it came first. */
function samples(index, intents, depth = 5) {
  const out = [];
  for (const it of intents)
    index
      .rank(it.intent, { limit: depth })
      .forEach((m, i) => out.push({ x: vec(m.features), y: it.expected.includes(m.capability.id) ? 1 : 0, first: i === 0 }));
  return out;
}

export function fit(data, { epochs = 4000, lr = 0.5, l2 = 1e-3 } = {}) {
  const k = data[0].x.length;
  const w = new Array(k + 1).fill(0);
  const pos = data.filter((d) => d.y).length;
  // Balance the classes: negatives outnumber positives about 4:1 (top 5 per intent).
  const balance = process.env.BALANCE === '1';
  const wPos = balance ? data.length / (2 * pos) : 1;
  const wNeg = balance ? data.length / (2 * (data.length - pos)) : 1;
  for (let e = 0; e < epochs; e++) {
    const g = new Array(k + 1).fill(0);
    for (const { x, y } of data) {
      const z = w[0] + x.reduce((s, xi, i) => s + w[i + 1] * xi, 0);
      const p = 1 / (1 + Math.exp(-z));
      const err = (p - y) * (y ? wPos : wNeg);
      g[0] += err;
      x.forEach((xi, i) => (g[i + 1] += err * xi));
    }
    for (let i = 0; i <= k; i++) w[i] -= lr * (g[i] / data.length + (i ? l2 * w[i] : 0));
  }
  return w;
}

/** The targets for one split: precision at 0.5, right-first-with-confidence, off-catalogue unanswered. */
export function calibration(index, intents, threshold = 0.5) {
  return evaluateConfidence(intents, (q) => index.search(q, { limit: 10 }).map((m) => ({ id: m.capability.id, confidence: m.confidence })), threshold);
}

/** One calibration result as the reports print it. */
const describe = (c) =>
  `precision@0.5 ${c.precision.toFixed(3)} (${c.served} served), right-first@0.5 ${c.rightFirst.toFixed(3)}, off-catalogue unanswered ${c.offUnanswered.toFixed(3)}`;

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const vectors = loadWordVectors();
  const real = loadSet(path.join(EVAL, 'real/passports'), path.join(EVAL, 'real/intents.json'));
  const syn = loadSet(path.join(EVAL, 'passports'), path.join(EVAL, 'intents.json'));
  const build = (set, weights) => {
    const i = new IntentIndex({ vectors, confidenceWeights: weights });
    for (const p of set.passports) i.add(p);
    return i;
  };
  const dev = (set) => set.intents.filter((i) => i.split === 'dev');
  const isFresh = (i) => (i.round ?? 0) >= FRESH_ROUND;
  const synSamples = samples(build(syn), dev(syn));
  const realIndex = build(real);
  // Fits both models on `train` (real) plus synthetic dev, then lowers both biases (in steps of 0.05) until `calibrate`
  // keeps the promise. The logistic fits minimise log-loss; the promise is about the 0.5 line: among matches
  // at >= 0.5 at least 90 % serve, and off-catalogue intents stay under it.
  const fitAndCalibrate = (train, calibrate) => {
    const data = [...samples(realIndex, train), ...synSamples];
    const firsts = data.filter((d) => d.first).map((d) => ({ ...d, x: products(d.x) }));
    const fitted = { first: fit(firsts), rest: fit(data) };
    const shifted = (by) => ({ first: [fitted.first[0] - by, ...fitted.first.slice(1)], rest: [fitted.rest[0] - by, ...fitted.rest.slice(1)] });
    let shift = 0;
    for (; shift < 3; shift += 0.05) {
      const c = calibration(build(real, shifted(shift)), calibrate);
      if (c.precision >= DEV_TARGET && c.offUnanswered >= DEV_OFF_TARGET) break;
    }
    if (shift >= 3) process.stderr.write('warning: the calibration set missed its targets with the biases lowered by 3\n');
    return { weights: shifted(shift), shift, samples: data };
  };
  if (process.argv.includes('--check')) {
    // Leave one fresh round out: fit on the rest of dev, calibrate on the other fresh rounds' dev halves, and measure
    // the left-out round's dev half, which nothing was fitted or calibrated on. Dev only.
    const rounds = [
      ...new Set(
        dev(real)
          .filter(isFresh)
          .map((i) => i.round),
      ),
    ].sort((a, b) => a - b);
    // Each round's dev half has 24-33 off-catalogue intents, so one intent moves its abstention by 3-4 points: a model
    // whose true abstention is 0.95 shows 0.88 or less on some round of five about half the time. The pooled figures
    // over all left-out rounds (every fresh dev intent, each judged by a model that never saw its round) are the test.
    const judgedBy = new Map();
    for (const r of rounds) {
      const train = dev(real).filter((i) => i.round !== r);
      const { weights, shift } = fitAndCalibrate(train, train.filter(isFresh));
      const index = build(real, weights);
      const half = dev(real).filter((i) => i.round === r);
      for (const i of half) judgedBy.set(i.intent, index);
      const c = calibration(index, half);
      process.stdout.write(
        `leave out round ${r}: biases lowered by ${shift.toFixed(2)}; its dev half: ${describe(c)}${c.precision < TARGET || c.offUnanswered < TARGET ? ' (under the promise)' : ''}\n`,
      );
    }
    const pooled = calibration({ search: (q, opts) => judgedBy.get(q).search(q, opts) }, dev(real).filter(isFresh));
    process.stdout.write(
      `pooled over the left-out rounds (${pooled.inCatalogue} + ${pooled.offCatalogue} intents): ${describe(pooled)}${pooled.precision < TARGET || pooled.offUnanswered < TARGET ? ' (under the promise)' : ''}\n`,
    );
  } else {
    // Never look at the held-out split here: the biases are calibrated on the DEVELOPMENT split's fresh rounds.
    const fresh = dev(real).filter(isFresh);
    const { weights: best, shift, samples: data } = fitAndCalibrate(dev(real), fresh);
    const firsts = data.filter((d) => d.first);
    const round3 = (ws) => ws.map((x) => Math.round(x * 1000) / 1000);
    const w = { first: round3(best.first), rest: round3(best.rest) };
    process.stdout.write(
      `biases lowered by ${shift.toFixed(2)} to keep precision >= ${DEV_TARGET} and abstention >= ${DEV_OFF_TARGET} on real/dev, rounds >= ${FRESH_ROUND} (${fresh.length} intents)\n`,
    );
    process.stdout.write(
      `samples ${data.length} (positives ${data.filter((d) => d.y).length}; first matches ${firsts.length}, positives ${firsts.filter((d) => d.y).length})\n` +
        `[bias, ${FEATURE_NAMES.join(', ')}]\nFIRST_CONFIDENCE_WEIGHTS = ${JSON.stringify(w.first)}\nCONFIDENCE_WEIGHTS = ${JSON.stringify(w.rest)}\n`,
    );
    for (const [name, set] of [
      ['real', real],
      ['synthetic', syn],
    ]) {
      const idx = build(set, w);
      for (const split of ['dev', 'holdout']) {
        const c = calibration(
          idx,
          set.intents.filter((i) => i.split === split),
        );
        process.stdout.write(`${name}/${split}: ${describe(c)}\n`);
      }
    }
    const b = new IntentIndex({ vectors, confidenceWeights: w });
    b.add(real.passports.at(-1));
    process.stdout.write(`built-in only, "generate music from a melody": ${b.search('generate music from a melody')[0]?.confidence ?? 'no match'}\n`);
  }
}
