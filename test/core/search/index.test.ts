import { beforeAll, describe, expect, it } from 'vitest';
import { isTextOnly } from '../../../src/core/search/analyze.js';
import { IntentIndex, type SearchMatch } from '../../../src/core/search/index.js';
import { loadEvalCorpus, makePassport, testVectors } from './helpers.js';

const ids = (ms: SearchMatch[]) => ms.map((m) => m.capability.id);

describe('IntentIndex on the eval corpus', () => {
  const index = new IntentIndex({ vectors: testVectors() });
  beforeAll(() => {
    for (const p of loadEvalCorpus()) index.add(p);
  });

  it('finds the vision capability for "describe a screenshot"', () => {
    const [top] = index.search('describe a screenshot');
    expect(top!.capability.id).toBe('openrouter-mistralai-mistral-small-3.1-24b-instruct__cap_1');
  });

  it('understands paraphrases', () => {
    expect(index.search('turn my meeting recording into a transcript', { limit: 3 }).map((m) => m.passport.slug)).toContain('openai-whisper-large-v3');
    expect(index.search('read my blog posts aloud')[0]!.capability.name).toMatch(/text-to-speech/);
  });

  it('returns scores in 0..1, best first, at most `limit`', () => {
    const ms = index.search('translate a contract into German', { limit: 7 });
    expect(ms.length).toBe(7);
    for (const m of ms) expect(m.score).toBeGreaterThan(0);
    for (const m of ms) expect(m.score).toBeLessThanOrEqual(1);
    for (let i = 1; i < ms.length; i++) expect(ms[i - 1]!.score).toBeGreaterThanOrEqual(ms[i]!.score);
    expect(index.search('translate', {}).length).toBe(5);
  });

  it("gives a match the same confidence whatever the limit (the best match's lead is measured before the cut)", () => {
    for (const q of ['translate a contract into German', 'describe a screenshot', 'pay my electricity bill']) {
      const wide = index.search(q, { limit: 10 });
      const one = index.search(q, { limit: 1 });
      expect(one.length, q).toBe(1);
      expect(one[0]!.capability.id, q).toBe(wide[0]!.capability.id);
      expect(one[0]!.confidence, q).toBe(wide[0]!.confidence);
    }
    const lexical = new IntentIndex({ vectors: false });
    for (const p of loadEvalCorpus()) lexical.add(p);
    expect(lexical.search('translate a contract into German', { limit: 1 })[0]!.confidence).toBe(
      lexical.search('translate a contract into German', { limit: 10 })[0]!.confidence,
    );
  });

  it('explains each match briefly', () => {
    const [top] = index.search('turn my meeting recording into a transcript');
    expect(top!.reason).toMatch(/matched/);
    expect(top!.reason).toMatch(/"recording"|"transcript"/);
    expect(top!.reason.length).toBeLessThan(300);
    const [tts] = index.search('read my blog posts aloud');
    expect(tts!.reason).toMatch(/"read … aloud" ~ text to speech/);
  });

  it('returns nothing for empty or meaningless intents', () => {
    expect(index.search('')).toEqual([]);
    expect(index.search('   ')).toEqual([]);
    expect(index.search('I need to')).toEqual([]);
    expect(index.search('zxqv wplk')).toEqual([]);
  });

  it('filters by input and output type (case-insensitive substring)', () => {
    const ms = index.search('describe what is in a photo', { input_type: 'IMAGE', limit: 20 });
    expect(ms.length).toBeGreaterThan(0);
    for (const m of ms) expect(m.capability.input_types!.join(' ').toLowerCase()).toContain('image');
    const audio = index.search('speech', { output_type: 'audio', limit: 20 });
    expect(audio.length).toBeGreaterThan(0);
    for (const m of audio) expect(m.capability.output_types!.join(' ').toLowerCase()).toContain('audio');
  });

  it('filters by verification and trust score', () => {
    const v = index.search('chatbot', { verified_only: true, limit: 50 });
    for (const m of v) expect(m.passport.passport.unfragile.trust?.verified || m.passport.passport.unfragile.artifact.verified).toBe(true);
    expect(ids(v)).not.toContain('openrouter-mistralai-mistral-small-3.1-24b-instruct__cap_3');
    const t = index.search('image', { min_trust_score: 70, limit: 50 });
    expect(t.length).toBeGreaterThan(0);
    for (const m of t) expect(m.passport.passport.unfragile.trust!.score!).toBeGreaterThanOrEqual(70);
  });
});

describe('IntentIndex behaviour', () => {
  const cap = { name: 'speech to text', description: 'Transcribes audio recordings into text.', input_types: ['audio'], output_types: ['text'] };

  it('orders ties by slug, then capability id', () => {
    const index = new IntentIndex({ vectors: testVectors() });
    index.add(makePassport('zeta', [{ ...cap, id: 'z-1' }]));
    index.add(
      makePassport('alpha', [
        { ...cap, id: 'a-2' },
        { ...cap, id: 'a-1' },
      ]),
    );
    index.add(makePassport('mid', [{ ...cap, id: 'm-1' }]));
    const ms = index.search('transcribe a recording', { limit: 10 });
    expect(ms.map((m) => m.score)).toEqual(Array(4).fill(ms[0]!.score));
    expect(ids(ms)).toEqual(['a-1', 'a-2', 'm-1', 'z-1']);
    // The same order with a smaller limit (top-k selection must honour ties too).
    expect(ids(index.search('transcribe a recording', { limit: 2 }))).toEqual(['a-1', 'a-2']);
    // The order is cached between searches: a passport added after one still takes its place, and one replaced
    // under the same slug takes it again.
    index.add(makePassport('beta', [{ ...cap, id: 'b-1' }]));
    index.add(makePassport('aardvark', [{ ...cap, id: 'aa-1' }]));
    expect(ids(index.search('transcribe a recording', { limit: 10 }))).toEqual(['aa-1', 'a-1', 'a-2', 'b-1', 'm-1', 'z-1']);
    index.add(makePassport('alpha', [{ ...cap, id: 'a-3' }]));
    index.remove('mid');
    expect(ids(index.search('transcribe a recording', { limit: 10 }))).toEqual(['aa-1', 'a-3', 'b-1', 'z-1']);
    // Many passports at once (loading) are sorted in, not inserted one by one: the same order.
    const slugs = Array.from({ length: 90 }, (_, i) => `p${String((i * 37) % 90).padStart(2, '0')}`);
    for (const slug of slugs) index.add(makePassport(slug, [{ ...cap, id: `${slug}-1` }]));
    const all = ids(index.search('transcribe a recording', { limit: 100 }));
    expect(all).toEqual(['aa-1', 'a-3', 'b-1', ...[...slugs].sort().map((s) => `${s}-1`), 'z-1']);
  });

  it('replaces a passport added again under the same slug, and removes by slug', () => {
    const index = new IntentIndex({ vectors: testVectors() });
    index.add(makePassport('p', [cap]));
    index.add(makePassport('q', [{ name: 'image generation', description: 'Draws pictures from prompts.' }]));
    expect(index.size).toBe(2);
    index.add(makePassport('p', [{ name: 'text translation', description: 'Translates text between languages.' }]));
    expect(index.size).toBe(2);
    expect(index.search('transcribe a recording').map((m) => m.passport.slug)).not.toContain('p');
    expect(index.search('translate this into French')[0]!.passport.slug).toBe('p');
    index.remove('p');
    index.remove('nope');
    expect(index.size).toBe(1);
    expect(index.search('translate this into French').map((m) => m.passport.slug)).not.toContain('p');
    expect(index.search('draw a picture')[0]!.passport.slug).toBe('q');
  });

  it('keeps document frequencies right across many replacements (compaction)', () => {
    const index = new IntentIndex({ vectors: testVectors() });
    const fresh = new IntentIndex({ vectors: testVectors() });
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 200; i++) index.add(makePassport(`s${i}`, [cap, { name: `tool ${round}`, description: 'Summarises long reports.' }]));
    }
    for (let i = 0; i < 200; i++) fresh.add(makePassport(`s${i}`, [cap, { name: 'tool 29', description: 'Summarises long reports.' }]));
    const a = index.search('summarize a report', { limit: 3 });
    const b = fresh.search('summarize a report', { limit: 3 });
    expect(a.map((m) => [m.capability.id, m.score])).toEqual(b.map((m) => [m.capability.id, m.score]));
    expect(index.stats().capabilities).toBe(400);
  });

  it('treats a missing trust score as failing a minimum, and accepts verified from either field', () => {
    const index = new IntentIndex({ vectors: testVectors() });
    index.add(makePassport('none', [cap]));
    index.add(makePassport('low', [cap], { trust: 20 }));
    index.add(makePassport('high', [cap], { trust: 90, verified: true }));
    index.add(makePassport('artifact-verified', [cap], { artifactVerified: true }));
    expect(index.search('transcribe', { min_trust_score: 50 }).map((m) => m.passport.slug)).toEqual(['high']);
    expect(index.search('transcribe', { verified_only: true }).map((m) => m.passport.slug)).toEqual(['artifact-verified', 'high']);
    expect(
      index
        .search('transcribe', { min_trust_score: 0 })
        .map((m) => m.passport.slug)
        .sort(),
    ).toEqual(['high', 'low']);
  });

  it('clamps the limit', () => {
    const index = new IntentIndex({ vectors: testVectors() });
    for (let i = 0; i < 120; i++) index.add(makePassport(`p${i}`, [cap]));
    expect(index.search('transcribe', { limit: 0 }).length).toBe(1);
    expect(index.search('transcribe', { limit: 1000 }).length).toBe(100);
  });

  it('keeps exactly the first k of the full ranking at any k (the scorer skips documents that cannot reach the top k)', () => {
    const lexical = new IntentIndex({ vectors: false });
    for (const p of loadEvalCorpus()) lexical.add(p);
    for (const q of ['transcribe a meeting recording', 'describe a screenshot', 'translate text into french', 'generate an image of a cat']) {
      const all = lexical.search(q, { limit: 100 }).map((m) => [m.capability.id, m.score]);
      expect(all.length, q).toBeGreaterThan(5);
      for (const k of [1, 2, 3, 5])
        expect(
          lexical.search(q, { limit: k }).map((m) => [m.capability.id, m.score]),
          `${q} @${k}`,
        ).toEqual(all.slice(0, k));
    }
  });

  it('serves a task with a model and a request for data with a dataset (a dataset or benchmark requires the intent to ask for data)', () => {
    const qa = 'Question answering over documents: answers questions about a passage, with the answer span';
    const index = new IntentIndex();
    // Same words in both: only the artifact's kind tells them apart.
    index.add(makePassport('qa-set', [{ name: 'Question answering', description: qa }], { type: 'dataset' }));
    index.add(makePassport('qa-model', [{ name: 'Question answering', description: qa }], { type: 'model' }));
    index.add(makePassport('qa-bench', [{ name: 'Question answering', description: qa }], { type: 'Benchmark' }));
    expect(index.search('answer questions about this passage').map((m) => m.passport.slug)[0]).toBe('qa-model');
    for (const intent of [
      'training data for answering questions about a passage',
      'benchmark my model answering questions about a passage',
      // Said without "data" or "benchmark": raw text to train on, the test questions themselves.
      'raw text of passages with questions and answers',
      'the test questions for answering questions about a passage',
    ])
      expect(
        index
          .search(intent)
          .map((m) => m.passport.slug)
          .slice(0, 2),
        intent,
      ).toEqual(['qa-bench', 'qa-set']);
  });

  it('ranks an image dataset below an image model for a task on a photo, and above it for a request for image data', () => {
    const cls = { name: 'Image classification', description: 'Classifies photos of animals into 1,000 classes', input_types: ['image'] };
    const index = new IntentIndex();
    index.add(makePassport('a-img-set', [cls], { type: 'dataset' }));
    index.add(makePassport('b-img-model', [cls], { type: 'model' }));
    expect(index.search('classify this photo of an animal').map((m) => m.passport.slug)).toEqual(['b-img-model', 'a-img-set']);
    expect(index.search('labelled data to classify photos of animals').map((m) => m.passport.slug)).toEqual(['a-img-set', 'b-img-model']);
  });

  it('does not read everyday task words as a request for data ("write unit tests", "the data in this document")', () => {
    const tests = { name: 'Unit test generation', description: 'Writes unit tests and test cases for Python functions' };
    const index = new IntentIndex();
    index.add(makePassport('tests-bench', [tests], { type: 'benchmark' }));
    index.add(makePassport('tests-model', [tests], { type: 'model' }));
    for (const intent of ['write unit tests for my python function', 'generate test cases for this code', 'test my function with examples'])
      expect(index.search(intent).map((m) => m.passport.slug)[0], intent).toBe('tests-model');
    expect(index.search('a test suite of python functions with unit tests').map((m) => m.passport.slug)[0]).toBe('tests-bench');
  });

  it('accepts a replacement scoring function', () => {
    const index = new IntentIndex({ scorer: () => [], vectors: testVectors() });
    index.add(makePassport('p', [cap]));
    expect(index.search('transcribe')).toEqual([]);
  });
});

describe('isTextOnly', () => {
  it('judges only capabilities that declare what they take and what they make', () => {
    expect(isTextOnly(['text (prompts)'], ['text (responses)'])).toBe(true);
    expect(isTextOnly(['text (prompts)'], undefined)).toBe(false);
    expect(isTextOnly(undefined, ['text'])).toBe(false);
    // Takes or makes a medium: not text-only.
    expect(isTextOnly(['text (prompt)'], ['image (generated PNG)'])).toBe(false);
    expect(isTextOnly(['audio recordings'], ['text (transcript)'])).toBe(false);
  });
});
