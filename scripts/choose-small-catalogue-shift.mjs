// Chooses the small-catalogue shift of intent-search confidence (src/core/search/confidence.ts: SMALL_CATALOGUE_SLOPE
// and SMALL_CATALOGUE_MAX_SHIFT) on the DEVELOPMENT split only: for random subsets of the real registry passports
// (always with the built-in one, labels cut to what each subset holds), the shipped models' confidence with each
// candidate slope and cap, and the least shift that keeps 92 % precision at >= 0.5 at every size (a margin over
// 90 %), both as the mean over a size's subsets and pooled over their matches (printed as mean/pooled). The shipped
// shift is replaced by that least one only when it no longer keeps 92 % itself (last line). Run it after refitting the
// models (scripts/fit-confidence.mjs) or growing the set; `scripts/calibration-by-size.mjs` then reports dev and
// held-out.
//   npm run build && node scripts/choose-small-catalogue-shift.mjs [--reps 40]
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CONFIDENCE_WEIGHTS,
  confidenceOf,
  FIRST_CONFIDENCE_WEIGHTS,
  SMALL_CATALOGUE_MAX_SHIFT,
  SMALL_CATALOGUE_SLOPE,
  smallCatalogueShift,
} from '../build/core/search/confidence.js';
import { IntentIndex } from '../build/core/search/index.js';
import { loadWordVectors } from '../build/core/search/word-vectors.js';
import { loadSet, subsetSampler } from './fit-confidence.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EVAL = path.join(ROOT, 'test/fixtures/eval/real');
const reps = Number(process.argv[process.argv.indexOf('--reps') + 1]) || 40;
/**
 * The precision every size must keep on dev: the promise (0.9) plus the margin the full catalogue's calibration keeps
 * (DEV_TARGET in fit-confidence.mjs). Chosen at exactly 0.9, the shift left held-out subsets at 0.84-0.88 at 5 and 15
 * passports once rounds 10 and 11 were in the set; `TARGET=0.9 node ...` shows that choice.
 */
const TARGET = Number(process.env.TARGET ?? 0.92);

const vectors = loadWordVectors();
const real = loadSet(path.join(EVAL, 'passports'), path.join(EVAL, 'intents.json'));
const dev = real.intents.filter((i) => i.split === 'dev');
const builtin = real.passports.at(-1);
const others = real.passports.slice(0, -1);
const sample = subsetSampler(others, 11);

// The features of the top five matches of every dev intent, per subset: confidence is recomputed from them for each
// candidate shift, exactly as the index does (first-match model first, each match capped by the one before it).
const subsets = [];
for (const k of [0, 2, 4, 9, 14, 24, 39, 60, 90]) {
  for (let r = 0; r < (k === 0 ? 1 : reps); r++) {
    const ps = [builtin, ...sample(k)];
    const index = new IntentIndex({ vectors });
    for (const p of ps) index.add(p);
    const held = new Set(ps.flatMap((p) => p.passport.unfragile.capabilities.map((c) => c.id)));
    subsets.push({
      passports: k + 1,
      capabilities: held.size,
      intents: dev.map((it) => ({
        ms: index.rank(it.intent, { limit: 5 }).map((m) => ({ f: m.features, y: it.expected.includes(m.capability.id) })),
      })),
    });
  }
}

function precisionBySize(shiftOf) {
  const by = new Map();
  for (const sub of subsets) {
    const shift = shiftOf(sub.capabilities);
    let served = 0;
    let right = 0;
    for (const it of sub.intents) {
      let ceiling = 1;
      it.ms.forEach((m, i) => {
        ceiling = Math.min(ceiling, confidenceOf(m.f, i === 0 ? FIRST_CONFIDENCE_WEIGHTS : CONFIDENCE_WEIGHTS, shift));
        if (ceiling >= 0.5) {
          served++;
          if (m.y) right++;
        }
      });
    }
    const xs = by.get(sub.passports) ?? [];
    xs.push({ served, right });
    by.set(sub.passports, xs);
  }
  return [...by].map(([passports, xs]) => {
    const served = xs.reduce((a, x) => a + x.served, 0);
    // Nothing served claims nothing: precision 1, as for one subset.
    const pooled = served ? xs.reduce((a, x) => a + x.right, 0) / served : 1;
    return { passports, precision: xs.reduce((a, x) => a + (x.served ? x.right / x.served : 1), 0) / xs.length, pooled };
  });
}

const worstOf = (slope, cap) => {
  const rows = precisionBySize((caps) => smallCatalogueShift(caps, slope, cap));
  return { rows, worst: Math.min(...rows.map((r) => Math.min(r.precision, r.pooled))) };
};
let chosen;
for (const cap of [1, 1.5, 2, 2.5, 3, 3.5, 4]) {
  for (const slope of [0.8, 1.2, 1.7, 2, 2.5]) {
    const { rows, worst } = worstOf(slope, cap);
    process.stdout.write(
      `cap ${cap}, slope ${slope}: worst ${worst.toFixed(3)}  ${rows.map((r) => `${r.passports}:${r.precision.toFixed(2)}/${r.pooled.toFixed(2)}`).join(' ')}\n`,
    );
    if (!chosen && worst >= TARGET) chosen = { cap, slope };
  }
}
process.stdout.write(
  chosen
    ? `least shift keeping ${TARGET} at every size on dev: SMALL_CATALOGUE_MAX_SHIFT = ${chosen.cap}, SMALL_CATALOGUE_SLOPE = ${chosen.slope}\n`
    : `no candidate keeps ${TARGET} at every size on dev\n`,
);
// The shipped shift changes only when it no longer keeps the target: near the line the least passing pair moves with
// the sampling and with each new round (cap 2, then 2.5, then 2 again on 2,660 intents, at 0.921-0.929 over three
// subset seeds), and every move trades the promise in small catalogues for a few more confident answers there.
const shippedWorst = worstOf(SMALL_CATALOGUE_SLOPE, SMALL_CATALOGUE_MAX_SHIFT).worst;
process.stdout.write(
  `shipped (cap ${SMALL_CATALOGUE_MAX_SHIFT}, slope ${SMALL_CATALOGUE_SLOPE}): worst ${shippedWorst.toFixed(3)}: ` +
    (shippedWorst >= TARGET ? 'keeps the target, keep it\n' : `under ${TARGET}, ship the least shift above\n`),
);
