// The whole server at registry scale: spawn the built server over stdio with 10,000 synthetic passports,
// measure time until the first search answers (load + index inside the server), the server process's RSS
// (/proc/<pid>/status), and search round trips over stdio. Baseline in the same run: the same server with only
// the built-in passport.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticPassports } from '../scripts/synthetic-passports.mjs';
import { BENCH_INTENTS } from './intents.mjs';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
}

async function measure(args) {
  // --no-cache: the user's own registry cache must not colour the figures.
  const child = spawn(process.execPath, [CLI, '--no-cache', ...args], {
    stdio: ['pipe', 'pipe', 'ignore'],
    env: { PATH: process.env.PATH, PASSPORT_MCP_OFFLINE: '1' },
  });
  const waiting = new Map();
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      waiting.get(msg.id)?.(msg);
    }
  });
  let id = 0;
  const call = (method, params) =>
    new Promise((resolve) => {
      const n = ++id;
      waiting.set(n, resolve);
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: n, method, params })}\n`);
    });
  const t0 = performance.now();
  await call('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } });
  child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
  const first = await call('tools/call', { name: 'find_capability_by_intent', arguments: { intent: BENCH_INTENTS[0] } });
  const firstAnswerMs = performance.now() - t0;
  const searched = first.result.structuredContent.searched_passports;
  const times = [];
  for (let r = 0; r < 25; r++) {
    for (const q of BENCH_INTENTS) {
      const t = performance.now();
      await call('tools/call', { name: 'find_capability_by_intent', arguments: { intent: q } });
      times.push(performance.now() - t);
    }
  }
  times.sort((a, b) => a - b);
  const rss = rssMb(child.pid);
  child.stdin.end();
  await new Promise((r) => child.on('exit', r));
  return {
    passports: searched,
    first_search_ms: Math.round(firstAnswerMs),
    rss_mb: rss,
    stdio_search_p50_ms: round(times[times.length >> 1]),
    stdio_search_p99_ms: round(times[Math.floor(times.length * 0.99)]),
  };
}

const round = (x) => Math.round(x * 100) / 100;

export async function run({ count = 10_000 } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'passport-scale-'));
  try {
    writeSyntheticPassports(dir, count);
    const baseline = await measure([]);
    const scaled = await measure(['--no-builtin', '--passports', dir]);
    return {
      baseline_builtin_only: baseline,
      with_10k: scaled,
      rss_ratio: round(scaled.rss_mb / baseline.rss_mb),
      goals: { rss_mb: '< 300', load_and_index_ms: '<= 2000' },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(await run(), null, 2));
