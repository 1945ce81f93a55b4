#!/usr/bin/env node
// `npm run conformance`: runs @modelcontextprotocol/conformance (server scenarios, HTTP) against the built server
// and compares the result with conformance-baseline.yml. The suite needs Node 22, which `npx -p node@22` fetches
// from the npm registry (once; then it is cached), so this is not part of `npm test`.
// Steps: start `passport-mcp serve --http 127.0.0.1:0` (the OS picks a free port; we read it from the log line),
// run the suite with --expected-failures, print why each failing check failed, stop the server.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'dist', 'cli.js');
const BASELINE = join(ROOT, 'conformance-baseline.yml');
const SUITE = '@modelcontextprotocol/conformance@0.1.16';

if (!existsSync(CLI)) {
  console.error('dist/cli.js is missing: run npm run build first');
  process.exit(2);
}

const server = spawn(process.execPath, [CLI, 'serve', '--http', '127.0.0.1:0', '--offline'], {
  env: { PATH: process.env.PATH, HOME: process.env.HOME, PASSPORT_MCP_OFFLINE: '1' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let serverLog = '';
const url = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`server did not start:\n${serverLog}`)), 15_000);
  server.stderr.on('data', (d) => {
    serverLog += d;
    const m = /listening on (http:\/\/\S+)/.exec(serverLog);
    if (m) {
      clearTimeout(timer);
      resolve(m[1]);
    }
  });
  server.once('exit', (code) => reject(new Error(`server exited with ${code}:\n${serverLog}`)));
});
console.log(`passport-mcp listening on ${url}`);

const outDir = mkdtempSync(join(tmpdir(), 'passport-conformance-'));
let code = 1;
try {
  code = await new Promise((resolve) => {
    const child = spawn(
      'npx',
      ['-y', '-p', 'node@22', '-p', SUITE, '--', 'conformance', 'server', '--url', url, '--expected-failures', BASELINE, '-o', outDir],
      { stdio: 'inherit', cwd: ROOT },
    );
    child.once('exit', (c) => resolve(c ?? 1));
    child.once('error', (err) => {
      console.error(`cannot run npx: ${err.message}`);
      resolve(1);
    });
  });
  // The suite's summary names scenarios only; list each check that did not succeed and why.
  const reasons = [];
  for (const dir of readdirSync(outDir)) {
    const file = join(outDir, dir, 'checks.json');
    if (!existsSync(file)) continue;
    for (const c of JSON.parse(readFileSync(file, 'utf8'))) {
      if (c.status !== 'SUCCESS') reasons.push(`  ${c.id} (${c.status}): ${c.errorMessage ?? JSON.stringify(c.details ?? c.description)}`);
    }
  }
  if (reasons.length) console.log(`\nChecks that did not succeed:\n${reasons.sort().join('\n')}`);
} finally {
  server.kill('SIGTERM');
  rmSync(outDir, { recursive: true, force: true });
}
console.log(code === 0 ? '\nconformance: OK (only baseline failures)' : `\nconformance: FAILED (exit ${code})`);
process.exit(code);
