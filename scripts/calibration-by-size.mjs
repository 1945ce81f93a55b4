// How the confidence promise (issue 12: among matches at >= 0.5 at least 90 % serve; off-catalogue intents
// unanswered) holds when the catalogue is smaller than the labelled real set: the built-in passport alone (what an
// offline server has), and random subsets of the real registry passports with the built-in one, with the labels cut
// to what each subset holds (an intent whose serving capabilities are all left out becomes off-catalogue there).
// The confidence models are the shipped ones (src/core/search/confidence.ts), fitted on the full set's dev split.
//   npm run build && node scripts/calibration-by-size.mjs [--reps N]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluateConfidence } from '../build/core/search/evaluate.js';
import { IntentIndex } from '../build/core/search/index.js';
import { loadWordVectors } from '../build/core/search/word-vectors.js';
import { loadSet, subsetSampler } from './fit-confidence.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EVAL = path.join(ROOT, 'test/fixtures/eval/real');
const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 5;

const vectors = loadWordVectors();
const real = loadSet(path.join(EVAL, 'passports'), path.join(EVAL, 'intents.json'));
const builtin = real.passports.at(-1);
const others = real.passports.slice(0, -1);
const sample = subsetSampler(others, 7);

function measure(passports, split) {
  const index = new IntentIndex({ vectors });
  for (const p of passports) index.add(p);
  const held = new Set(passports.flatMap((p) => p.passport.unfragile.capabilities.map((c) => c.id)));
  const intents = real.intents.filter((i) => i.split === split).map((i) => ({ ...i, expected: i.expected.filter((id) => held.has(id)) }));
  return evaluateConfidence(intents, (q) => index.search(q, { limit: 10 }).map((m) => ({ id: m.capability.id, confidence: m.confidence })));
}

const fmt = (xs) => {
  const mean = (k) => xs.reduce((s, c) => s + c[k], 0) / xs.length;
  const served = xs.reduce((s, c) => s + c.served, 0);
  return `precision ${mean('precision').toFixed(2)} (${served} served), right-first ${mean('rightFirst').toFixed(2)}, off-catalogue unanswered ${mean('offUnanswered').toFixed(2)}`;
};
process.stdout.write(`passports in the catalogue (the built-in one included): mean over ${reps} random subsets\n`);
for (const k of [0, 4, 14, 39, others.length]) {
  const runs = { dev: [], holdout: [] };
  for (let r = 0; r < (k === 0 || k === others.length ? 1 : reps); r++) {
    const ps = [builtin, ...sample(k)];
    for (const split of ['dev', 'holdout']) runs[split].push(measure(ps, split));
  }
  process.stdout.write(`${String(k + 1).padStart(4)}  dev: ${fmt(runs.dev)}\n      held-out: ${fmt(runs.holdout)}\n`);
}
