// Bulk verification: 10,000 signed passports, Node's native Ed25519 vs @noble/ed25519 (strict), same inputs.
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { canonicalBytes } from '../dist/core/passport/canonical.js';
import { createTrustStore, makeTrustedKey } from '../dist/core/passport/trust.js';
import { verifyPassportObject } from '../dist/core/passport/verify.js';
import { verifyMany } from '../dist/core/passport/bulk.js';

const SEED = fileURLToPath(new URL('../passports/mistral-small-3.1.passport.json', import.meta.url));

export async function run({ count = 10_000, nobleSample = 1_000 } = {}) {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  const trust = createTrustStore([makeTrustedKey('unfragile.ai', der.subarray(der.length - 32).toString('base64'))]);
  const seed = JSON.parse(readFileSync(SEED, 'utf8')).passport;
  const docs = [];
  for (let i = 0; i < count; i++) {
    const p = structuredClone(seed);
    p.unfragile.artifact.slug = `bench-model-${i}`;
    p.signature = sign(null, canonicalBytes(p.unfragile), privateKey).toString('base64');
    docs.push(p);
  }
  const time = (engine, n) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const r = verifyPassportObject(docs[i], { trust, engine });
      if (!r.valid) throw new Error(`bench passport ${i} did not verify`);
    }
    return performance.now() - t0;
  };
  time('native', 200); // warm up
  time('noble', 20);
  const nativeMs = time('native', count);
  const t0 = performance.now();
  const bulk = await verifyMany(docs, trust);
  const bulkMs = performance.now() - t0;
  if (bulk.length !== count || !bulk.every((r) => r.valid)) throw new Error('bulk verification disagreed');
  const nobleMs = time('noble', nobleSample);
  const nativePerSec = (count / nativeMs) * 1000;
  const noblePerSec = (nobleSample / nobleMs) * 1000;
  return {
    passports: count,
    bulk_ms_total: Math.round(bulkMs),
    bulk_threads: Math.min((await import('node:os')).availableParallelism(), 8),
    native_one_thread_ms_total: Math.round(nativeMs),
    native_per_sec: Math.round(nativePerSec),
    noble_per_sec: Math.round(noblePerSec),
    noble_ms_for_10k_estimated: Math.round((count / noblePerSec) * 1000),
    native_vs_noble: Math.round((nativePerSec / noblePerSec) * 10) / 10,
    goal: '10,000 in <= 1000 ms',
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
