// verifyMany must give, in order, exactly what one-by-one verification gives, whichever thread checks a chunk.
// Worker threads load built files, so this test imports the compiled tree in build/ (npm test builds first).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- built JavaScript, no declarations emitted
import { verifyMany } from '../../../build/core/passport/bulk.js';
import { createTrustStore, makeTrustedKey } from '../../../src/core/passport/trust.js';
import { verifyPassportObject, type VerifyResult } from '../../../src/core/passport/verify.js';
import { makeKey, seedDocument, signPassport } from '../../support/keys.js';

interface Stats {
  threads: number;
  chunks: number;
  checkedHere: number;
  workerError?: string;
}

/** A worker module written to a temporary file: `body` runs in the worker thread. */
function workerModule(body: string): URL {
  const dir = mkdtempSync(join(tmpdir(), 'bulk-worker-'));
  const file = join(dir, 'worker.mjs');
  writeFileSync(file, `import { parentPort, workerData } from 'node:worker_threads';\n${body}\n`);
  return pathToFileURL(file);
}

describe('verifyMany', () => {
  const key = makeKey();
  const rotated = makeKey();
  const other = makeKey();
  // Two keys for one issuer (a rotation): a passport signed by the second must report that key's fingerprint.
  const trust = createTrustStore([
    makeTrustedKey('unfragile.ai', key.rawBase64),
    makeTrustedKey('unfragile.ai', rotated.rawBase64),
    makeTrustedKey('other.example', other.rawBase64),
  ]);
  const now = new Date('2026-07-01T00:00:00Z');
  const docs: unknown[] = [];
  for (let i = 0; i < 1500; i++) {
    const d = seedDocument();
    const u = d.passport.unfragile as { artifact: { slug: string; name: string }; trust: { score: number } };
    u.artifact.slug = `m-${i}`;
    // Multi-byte text (2-, 3- and 4-byte UTF-8) must reach the workers byte for byte.
    if (i % 3 === 0) u.artifact.name = `Modèle ${i} — 模型 🚀`;
    // A few huge passports: bigger than a chunk's shared buffer, so each gets a buffer of its own.
    if (i === 700 || i === 701) u.artifact.name = 'é'.repeat(1_500_000);
    const signer = i % 23 === 5 ? rotated : i % 29 === 7 ? other : key;
    const issuer = i % 17 === 3 ? 'nobody.example' : signer === other ? 'other.example' : 'unfragile.ai';
    if (i % 5 !== 4) signPassport(d.passport, signer, i % 19 === 2 ? 'passport' : 'unfragile', issuer);
    if (i % 7 === 0) u.trust.score = 1; // tampered after signing
    if (i % 11 === 0) delete d.passport.signature;
    docs.push(i % 13 === 0 ? { junk: i } : d);
  }
  const expected = docs.map((d) => verifyPassportObject(d, { trust, now }));

  it('covers every status, both scopes and both keys of a rotated issuer', () => {
    expect(new Set(expected.map((r) => r.status))).toEqual(new Set(['valid', 'invalid_signature', 'unknown_key', 'unsigned', 'malformed']));
    expect(new Set(expected.filter((r) => r.valid).map((r) => r.scope))).toEqual(new Set(['unfragile', 'passport']));
    expect(new Set(expected.filter((r) => r.valid && r.issuer === 'unfragile.ai').map((r) => r.key_fingerprint)).size).toBe(2);
  });

  it('matches one-by-one verification when workers check every chunk', async () => {
    for (const threads of [1, 2]) {
      let stats: Stats | undefined;
      const got: VerifyResult[] = await verifyMany(docs, trust, { threads, now, steal: false, onStats: (s: Stats) => (stats = s) });
      expect(got).toEqual(expected);
      expect(stats).toMatchObject({ threads, checkedHere: 0 });
      expect(stats!.chunks).toBeGreaterThan(5);
    }
  });

  // The default run (one worker, this thread steals chunks too), made once for the two tests that look at it.
  let defaultRun: Promise<{ got: VerifyResult[]; stats: Stats | undefined }> | undefined;
  const runDefault = () =>
    (defaultRun ??= (async () => {
      let stats: Stats | undefined;
      const got: VerifyResult[] = await verifyMany(docs, trust, { threads: 1, now, onStats: (s: Stats) => (stats = s) });
      return { got, stats };
    })());

  it('matches one-by-one verification when the calling thread checks chunks too', async () => {
    const { got } = await runDefault();
    expect(got).toEqual(expected);
    // Small passports: this thread canonicalises all of them in a few milliseconds, well before a worker thread
    // has even booted (tens of milliseconds), so it takes chunks itself and the worker takes what is left.
    const small = Array.from({ length: 1200 }, (_, i) => {
      const unfragile = { artifact: { slug: `tiny-${i}`, name: i % 2 ? 'Tiny ✓' : 'Tiny' }, capabilities: [] };
      const passport: Record<string, unknown> = { unfragile };
      if (i % 9 !== 0) signPassport(passport, i % 4 ? key : rotated);
      if (i % 10 === 0) unfragile.artifact.name = 'tampered';
      return { passport };
    });
    let stats: Stats | undefined;
    const gotSmall: VerifyResult[] = await verifyMany(small, trust, { threads: 1, now, onStats: (s: Stats) => (stats = s) });
    expect(gotSmall).toEqual(small.map((d) => verifyPassportObject(d, { trust, now })));
    expect(new Set(gotSmall.map((r) => r.status))).toEqual(new Set(['valid', 'invalid_signature', 'unsigned']));
    expect(stats!.checkedHere).toBeGreaterThan(0);
    expect(stats!.chunks).toBe(5);
  });

  it('stays on this thread for small batches', async () => {
    let stats: Stats | undefined;
    const got: VerifyResult[] = await verifyMany(docs.slice(0, 50), trust, { now, onStats: (s: Stats) => (stats = s) });
    expect(got).toEqual(expected.slice(0, 50));
    expect(stats).toEqual({ threads: 0, chunks: 0, checkedHere: 0 });
  });

  it('loses nothing when a worker cannot start: this thread checks its chunks', async () => {
    let stats: Stats | undefined;
    const broken = workerModule("throw new Error('worker cannot start');");
    const got: VerifyResult[] = await verifyMany(docs, trust, { threads: 2, now, steal: false, workerUrl: broken, onStats: (s: Stats) => (stats = s) });
    expect(got).toEqual(expected);
    expect(stats!.workerError).toContain('worker cannot start');
    expect(stats!.checkedHere).toBe(stats!.chunks);
  });

  it('loses nothing when a worker dies holding a chunk it claimed', async () => {
    // The worker claims the first chunk it is sent, then exits without answering.
    const dying = workerModule(
      'const claims = new Int32Array(workerData.claims);\n' +
        "parentPort.on('message', (c) => { Atomics.compareExchange(claims, c.id, 0, 1); process.exit(3); });",
    );
    let stats: Stats | undefined;
    const got: VerifyResult[] = await verifyMany(docs, trust, { threads: 1, now, steal: false, workerUrl: dying, onStats: (s: Stats) => (stats = s) });
    expect(got).toEqual(expected);
    expect(stats!.workerError).toMatch(/exited with code 3/);
    expect(stats!.checkedHere).toBe(stats!.chunks);
  });

  it('reports no worker error when all went well', async () => {
    const { stats } = await runDefault();
    expect(stats).toMatchObject({ threads: 1 });
    expect(stats!.workerError).toBeUndefined();
  });
});
