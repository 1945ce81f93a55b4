// Regression guard on the labelled set: fails if ranking quality drops below what the index reached
// (minus a small margin), and checks it stays clearly ahead of the plain BM25 baseline.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/core/search/evaluate.js';
import { IntentIndex } from '../../../src/core/search/index.js';
import { loadEvalCorpus, loadEvalIntents, testVectors, bm25Baseline } from './helpers.js';

// Reached with meaning and calibrated confidence (issue 12; all 122 intents): see bench/search.mjs. The floor is
// what the lexical index reached before (0.927): the synthetic set must not regress.
const REACHED_MRR = 0.94;
const MARGIN = 0.013;

describe('labelled intents', () => {
  const corpus = loadEvalCorpus();
  const intents = loadEvalIntents();
  const index = new IntentIndex({ vectors: testVectors() });
  for (const p of corpus) index.add(p);
  const ours = evaluate(intents, (q) => index.search(q, { limit: 10 }).map((m) => m.capability.id));

  it('has a big enough, well-formed labelled set', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(21);
    expect(intents.length).toBeGreaterThanOrEqual(80);
    const capIds = new Set(corpus.flatMap((p) => p.passport.unfragile.capabilities.map((c) => c.id)));
    for (const it of intents) for (const id of it.expected) expect(capIds.has(id), `${it.intent} -> ${id}`).toBe(true);
  });

  it(`keeps MRR at or above ${REACHED_MRR - MARGIN}`, () => {
    expect(ours.mrr, JSON.stringify(ours.misses.slice(0, 10), null, 1)).toBeGreaterThanOrEqual(REACHED_MRR - MARGIN);
  });

  it('beats plain BM25 (MiniSearch defaults over the concatenated capability text)', () => {
    const base = bm25Baseline(corpus, intents);
    expect(ours.mrr).toBeGreaterThan(base.mrr + 0.05);
    expect(ours.top1).toBeGreaterThan(base.top1 + 0.05);
  });
});
