// Intent search: quality on the labelled set and speed at registry scale, ours vs a plain BM25 baseline
// (MiniSearch, default options, over the concatenated capability text) in the same run.
//   quality  top-1, top-3, MRR on test/fixtures/eval (all intents, and the dev/holdout splits)
//   scale    10,000 synthetic passports (scripts/synthetic-passports.mjs, written to a temp dir and removed):
//            load (read + strict JSON + schema), index, p50/p99 query latency, RSS
// Run: npm run build && node bench/search.mjs   (add --expose-gc for a steadier RSS figure)
import MiniSearch from 'minisearch';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { BUILTIN_PASSPORT_PATH, loadPassportDirectory, loadPassportFile } from '../dist/core/passport/load.js';
import { evaluate } from '../dist/core/search/evaluate.js';
import { IntentIndex } from '../dist/core/search/index.js';
import { writeSyntheticPassports } from '../scripts/synthetic-passports.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EVAL = path.join(ROOT, 'test/fixtures/eval');

const capText = (c) => [c.name, c.description, ...(c.intents ?? []), ...(c.best_for ?? []), c.uri, ...(c.categories ?? [])].join(' ');

function baselineIndex(passports) {
  const ms = new MiniSearch({ fields: ['text'] });
  ms.addAll(passports.flatMap((p) => p.passport.unfragile.capabilities.map((c, i) => ({ id: `${p.slug}#${i}`, cap: c.id, text: capText(c) }))));
  return ms;
}

async function loadEval() {
  const dir = await loadPassportDirectory(path.join(EVAL, 'passports'));
  const seed = await loadPassportFile(BUILTIN_PASSPORT_PATH);
  const intents = JSON.parse(readFileSync(path.join(EVAL, 'intents.json'), 'utf8')).intents;
  return { passports: [...dir.passports, ...seed.passports], intents };
}

function pick(r) {
  return { top1: round(r.top1, 3), top3: round(r.top3, 3), mrr: round(r.mrr, 3) };
}

export async function quality() {
  const { passports, intents } = await loadEval();
  const index = new IntentIndex();
  for (const p of passports) index.add(p);
  const ms = baselineIndex(passports);
  const capOf = new Map(passports.flatMap((p) => p.passport.unfragile.capabilities.map((c, i) => [`${p.slug}#${i}`, c.id])));
  const ours = (q) => index.search(q, { limit: 10 }).map((m) => m.capability.id);
  const base = (q) => ms.search(q).slice(0, 10).map((r) => capOf.get(r.id));
  const out = { passports: passports.length, capabilities: passports.reduce((n, p) => n + p.passport.unfragile.capabilities.length, 0), intents: intents.length };
  for (const split of ['all', 'dev', 'holdout']) {
    const set = split === 'all' ? intents : intents.filter((i) => i.split === split);
    out[split] = { n: set.length, ours: pick(evaluate(set, ours)), baseline: pick(evaluate(set, base)) };
  }
  return out;
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function latencies(search, queries, rounds) {
  for (const q of queries) search(q); // warm up
  for (const q of queries) search(q);
  const xs = [];
  for (let r = 0; r < rounds; r++) {
    for (const q of queries) {
      const t = process.hrtime.bigint();
      search(q);
      xs.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  xs.sort((a, b) => a - b);
  return { p50: percentile(xs, 0.5), p99: percentile(xs, 0.99), samples: xs.length };
}

export async function scale({ passports: n = 10_000, rounds = 10 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'passport-mcp-bench-'));
  try {
    writeSyntheticPassports(dir, n);
    const queries = JSON.parse(readFileSync(path.join(EVAL, 'intents.json'), 'utf8')).intents.map((i) => i.intent);
    globalThis.gc?.();
    const rssBefore = process.memoryUsage().rss;

    let t = performance.now();
    const loaded = await loadPassportDirectory(dir);
    const loadMs = performance.now() - t;
    t = performance.now();
    const index = new IntentIndex();
    for (const p of loaded.passports) index.add(p);
    const indexMs = performance.now() - t;
    const ours = latencies((q) => index.search(q, { limit: 5 }), queries, rounds);
    globalThis.gc?.();
    const rss = process.memoryUsage().rss;
    const stats = index.stats();

    t = performance.now();
    const ms = baselineIndex(loaded.passports);
    const baseIndexMs = performance.now() - t;
    const base = latencies((q) => ms.search(q).slice(0, 5), queries, Math.max(1, Math.floor(rounds / 5)));

    return {
      passports: loaded.passports.length,
      capabilities: stats.capabilities,
      problems: loaded.problems.length,
      load_ms: round(loadMs),
      index_ms: round(indexMs),
      load_index_ms: round(loadMs + indexMs),
      p50_ms: round(ours.p50, 3),
      p99_ms: round(ours.p99, 3),
      queries: ours.samples,
      rss_mb: round(rss / 1e6),
      rss_before_load_mb: round(rssBefore / 1e6),
      index_arrays_mb: round(stats.bytes / 1e6),
      terms: stats.terms,
      postings: stats.postings,
      baseline: { index_ms: round(baseIndexMs), p50_ms: round(base.p50, 3), p99_ms: round(base.p99, 3) },
      speedup_p50: round(base.p50 / ours.p50, 1),
      speedup_p99: round(base.p99 / ours.p99, 1),
      gc_exposed: typeof globalThis.gc === 'function',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const GOALS = { mrr: '>= 0.9', p50_ms: '<= 1', p99_ms: '<= 5', load_index_ms: '<= 2000', rss_mb: '< 300' };

export async function run(opts = {}) {
  const q = await quality();
  const s = await scale(opts);
  return { quality: q, scale: s, goals: GOALS };
}

const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function printTable(r) {
  const { quality: q, scale: s } = r;
  const row = (cols, w = [26, 14, 14]) => cols.map((c, i) => String(c).padEnd(w[i] ?? 14)).join('') + '\n';
  let out = `\nIntent search quality: ${q.intents} labelled intents over ${q.passports} passports / ${q.capabilities} capabilities\n`;
  out += row(['', 'ours', 'BM25 baseline']);
  for (const split of ['all', 'dev', 'holdout']) {
    const x = q[split];
    for (const k of ['top1', 'top3', 'mrr']) out += row([`${split} (n=${x.n}) ${k}`, x.ours[k].toFixed(3), x.baseline[k].toFixed(3)]);
  }
  out += `\nScale: ${s.passports} passports / ${s.capabilities} capabilities (${s.terms} terms, ${s.postings} postings)\n`;
  out += row(['', 'ours', 'BM25 baseline', 'ratio']);
  out += row(['load (read+parse+schema) ms', s.load_ms, '(same)', '']);
  out += row(['index ms', s.index_ms, s.baseline.index_ms, round(s.baseline.index_ms / s.index_ms, 1) + 'x faster']);
  out += row(['load+index ms', s.load_index_ms, '', `goal ${GOALS.load_index_ms}`]);
  out += row(['query p50 ms', s.p50_ms, s.baseline.p50_ms, `${s.speedup_p50}x faster`]);
  out += row(['query p99 ms', s.p99_ms, s.baseline.p99_ms, `${s.speedup_p99}x faster`]);
  out += row(['RSS MB (after index)', s.rss_mb, '', `goal ${GOALS.rss_mb}${s.gc_exposed ? '' : ' (no --expose-gc)'}`]);
  process.stdout.write(out + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const r = await run();
  printTable(r);
}
