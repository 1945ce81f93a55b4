// Cold start: spawn -> answer to tools/list, passport-mcp vs a bare SDK server with one tool, interleaved runs.
// passport-mcp ships bundled (scripts/postbuild.mjs), so the bare server runs twice: as written (plain node_modules,
// the figure's historic baseline) and bundled the same way (like for like: what our own code adds to start-up).
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const BARE = fileURLToPath(new URL('./bare-server.mjs', import.meta.url));
// An empty cache of its own: the user's registry cache must not colour the figures.
const CACHE = mkdtempSync(path.join(tmpdir(), 'passport-bench-cache-'));

function once(script, args = []) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ['pipe', 'pipe', 'ignore'],
      env: { PATH: process.env.PATH, PASSPORT_MCP_OFFLINE: '1', PASSPORT_MCP_CACHE_DIR: CACHE },
    });
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n')) {
        if (line.includes('"id":2')) {
          const ms = Number(process.hrtime.bigint() - t0) / 1e6;
          child.stdin.end();
          child.kill();
          resolve(ms);
          return;
        }
      }
    });
    child.on('error', reject);
    const send = (m) => child.stdin.write(`${JSON.stringify(m)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '0' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function bundleBare() {
  const dir = mkdtempSync(path.join(tmpdir(), 'passport-bench-bare-'));
  const b = await rolldown({ input: BARE, platform: 'node', logLevel: 'silent' });
  await b.write({ dir, format: 'esm', entryFileNames: 'bare.mjs' });
  await b.close();
  return path.join(dir, 'bare.mjs');
}

export async function run({ runs = 15 } = {}) {
  const BARE_BUNDLED = await bundleBare();
  const ours = [];
  const bare = [];
  const bareBundled = [];
  await once(CLI); // warm the filesystem cache for all three
  await once(BARE);
  await once(BARE_BUNDLED);
  for (let i = 0; i < runs; i++) {
    bare.push(await once(BARE));
    bareBundled.push(await once(BARE_BUNDLED));
    ours.push(await once(CLI));
  }
  const o = median(ours);
  const b = median(bare);
  const bb = median(bareBundled);
  return {
    runs,
    passport_mcp_ms: round(o),
    bare_sdk_ms: round(b),
    ratio: round(o / b, 3),
    bare_sdk_bundled_ms: round(bb),
    ratio_vs_bundled_bare: round(o / bb, 3),
    goal: '<= 1.2x',
  };
}

const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
