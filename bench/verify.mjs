// Bulk verification of 10,000 signed passports: verifyMany (canonical bytes here, written into shared memory;
// Ed25519 in worker threads, and on this thread once it has nothing else to do),
// one thread with Node's native Ed25519 (what the server uses per request, after noble has validated each
// trusted key once), and @noble/ed25519 in strict mode, on the same inputs. Two corpora: copies
// of the 17 KB seed (6 capabilities), and registry-like passports from the synthetic generator (~2.4
// capabilities). The cost per passport is RFC 8785 canonicalisation plus one signature check over those bytes.
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalBytes } from '../build/core/passport/canonical.js';
import { createTrustStore, makeTrustedKey } from '../build/core/passport/trust.js';
import { verifyMany } from '../build/core/passport/bulk.js';
import { verifyPassportObject } from '../build/core/passport/verify.js';
import { generateSyntheticPassports, readEvalBases } from '../scripts/synthetic-passports.mjs';

const SEED = fileURLToPath(new URL('../passports/mistral-small-3.1.passport.json', import.meta.url));

function corpus(kind, count, privateKey) {
  const seed = JSON.parse(readFileSync(SEED, 'utf8')).passport;
  const docs =
    kind === 'seed'
      ? Array.from({ length: count }, () => structuredClone(seed))
      : generateSyntheticPassports(readEvalBases(), count).map((d) => d.passport ?? d);
  docs.forEach((p, i) => {
    if (kind === 'seed') p.unfragile.artifact.slug = `bench-model-${i}`;
    p.signedBy = 'unfragile.ai';
    p.signature = sign(null, canonicalBytes(p.unfragile), privateKey).toString('base64');
  });
  return docs;
}

async function measure(docs, trust, nobleSample) {
  const time = (engine, n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = verifyPassportObject(docs[i], { trust, engine });
      if (!r.valid) throw new Error(`bench passport ${i} did not verify: ${r.detail}`);
    }
    return performance.now() - t0;
  };
  time('native', 200); // warm up
  time('noble', 20);
  const nativeMs = time('native', docs.length);
  const nobleMs = time('noble', nobleSample);
  // Three bulk runs: the median is the figure, the range shows the noise.
  const bulkRuns = [];
  let stats;
  for (let r = 0; r < 3; r++) {
    const b0 = performance.now();
    const bulk = await verifyMany(docs, trust, { onStats: (s) => (stats = s) });
    bulkRuns.push(performance.now() - b0);
    if (!bulk.every((x) => x.valid)) throw new Error('bulk verification disagreed');
  }
  bulkRuns.sort((a, b) => a - b);
  const bulkMs = bulkRuns[1];
  const bytes = docs.reduce((n, d) => n + canonicalBytes(d.unfragile).length, 0) / docs.length;
  const canonMs = (() => {
    const t0 = performance.now();
    for (const d of docs) canonicalBytes(d.unfragile);
    return performance.now() - t0;
  })();
  return {
    passports: docs.length,
    avg_canonical_kb: Math.round(bytes / 102.4) / 10,
    bulk_ms_total: Math.round(bulkMs),
    bulk_ms_range: [Math.round(bulkRuns[0]), Math.round(bulkRuns[2])],
    bulk_worker_threads: stats.threads,
    bulk_chunks_checked_by_calling_thread: `${stats.checkedHere} of ${stats.chunks}`,
    one_thread_ms_total: Math.round(nativeMs),
    bulk_vs_one_thread: Math.round((bulkMs / nativeMs) * 100) / 100,
    of_which_canonicalisation_ms: Math.round(canonMs),
    native_per_sec: Math.round((docs.length / nativeMs) * 1000),
    noble_per_sec: Math.round((nobleSample / nobleMs) * 1000),
    native_vs_noble: Math.round((nativeMs / docs.length / (nobleMs / nobleSample)) ** -1 * 10) / 10,
  };
}

export async function run({ count = 10_000, nobleSample = 1_000 } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const trust = createTrustStore([makeTrustedKey('unfragile.ai', der.subarray(der.length - 32).toString('base64'))]);
  return {
    seed_sized: await measure(corpus('seed', count, privateKey), trust, nobleSample),
    registry_like: await measure(corpus('synthetic', count, privateKey), trust, nobleSample),
    goal: '10,000 in <= 1000 ms',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
