// Federated find in process: a real app (createApp) against the loopback fake registry. One ranked list with
// source and verification, local wins, filters and min_confidence on registry matches, every registry status,
// registry passports first class, and the persistent cache (written atomically, re-verified and indexed at
// start-up, read with --offline, hostile files skipped).
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import { createApp, type AppContext } from '../../../src/core/app.js';
import { nullLogger } from '../../../src/core/logger.js';
import { federatedFind, FIND_DEFAULT_MIN_CONFIDENCE, FindResultSchema } from '../../../src/core/search/federation.js';
import { DEFAULT_MIN_CONFIDENCE } from '../../../src/core/search/index.js';
import { CACHE_SUBDIR } from '../../../src/core/registry/cache.js';
import { startFakeRegistry, type FakeRegistry } from '../../support/fake-registry.js';
import { sharedAppOptions } from '../../support/in-process.js';
import { signPassport } from '../../support/keys.js';
import { countTurns } from '../../support/turns.js';

let reg: FakeRegistry;
beforeAll(async () => {
  reg = await startFakeRegistry();
});
afterAll(async () => reg?.close());

const tmp = () => mkdtempSync(path.join(tmpdir(), 'passport-fed-'));

async function app(args: string[] = [], env: Record<string, string> = {}) {
  const warnings: string[] = [];
  const logger = { ...nullLogger, warn: (m: string) => warnings.push(m) };
  const config = parseConfig(['--registry-url', reg.base, '--trust-key', `unfragile.ai=${reg.key.rawBase64}`, ...args], { HOME: tmp(), ...env });
  // The word-vector table every in-process app of this worker shares (read once, not once per app).
  const a = await createApp(config, logger, sharedAppOptions());
  await a.loadAll();
  return { app: a, warnings };
}

const find = (a: AppContext, intent: string, o: Record<string, unknown> = {}) => federatedFind(a, { intent, ...o });

describe('one call, one ranked list', () => {
  it('merges local and registry matches on the confidence scale, each with source and verification', async () => {
    reg.fault = undefined;
    const { app: a } = await app(['--cache-dir', tmp()]);
    // The built-in passport serves the image half (Mistral does not transcribe: "speech ... into text" is covered by
    // speech-to-text capabilities only), so the answer merges both sources.
    const r = await find(a, 'transcribe speech recordings into text, or describe an image', { limit: 10, min_confidence: 0 });
    expect(FindResultSchema.parse(r)).toEqual(r);
    expect(r.registry.status).toBe('ok');
    expect(r.registry.resolve_id).toMatch(/^resolve_/);
    const whisper = r.matches.find((m) => m.artifact.slug === 'openai--whisper-large-v3.1')!;
    expect(whisper).toMatchObject({ source: 'registry', verification: 'valid', confidence: 0.91 });
    expect(r.matches.some((m) => m.source === 'local')).toBe(true);
    const conf = r.matches.map((m) => m.confidence);
    expect(conf).toEqual([...conf].sort((x, y) => y - x));
    // The tampered passport is dropped and named; never a match, never in the store.
    expect(r.registry.detail).toMatch(/evil--whisper-clone.*invalid_signature/);
    expect(r.matches.some((m) => m.artifact.slug === 'evil--whisper-clone')).toBe(false);
    expect(a.store.has('evil--whisper-clone')).toBe(false);
    // First class: the ingested passport is in the store and the index, with no further fetch.
    const n = reg.hits.length;
    expect((await a.requirePassport('openai--whisper-large-v3.1')).slug).toBe('openai--whisper-large-v3.1');
    expect(reg.hits.length).toBe(n);
    await a.settled(); // indexed just after the answer went out
    expect(
      (await find(a, 'multilingual speech recognition', { scope: 'local', min_confidence: 0 })).matches.some(
        (m) => m.artifact.slug === 'openai--whisper-large-v3.1',
      ),
    ).toBe(true);
  });

  it('takes in a large registry answer over several turns of the event loop, and indexes it the same way', async () => {
    reg.fault = undefined;
    // Eight passports of ~500 KB (120 capabilities of 4,000 characters), signed like the rest: taking each in
    // (schema, canonical bytes, Ed25519) costs milliseconds, so the answer must give the server turns on the way.
    const base = [...reg.catalogue.values()].find((e) => e.kind === 'signed')!;
    const slugs: string[] = [];
    for (let i = 0; i < 8; i++) {
      const slug = `zebrafish-bulk-${i}`;
      const doc = structuredClone(base.document);
      const u = doc.passport.unfragile;
      u.artifact.slug = slug;
      u.artifact.id = `art_bulk_${i}`;
      u.capabilities = Array.from({ length: 120 }, (_, k) => ({
        ...u.capabilities[0],
        id: `${slug}__cap_${k}`,
        name: `zebrafish larva tracking ${k}`,
        description: `zebrafish larva tracking, variant ${i}.${k}: `.padEnd(4000, 'tracks larvae in video frames. '),
      }));
      signPassport(doc.passport, reg.key);
      reg.catalogue.set(slug, { slug, document: doc, confidence: 0.9, kind: 'signed' });
      slugs.push(slug);
    }
    try {
      const { app: a } = await app(['--no-cache', '--no-builtin']);
      const counter = countTurns();
      const added = new Set<number>();
      a.store.onAdd(() => added.add(counter.turns));
      const r = await find(a, 'zebrafish larva tracking', { min_confidence: 0, limit: 10 });
      expect(r.searched_passports).toBe(0);
      expect(r.matches.filter((m) => m.source === 'registry' && m.artifact.slug.startsWith('zebrafish-bulk-')).length).toBe(8);
      // One synchronous loop would add them all in one turn.
      expect(added.size).toBeGreaterThanOrEqual(3);
      const before = counter.turns;
      await a.settled();
      expect(counter.stop()).toBeGreaterThan(before);
      expect((await find(a, 'zebrafish larva tracking', { scope: 'local', min_confidence: 0 })).matches.length).toBeGreaterThan(0);
      await a.settled({ shuttingDown: true });
    } finally {
      for (const s of slugs) reg.catalogue.delete(s);
    }
  });

  it('indexes the passports of an answer after the answer, not in the turns between its entries', async () => {
    reg.fault = undefined;
    const { app: a } = await app(['--no-cache', '--no-builtin']);
    const local = async () => (await find(a, 'generate images from a text prompt', { scope: 'local', min_confidence: 0, limit: 10 })).matches.length;
    const r = await find(a, 'generate images from a text prompt', { min_confidence: 0, limit: 10 });
    expect(r.matches.filter((m) => m.source === 'registry').length).toBeGreaterThan(2);
    // Indexed in the turns between the entries, they would cost the answer their indexing time (bench/federation.mjs).
    expect(await local()).toBe(0);
    await a.settled();
    expect(await local()).toBeGreaterThan(2);
  });

  it('real registry passports (nulls, odd slugs) arrive through /resolve, verify and are presented', async () => {
    const { app: a } = await app(['--no-cache', '--no-builtin']);
    const r = await find(a, 'generate images from a text prompt', { min_confidence: 0, limit: 10 });
    const flux = r.matches.find((m) => m.artifact.slug === 'black-forest-labs--flux.1-schnell');
    expect(flux).toMatchObject({ source: 'registry', verification: 'valid', confidence: 0.84 });
    expect(JSON.stringify(reg.catalogue.get('black-forest-labs--flux.1-schnell')!.document)).toContain('null');
    expect(a.verification(a.store.get('black-forest-labs--flux.1-schnell')!).status).toBe('valid');
  });

  it('min_confidence (default 0.5) cuts registry matches too; when nothing passes, note names the nearest', async () => {
    expect(FIND_DEFAULT_MIN_CONFIDENCE).toBe(DEFAULT_MIN_CONFIDENCE);
    expect(DEFAULT_MIN_CONFIDENCE).toBe(0.5);
    const { app: a } = await app(['--no-cache', '--no-builtin']);
    const r = await find(a, 'speaker diarization who spoke when');
    expect(r.matches.every((m) => m.confidence >= 0.5)).toBe(true);
    expect(r.matches.some((m) => m.artifact.slug === 'pyannote--speaker-diarization-3.1')).toBe(false); // 0.35
    const none = await find(a, 'speaker diarization who spoke when', { min_confidence: 0.95 });
    expect(none.matches).toEqual([]);
    expect(none.note).toMatch(/nearest is .* at 0\.\d+/);
  });

  it('when the filters remove every match, note says so and names the nearest without them', async () => {
    const { app: a } = await app(['--no-cache', '--offline']);
    const r = await find(a, 'describe a screenshot', { min_trust_score: 23.5, input_type: 'audio' });
    expect(r.matches).toEqual([]);
    expect(r.note).toMatch(
      /^No capability passes the filters \(input_type "audio", min_trust_score 23\.5\)\. Without them the nearest is "multimodal vision-language understanding" .* at 0\.\d+\.$/,
    );
    // Without filters, an intent nothing matches keeps the plain note.
    expect((await find(a, 'zzqx blorf')).note).toMatch(/^No capability matches this intent among 1 passport/);
  });

  it('filters apply to registry matches: verified_only, min_trust_score, input_type, output_type', async () => {
    const { app: a } = await app(['--no-cache', '--no-builtin']);
    expect((await find(a, 'transcribe speech into text', { verified_only: true, min_confidence: 0 })).matches).toEqual([]);
    expect((await find(a, 'transcribe speech into text', { min_trust_score: 101, min_confidence: 0 })).matches).toEqual([]);
    const audio = await find(a, 'transcribe speech into text', { input_type: 'audio', min_confidence: 0, limit: 20 });
    expect(audio.matches.length).toBeGreaterThan(0);
    expect(
      audio.matches.every((m) =>
        a.store
          .get(m.artifact.slug)!
          .passport.unfragile.capabilities.find((c) => c.id === m.capability.id)!
          .input_types!.join(' ')
          .includes('audio'),
      ),
    ).toBe(true);
    expect((await find(a, 'transcribe speech into text', { output_type: 'no-such-type', min_confidence: 0 })).matches).toEqual([]);
  });

  it('local wins: a registry answer for a slug loaded from a file is the local passport, source local', async () => {
    const dir = tmp();
    const doc = structuredClone(reg.catalogue.get('deepl-api')!.document);
    doc.passport.unfragile.capabilities[0].name = 'LOCAL COPY';
    writeFileSync(path.join(dir, 'deepl.json'), JSON.stringify(doc));
    const { app: a } = await app(['--no-cache', '--passports', dir]);
    const r = await find(a, 'translate documents between languages', { min_confidence: 0, limit: 20, scope: 'registry' });
    const m = r.matches.filter((x) => x.artifact.slug === 'deepl-api');
    expect(m).toHaveLength(1);
    expect(m[0]).toMatchObject({ source: 'local', verification: 'invalid_signature' });
    expect(a.store.get('deepl-api')!.passport.unfragile.capabilities[0]!.name).toBe('LOCAL COPY');
  });

  it('scope local and --offline never ask the registry; statuses skipped and offline', async () => {
    const { app: a } = await app(['--no-cache']);
    const n = reg.hits.length;
    expect((await find(a, 'describe an image', { scope: 'local' })).registry).toEqual({ status: 'skipped' });
    const { app: off } = await app(['--no-cache', '--offline']);
    expect((await find(off, 'describe an image')).registry).toEqual({ status: 'offline' });
    expect(reg.hits.length).toBe(n);
  });

  it.each([
    ['slow', 'timeout'],
    ['html', 'error'],
    ['wrong-shape', 'error'],
    ['429', 'rate_limited'],
  ] as const)('registry fault %s: the local matches still come back, status %s', async (fault, status) => {
    const { app: a } = await app(['--no-cache', '--registry-timeout', '300']);
    reg.fault = fault;
    try {
      const r = await find(a, 'describe an image', { min_confidence: 0 });
      expect(r.registry.status).toBe(status);
      expect(r.matches.length).toBeGreaterThan(0);
      expect(r.matches.every((m) => m.source === 'local')).toBe(true);
    } finally {
      reg.fault = undefined;
    }
  });

  it('the request signal aborts the registry call', async () => {
    const { app: a } = await app(['--no-cache', '--registry-timeout', '30000']);
    reg.fault = 'slow';
    try {
      const ac = new AbortController();
      const p = federatedFind(a, { intent: 'describe an image' }, ac.signal);
      ac.abort();
      const r = await p;
      expect(r.registry.status).toBe('error');
      expect(r.registry.detail).toMatch(/cancelled/);
    } finally {
      reg.fault = undefined;
    }
  });
});

describe('the persistent cache', () => {
  it('keeps what the registry sent (not the tampered one), re-verifies it at start-up and serves it --offline', async () => {
    const cacheDir = tmp();
    const { app: a } = await app(['--cache-dir', cacheDir]);
    await find(a, 'transcribe speech recordings into text', { min_confidence: 0 });
    await a.settled();
    const files = readdirSync(path.join(cacheDir, CACHE_SUBDIR));
    expect(files).toContain('openai--whisper-large-v3.1.json');
    expect(files).not.toContain('evil--whisper-clone.json');
    expect(files.some((f) => f.endsWith('.tmp'))).toBe(false);
    const n = reg.hits.length;
    const { app: off } = await app(['--cache-dir', cacheDir, '--offline']);
    expect(off.store.origin('openai--whisper-large-v3.1')).toBe('cache');
    const r = await find(off, 'transcribe speech recordings into text', { min_confidence: 0 });
    expect(r.registry.status).toBe('offline');
    expect(r.matches.find((m) => m.artifact.slug === 'openai--whisper-large-v3.1')).toMatchObject({ source: 'registry', verification: 'valid' });
    expect(reg.hits.length).toBe(n);
  });

  it('with no trusted key, a stale entry the registry sends again unchanged is rewritten (fresh again), once per run', async () => {
    const cacheDir = tmp();
    const noKeys = async () => {
      const a = await createApp(parseConfig(['--registry-url', reg.base, '--cache-dir', cacheDir], { HOME: tmp() }), nullLogger, sharedAppOptions());
      await a.loadAll();
      return a;
    };
    const first = await noKeys();
    await find(first, 'transcribe speech recordings into text', { min_confidence: 0 });
    await first.settled();
    const file = path.join(cacheDir, CACHE_SUBDIR, 'openai--whisper-large-v3.1.json');
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000);
    utimesSync(file, eightDaysAgo, eightDaysAgo);
    const second = await noKeys();
    expect(second.store.origin('openai--whisper-large-v3.1')).toBe('cache');
    await find(second, 'transcribe speech recordings into text', { min_confidence: 0 });
    await second.settled();
    expect(statSync(file).mtimeMs).toBeGreaterThan(Date.now() - 60_000);
  });

  it('corrupt, tampered, misnamed and symlinked entries are skipped with a warning, never trusted, never a crash', async () => {
    const cacheDir = tmp();
    const dir = path.join(cacheDir, CACHE_SUBDIR);
    mkdirSync(dir, { recursive: true });
    const good = reg.catalogue.get('deepl-api')!.document;
    writeFileSync(path.join(dir, 'deepl-api.json'), JSON.stringify({ passport: good.passport, cached: { from: 'x' } }));
    writeFileSync(path.join(dir, 'broken.json'), '{"passport": {"unfra');
    const tampered = structuredClone(good);
    tampered.passport.unfragile.artifact.name = 'Changed after signing';
    tampered.passport.unfragile.artifact.slug = 'tampered';
    writeFileSync(path.join(dir, 'tampered.json'), JSON.stringify(tampered));
    writeFileSync(path.join(dir, 'other-name.json'), JSON.stringify(good));
    const outside = path.join(tmp(), 'outside.json');
    writeFileSync(outside, JSON.stringify(good));
    symlinkSync(outside, path.join(dir, 'linked.json'));
    mkdirSync(path.join(dir, 'dir.json'));
    writeFileSync(path.join(dir, 'bad slug!.json'), JSON.stringify(good));
    const { app: a, warnings } = await app(['--cache-dir', cacheDir, '--offline']);
    await a.cacheVerified();
    expect(a.store.origin('deepl-api')).toBe('cache');
    for (const s of ['tampered', 'linked', 'broken', 'other-name']) expect(a.store.has(s)).toBe(false);
    const w = warnings.join('\n');
    expect(w).toMatch(/broken\.json/);
    expect(w).toMatch(/"tampered": invalid_signature/);
    expect(w).toMatch(/linked\.json: not a regular file/);
    expect(w).toMatch(/other-name\.json: holds passport "deepl-api"/);
    expect(existsSync(path.join(dir, 'tampered.json'))).toBe(false); // a bad entry is removed
    expect(readFileSync(outside, 'utf8')).toBe(JSON.stringify(good)); // the link target is untouched
  });

  it('a tampered cache entry used before the background check is verified on the spot and never presented', async () => {
    const cacheDir = tmp();
    const dir = path.join(cacheDir, CACHE_SUBDIR);
    mkdirSync(dir, { recursive: true });
    const bad = structuredClone(reg.catalogue.get('deepl-api')!.document);
    bad.passport.unfragile.capabilities[0].name = 'translate anything perfectly';
    writeFileSync(path.join(dir, 'deepl-api.json'), JSON.stringify({ passport: bad.passport }));
    const { app: a } = await app(['--cache-dir', cacheDir, '--offline', '--no-builtin']);
    // Straight after loadAll (the bulk check runs in the background), ask for it at once, both ways.
    const r = await find(a, 'translate anything perfectly', { min_confidence: 0 });
    expect(r.matches.some((m) => m.artifact.slug === 'deepl-api')).toBe(false);
    await expect(a.requirePassport('deepl-api')).rejects.toThrow(/no passport "deepl-api"|failed verification/);
    await a.cacheVerified();
    expect(a.store.has('deepl-api')).toBe(false);
  });

  it('--no-cache neither reads nor writes the cache', async () => {
    const { app: a } = await app(['--no-cache']);
    expect(a.config.cacheDir).toBeUndefined();
    await find(a, 'translate documents', { min_confidence: 0 });
    await a.settled();
    expect(a.store.origin('deepl-api')).toBe('registry');
  });

  it('a registry copy replaces a cached one only when valid; two apps sharing one cache lose nothing', async () => {
    const cacheDir = tmp();
    const [x, y] = await Promise.all([app(['--cache-dir', cacheDir]), app(['--cache-dir', cacheDir])]);
    await Promise.all([find(x.app, 'translate documents', { min_confidence: 0 }), find(y.app, 'extract text from scanned images ocr', { min_confidence: 0 })]);
    await Promise.all([x.app.settled(), y.app.settled()]);
    const files = readdirSync(path.join(cacheDir, CACHE_SUBDIR)).sort();
    expect(files).toEqual(expect.arrayContaining(['deepl-api.json', 'z_ai-tesseract_ocr.json']));
    const { app: z } = await app(['--cache-dir', cacheDir, '--offline']);
    expect(z.store.origin('deepl-api')).toBe('cache');
    expect(z.store.origin('z_ai-tesseract_ocr')).toBe('cache');
    // An unsigned registry passport does not replace a cached (valid) copy of the same slug.
    const unsigned = structuredClone(reg.catalogue.get('deepl-api')!.document);
    delete (unsigned.passport as Record<string, unknown>).signature;
    const { toLoadedPassport } = await import('../../../src/core/passport/load.js');
    const { app: online } = await app(['--cache-dir', cacheDir]);
    const d = (await online.registry())!;
    const r = d.ingest(toLoadedPassport(unsigned, 'test'), 'test');
    expect('passport' in r && r.verification.status).toBe('valid');
    expect(online.store.origin('deepl-api')).toBe('cache');
  });
});
