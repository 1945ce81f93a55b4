// The shipped word-vector table: its format checks, typo repair and that closeness means something.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IntentIndex } from '../../../src/core/search/index.js';
import { SemanticRanker } from '../../../src/core/search/semantic.js';
import { editsOne, loadWordVectors, MORE_WORDS_PATH, WORD_VECTORS_PATH, WordList, WordVectors } from '../../../src/core/search/word-vectors.js';
import { makePassport, testVectors } from './helpers.js';

describe('word vectors', () => {
  const v = testVectors();

  it('is the distilled table: 50,000 words of 100 dimensions, frequent words first', () => {
    expect(v.count).toBe(50_000);
    expect(v.dims).toBe(100);
    expect(v.row('the')).toBe(0);
    expect(v.row('meeting')).toBeGreaterThan(0);
    expect(v.row('qzxvkw')).toBe(-1);
  });

  it('refuses a damaged table with a clear error', () => {
    const buf = readFileSync(WORD_VECTORS_PATH);
    expect(() => new WordVectors(buf.subarray(0, buf.length - 1))).toThrow(/truncated/);
    const bad = Buffer.from(buf.subarray(0, 64));
    bad.write('XXXX', 0, 'ascii');
    expect(() => new WordVectors(bad)).toThrow(/not a PMWV/);
    expect(() => new WordVectors(new Uint8Array(3))).toThrow(/not a PMWV/);
  });

  it('places related words closer than unrelated ones', () => {
    const near = (a: string, b: string) => (v.row(a) < 0 ? -1 : v.cosine(v.row(a), v.row(b)));
    expect(near('picture', 'image')).toBeGreaterThan(near('picture', 'invoice') + 0.2);
    expect(near('melody', 'music')).toBeGreaterThan(near('melody', 'database') + 0.2);
    expect(near('qzxvkw', 'image')).toBe(-1);
  });

  it('lists every edit-distance-1 variant once, never the word itself', () => {
    const e = editsOne('cat');
    expect(e).toEqual(expect.arrayContaining(['at', 'act', 'cart', 'bat', 'cats', 'ca']));
    expect(e).not.toContain('cat');
    expect(new Set(e).size).toBe(e.length);
  });

  it('repairs a typo to the most frequent known word, and leaves known words alone', () => {
    expect(v.repair('meetng', () => true)).toBe('meeting');
    expect(v.repair('meeting', () => true)).toBeUndefined();
    expect(v.repair('ab', () => true)).toBeUndefined();
    // A preference (e.g. "the index knows it") wins over frequency.
    expect(v.repair('modle', () => false)).toBe('model');
    expect(v.repair('modle', (w) => w === 'module')).toBe('module');
    // Never another first letter: "tabel" is "table", whatever is preferred; "figma" is not "sigma".
    expect(v.repair('tabel', (w) => w === 'label')).toBe('table');
    expect(v.repair('figma', () => true)).not.toBe('sigma');
    // Nor into fewer than four letters: "eval" was read as "eva".
    expect(v.repair('eval', () => true)).not.toBe('eva');
  });

  it('knows correctly spelt words beyond the table and never repairs them into commoner ones', () => {
    // Each was read as the word after it, and the match's reason said so.
    for (const [word, wrong] of <[string, string][]>[
      ['login', 'logic'],
      ['lidar', 'liar'],
      ['tabular', 'tubular'],
      ['cron', 'crown'],
      ['frontend', 'fronted'],
    ]) {
      expect(v.row(word), word).toBe(-1);
      expect(v.isWord(word), word).toBe(true);
      expect(
        v.repair(word, () => true),
        word,
      ).toBeUndefined();
      // Without the list the old answer comes back: the list is what decides.
      expect(
        new WordVectors(readFileSync(WORD_VECTORS_PATH)).repair(word, () => true),
        word,
      ).toBe(wrong);
    }
    // Typos stay typos: GloVe's list goes on to common misspellings, which the shipped part stops before.
    expect(v.isWord('meetng')).toBe(false);
    expect(v.isWord('recieve')).toBe(false);
    expect(v.repair('recieve', () => true)).toBe('receive');
    const more = readFileSync(MORE_WORDS_PATH, 'utf8').split('\n').filter(Boolean);
    expect(more).toHaveLength(100_000);
    expect(more.every((w, i) => v.row(w) === -1 && /^[a-z][a-z0-9]{1,23}$/.test(w) && (i === 0 || more[i - 1]! < w))).toBe(true);
  });

  it('finds every word of a sorted list in place, and nothing else', () => {
    const list = new WordList('alpha\nbeta\ngamma\ngammas\n');
    expect(list.size).toBe(4);
    for (const w of ['alpha', 'beta', 'gamma', 'gammas']) expect(list.has(w), w).toBe(true);
    for (const w of ['', 'alph', 'alphab', 'gam', 'gammaz', 'zeta', 'aaa']) expect(list.has(w), w).toBe(false);
    expect(new WordList('').has('alpha')).toBe(false);
    const crlf = new WordList('alpha\r\nbeta\r\ngamma');
    expect(['alpha', 'beta', 'gamma'].every((w) => crlf.has(w))).toBe(true);
    expect(crlf.has('alpha\r')).toBe(false);
  });

  it('still searches when the list beyond the table is missing, as before it existed', () => {
    const bare = loadWordVectors(WORD_VECTORS_PATH, MORE_WORDS_PATH + '.missing');
    expect(bare.isWord('login')).toBe(false);
    expect(bare.isWord('meeting')).toBe(true);
    expect(bare.repair('login', () => true)).toBe('logic');
  });
});

describe('meaning in the index', () => {
  const caps = [
    { name: 'email inbox access', description: 'read and send email messages from an agent' },
    { name: 'image generation', description: 'create pictures from a text prompt' },
  ];

  it('answers lexically when meaning is off, with the same API', () => {
    const index = new IntentIndex({ vectors: false });
    index.add(makePassport('mail', [caps[0]!]));
    index.add(makePassport('img', [caps[1]!]));
    expect(index.prepareSemantic()).toBe(false);
    const [top] = index.search('send an email');
    expect(top!.capability.name).toBe('email inbox access');
    expect(top!.reason).not.toMatch(/close in meaning/);
  });

  it('with word vectors, says when closeness in meaning backed a match', () => {
    const index = new IntentIndex({ vectors: testVectors() });
    index.add(makePassport('mail', [caps[0]!]));
    index.add(makePassport('img', [caps[1]!]));
    expect(index.prepareSemantic()).toBe(true);
    const [top] = index.search('read and answer my email messages');
    expect(top!.capability.name).toBe('email inbox access');
    expect(top!.reason).toMatch(/close in meaning to (name|description) "/);
  });
});

describe('meaning re-ranking (SemanticRanker)', () => {
  const v = testVectors();
  const texts = [
    ['transcribe meeting recordings', 'speech to text for calls and podcasts', 'I need minutes from my audio files'],
    ['generate photorealistic images from a prompt'],
    ['', 'qzxvkw blorf'],
  ];
  const ranker = new SemanticRanker(v, (doc) => texts[doc]!);
  const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

  it('caches field vectors in int8 and still gives each best cosine within 0.005, with the same best field', () => {
    for (const intent of ['turn my meeting audio into text', 'draw a picture of a cat', 'write an email']) {
      const q = v.embed(intent)!;
      for (let doc = 0; doc < 2; doc++) {
        const exact = texts[doc]!.map((t) => dot(q, v.embed(t)!));
        const best = Math.max(0, ...exact);
        const got = ranker.similarity(q, doc);
        expect(Math.abs(got.sim - best)).toBeLessThan(0.005);
        if (best > 0.05) expect(got.field).toBe(exact.indexOf(best));
      }
    }
  });

  it('bounds its cache by bytes and drops the least recently used capability first', () => {
    const reads: number[] = [];
    const same = ['transcribe meeting recordings', 'speech to text for calls'];
    const probe = new SemanticRanker(v, (doc) => (reads.push(doc), same));
    const q = v.embed('turn my meeting audio into text')!;
    probe.similarity(q, 0);
    const one = probe.cacheStats().bytes;
    expect(one).toBeGreaterThan(2 * 100);
    const lru = new SemanticRanker(v, (doc) => (reads.push(doc), same), 2 * one);
    reads.length = 0;
    lru.similarity(q, 0);
    lru.similarity(q, 1);
    lru.similarity(q, 0); // a hit: 0 becomes the most recently used
    lru.similarity(q, 2); // full: 1, the least recently used, goes
    expect(lru.cacheStats()).toEqual({ entries: 2, bytes: 2 * one });
    expect(reads).toEqual([0, 1, 2]);
    lru.similarity(q, 0);
    expect(reads).toEqual([0, 1, 2]); // still cached
    lru.similarity(q, 1);
    expect(reads).toEqual([0, 1, 2, 1]); // was dropped, read again
    lru.forget(1);
    expect(lru.cacheStats().entries).toBe(1);
  });

  it('gives each word its best cosine against a capability, each pair once per search, searches apart', () => {
    // Enough distinct words across the capabilities to outgrow the first table of cosines (64 words).
    const many = [
      ...texts,
      ['a long list of everyday words: river mountain kitchen garden window bottle candle mirror pillow basket ladder'],
      ['bridge castle forest island valley desert harbour tunnel meadow glacier canyon volcano lagoon prairie orchard'],
      ['violin trumpet guitar piano flute drum cello harp banjo accordion saxophone clarinet trombone tuba oboe'],
      ['doctor lawyer farmer pilot sailor baker tailor plumber painter dentist surgeon nurse teacher chemist engineer'],
    ];
    const probe = new SemanticRanker(v, (doc) => many[doc]!);
    const expected = (word: string, doc: number) => {
      const r = v.row(word);
      const rows = v.rowsOf(many[doc]!);
      return r < 0 || rows.length === 0 ? -1 : Math.max(-1, ...Array.from(rows, (x) => v.cosine(r, x)));
    };
    for (const words of [
      ['email', 'melody', 'qzxvkw', 'picture'],
      ['music', 'lawyer', 'lake'],
    ]) {
      const near = probe.nearness(words);
      // Twice over, in an order that revisits capabilities: the second pass reads the cosines kept by the first.
      for (const doc of [0, 3, 4, 5, 6, 1, 2, 6, 0, 4]) words.forEach((w, k) => expect(near(k, doc)).toBe(expected(w, doc)));
    }
    expect(probe.nearness(['qzxvkw'])(0, 0)).toBe(-1);
  });

  it('skips fields with no known word, and says so when nothing is comparable', () => {
    expect(ranker.similarity(v.embed('turn my meeting audio into text')!, 2)).toEqual({ sim: 0, field: -1 });
  });
});
