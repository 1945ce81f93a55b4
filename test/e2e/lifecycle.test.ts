// Process lifecycle of the built CLI: a signal at any moment after Node starts running the entry module ends the
// server with exit 0 within 1 s (stdio and HTTP); stdin closing ends the stdio server the same way; a bad flag
// fails before serving. Every wait is for a readiness signal (a stderr line, a JSON-RPC answer), never a guess
// at how long start-up takes: the suite runs on loaded 2-core machines.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { CLI, cleanEnv } from '../support/spawn.js';

const HANDLERS_LINE = /signal handlers installed/;
const EXIT_WITHIN_MS = 1_000;

interface Proc {
  child: ChildProcessWithoutNullStreams;
  /** Resolves when stderr (or stdout, with `onStdout`) has a line matching the pattern. */
  waitFor(pattern: RegExp, stream?: 'stderr' | 'stdout'): Promise<void>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  output(): { stdout: string; stderr: string };
}

function start(args: string[]): Proc {
  const child = spawn(process.execPath, [CLI, ...args, '--log-level', 'debug'], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  const text = { stdout: '', stderr: '' };
  const waiters: { pattern: RegExp; stream: 'stderr' | 'stdout'; resolve(): void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.pattern.test(text[w.stream])) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout.on('data', (d: Buffer) => ((text.stdout += d.toString('utf8')), check()));
  child.stderr.on('data', (d: Buffer) => ((text.stderr += d.toString('utf8')), check()));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, at: Date.now() }));
  return {
    child,
    exit,
    output: () => text,
    waitFor: (pattern, stream = 'stderr') =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ pattern, stream, resolve });
        check();
        void exit.then(({ code, signal }) => reject(new Error(`exited (${code ?? signal}) before ${pattern}:\n${text.stderr}`)));
      }),
  };
}

async function signalAndExpectCleanExit(p: Proc, signal: NodeJS.Signals, moment: string): Promise<void> {
  const t0 = Date.now();
  p.child.kill(signal);
  const { code, signal: killedBy, at } = await p.exit;
  expect({ code, killedBy }, `${signal} ${moment}:\n${p.output().stderr}`).toEqual({ code: 0, killedBy: null });
  expect(at - t0, `${signal} ${moment}`).toBeLessThan(EXIT_WITHIN_MS);
  // Security: stdout carries JSON-RPC only, whatever moment the signal hit.
  for (const line of p.output().stdout.split('\n').filter(Boolean)) expect(JSON.parse(line)).toHaveProperty('jsonrpc', '2.0');
}

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'lifecycle-test', version: '0' } },
});

describe('signals end the stdio server with exit 0 at any moment', () => {
  // The moments: the instant the entry module's handlers exist (main.ts and the SDK are still loading), a spread
  // of offsets after it (whatever start-up is doing then), after the handshake, and after the passports loaded.
  const offsets = [0, 1, 5, 20, 60, 150];
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: from the first instant through start-up`, async () => {
      for (const ms of offsets) {
        const p = start([]);
        await p.waitFor(HANDLERS_LINE);
        if (ms) await new Promise((r) => setTimeout(r, ms));
        await signalAndExpectCleanExit(p, signal, `${ms} ms after the handlers were installed`);
      }
    });

    it(`${signal}: after the handshake and after the passports loaded`, async () => {
      const p = start([]);
      p.child.stdin.write(INITIALIZE + '\n');
      await p.waitFor(/"id":1/, 'stdout');
      await signalAndExpectCleanExit(p, signal, 'after initialize');

      const q = start([]);
      q.child.stdin.write(INITIALIZE + '\n');
      q.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) + '\n');
      q.child.stdin.write(JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'resources/list' }) + '\n');
      await q.waitFor(/"id":2/, 'stdout');
      await signalAndExpectCleanExit(q, signal, 'after the passports loaded');
    });
  }

  it('stdin closing ends the server with exit 0', async () => {
    const p = start([]);
    p.child.stdin.write(INITIALIZE + '\n');
    await p.waitFor(/"id":1/, 'stdout');
    const t0 = Date.now();
    p.child.stdin.end();
    const { code, at } = await p.exit;
    expect(code).toBe(0);
    expect(at - t0).toBeLessThan(EXIT_WITHIN_MS);
  });
});

describe('signals end the HTTP server with exit 0 at any moment', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal}: while starting, and once listening`, async () => {
      const early = start(['serve', '--http', '127.0.0.1:0']);
      await early.waitFor(HANDLERS_LINE);
      await signalAndExpectCleanExit(early, signal, 'while starting');

      const late = start(['serve', '--http', '127.0.0.1:0']);
      await late.waitFor(/listening on http:\/\//);
      await signalAndExpectCleanExit(late, signal, 'once listening');
    });
  }
});

describe('bad configuration', () => {
  it('refuses a bad trust key before serving, with one clear line and a non-zero exit', async () => {
    const child = spawn(process.execPath, [CLI, '--trust-key', 'unfragile.ai=' + '00'.repeat(31) + '01'], { env: cleanEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const [code] = await once(child, 'exit');
    expect(code).not.toBe(0);
    expect(out).toBe('');
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/bad trust key for unfragile\.ai/);
  });
});
