// Federated find (issue 11), in process against a loopback registry, each figure with its baseline in the same run:
// - local-only latency: federatedFind with scope "local" vs the index search + shaping it replaces;
// - added time over the registry's own response: federatedFind (scope "registry", a new intent each time, so never
//   from memory) vs a bare undici POST /resolve reading the same answer from the same registry;
// - a repeated intent from memory: federatedFind for an intent asked before;
// - start-up with 10,000 cached passports (signed, re-verified against a trusted key) vs the same 10,000 as files.
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSyntheticPassports, readEvalBases } from '../scripts/synthetic-passports.mjs';
import { BENCH_INTENTS } from './intents.mjs';

const built = (p) => new URL(`../build/${p}`, import.meta.url).href;
const { parseConfig } = await import(built('config/config.js'));
const { createApp } = await import(built('core/app.js'));
const { nullLogger } = await import(built('core/logger.js'));
const { federatedFind, shapeMatch } = await import(built('core/search/federation.js'));
const { canonicalBytes } = await import(built('core/passport/canonical.js'));

const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function keyPair() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const der = publicKey.export({ format: 'der', type: 'spki' });
  return { privateKey, raw: der.subarray(der.length - 32).toString('base64') };
}

function signed(doc, key) {
  const p = doc.passport;
  p.signedBy = 'unfragile.ai';
  p.signedAt = '2026-11-20T10:00:00.000Z';
  p.signature = sign(null, canonicalBytes(p.unfragile), key.privateKey).toString('base64');
  return doc;
}

/** Answers /resolve with bodies[n % bodies.length], n the number at the end of the intent. */
async function startRegistry(bodies) {
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (d) => (raw += d));
    req.on('end', () => {
      const n = Number(/(\d+)"/.exec(raw)?.[1] ?? 0);
      const body = bodies[n % bodies.length];
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { base: `http://127.0.0.1:${server.address().port}/api/v1`, close: () => new Promise((r) => server.close(r)) };
}

async function app(args, home) {
  const a = await createApp(parseConfig(args, { HOME: home }), nullLogger);
  await a.loadAll();
  return a;
}

export async function run() {
  const home = mkdtempSync(path.join(tmpdir(), 'bench-fed-'));
  const key = keyPair();
  const bases = readEvalBases();
  try {
    // 1. Local-only latency (31 eval passports + the built-in one).
    const evalDir = path.join(home, 'eval');
    mkdirSync(evalDir);
    bases.forEach((b, i) => writeFileSync(path.join(evalDir, `${i}.json`), JSON.stringify(b)));
    const local = await app(['--passports', evalDir, '--offline', '--no-cache'], home);
    const N = 400;
    const base = [];
    const fed = [];
    for (let i = 0; i < N; i++) {
      const intent = BENCH_INTENTS[i % BENCH_INTENTS.length];
      let t = performance.now();
      local.index.search(intent, { limit: 5 }).map((m) => shapeMatch(m, { source: 'local', verification: 'unknown_key' }));
      base.push(performance.now() - t);
      t = performance.now();
      await federatedFind(local, { intent, limit: 5, scope: 'local', min_confidence: 0 });
      fed.push(performance.now() - t);
    }
    const localOnly = { baseline_search_p50_ms: round(median(base)), federated_local_p50_ms: round(median(fed)), ratio: round(median(fed) / median(base), 2) };

    // 2. Added time over the registry's own response, 10 signed registry passports per /resolve answer: "known"
    // answers carry passports the server already holds (the usual case: the registry keeps returning popular
    // artifacts), "new" answers carry passports never seen before (loader, signature check, index, cache write).
    const M = 120;
    const answer = (docs) =>
      JSON.stringify({
        resolved: docs.map((d) => {
          const u = d.passport.unfragile;
          return {
            artifact: { slug: u.artifact.slug, name: u.artifact.name, type: u.artifact.type ?? null, url: null },
            capability: { id: u.capabilities[0].id, name: u.capabilities[0].name, whyThisMatches: 'bench' },
            trust: { verified: false, ...d.passport },
            alternatives: [],
            matchConfidence: 0.8,
          };
        }),
        resolveId: 'resolve_bench',
        resolvedAt: new Date().toISOString(),
      });
    const fresh = generateSyntheticPassports(bases, 10 * (M + 10), 7).map((d) => signed(d, key));
    const known = [answer(fresh.slice(0, 10))];
    const news = Array.from({ length: M + 10 }, (_, i) => answer(fresh.slice(10 * i, 10 * i + 10)));
    const { request } = await import('undici');
    const registry = {};
    for (const [label, bodies] of [
      ['known_passports', known],
      ['new_passports', news],
    ]) {
      const reg = await startRegistry(bodies);
      const cacheDir = path.join(home, `reg-cache-${label}`);
      const online = await app(['--registry-url', reg.base, '--trust-key', `unfragile.ai=${key.raw}`, '--cache-dir', cacheDir, '--no-builtin'], home);
      const bare = [];
      const full = [];
      for (let i = 0; i < M + 10; i++) {
        let t = performance.now();
        const r = await request(`${reg.base}/resolve`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ intent: `bare ${i}`, limit: 10 }),
        });
        await r.body.text();
        const b = performance.now() - t;
        t = performance.now();
        const out = await federatedFind(online, { intent: `bench intent number ${i}`, limit: 10, scope: 'registry', min_confidence: 0 });
        const f = performance.now() - t;
        if (out.registry.status !== 'ok' || out.matches.length === 0) throw new Error(`registry answer not used: ${JSON.stringify(out.registry)}`);
        await online.settled(); // cache writes are off the answer's path; let them finish between rounds
        if (i >= 10) {
          bare.push(b);
          full.push(f);
        }
      }
      await reg.close();
      registry[label] = {
        answer_bytes: bodies[0].length,
        entries: 10,
        bare_exchange_p50_ms: round(median(bare)),
        federated_p50_ms: round(median(full)),
        added_p50_ms: round(median(full) - median(bare)),
      };
      if (label === 'known_passports') registry.online = online;
    }
    const online = registry.online;
    delete registry.online;

    // 3. A repeated intent, from memory.
    const rep = [];
    for (let i = 0; i < 400; i++) {
      const t = performance.now();
      await federatedFind(online, { intent: 'bench intent number 3', limit: 10, scope: 'registry', min_confidence: 0 });
      rep.push(performance.now() - t);
    }
    const memo = { repeated_p50_ms: round(median(rep)), repeated_p99_ms: round([...rep].sort((a, b) => a - b)[Math.floor(rep.length * 0.99)]) };

    if (process.env.BENCH_FEDERATION_QUICK) return { local_only: localOnly, registry, memo };
    // 4. Start-up: 10,000 passports as files vs the same 10,000 (signed) in the cache, re-verified.
    const docs = generateSyntheticPassports(bases, 10_000, 42).map((d) => signed(d, key));
    const filesDir = path.join(home, 'files');
    const cacheDir = path.join(home, 'cache');
    const entriesDir = path.join(cacheDir, 'passports', 'v1');
    mkdirSync(filesDir);
    mkdirSync(entriesDir, { recursive: true });
    for (const d of docs) {
      const slug = d.passport.unfragile.artifact.slug;
      writeFileSync(path.join(filesDir, `${slug}.json`), JSON.stringify(d));
      writeFileSync(
        path.join(entriesDir, `${slug}.json`),
        JSON.stringify({ passport: d.passport, cached: { from: 'bench', fetchedAt: new Date().toISOString() } }),
      );
    }
    const startFiles = [];
    const startCache = [];
    const verifiedAll = [];
    for (let r = 0; r < 3; r++) {
      let t = performance.now();
      const f = await app(['--passports', filesDir, '--no-cache', '--no-builtin', '--offline', '--trust-key', `unfragile.ai=${key.raw}`], home);
      startFiles.push(performance.now() - t);
      if (f.store.size !== 10_000) throw new Error(`files: ${f.store.size}`);
      t = performance.now();
      const c = await app(['--cache-dir', cacheDir, '--no-builtin', '--offline', '--trust-key', `unfragile.ai=${key.raw}`], home);
      startCache.push(performance.now() - t);
      if (c.store.size !== 10_000) throw new Error(`cache: ${c.store.size}`);
      await c.cacheVerified();
      verifiedAll.push(performance.now() - t);
    }
    const startup = {
      files_ms: Math.round(median(startFiles)),
      cache_ms: Math.round(median(startCache)),
      ratio: round(median(startCache) / median(startFiles), 2),
      cache_all_reverified_ms: Math.round(median(verifiedAll)),
    };
    return { local_only: localOnly, registry, memo, startup_10k: startup };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
