// Helpers shared by the security tests: figures written to .bench-tmp (so SECURITY.md quotes real numbers), a raw
// stdio driver for the built server (no SDK client in the way), and an in-process server over an InMemoryTransport,
// optionally one that carries every message in the stdio wire format.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { parseConfig } from '../../src/config/config.js';
import { createApp, type AppContext } from '../../src/core/app.js';
import { createLogger } from '../../src/core/logger.js';
import { buildServer } from '../../src/mcp/server.js';
import { sharedAppOptions } from '../support/in-process.js';
import { CLI, cleanEnv, ROOT } from '../support/spawn.js';

const FIGURES_DIR = path.join(ROOT, '.bench-tmp', 'security-figures');

/**
 * Records this suite's counts in .bench-tmp/security-figures/<suite>.json and rewrites the merged
 * .bench-tmp/security-figures.json from every suite file present (test files run in parallel forks).
 */
export function recordFigures(suite: string, figures: Record<string, unknown>): void {
  mkdirSync(FIGURES_DIR, { recursive: true });
  const file = path.join(FIGURES_DIR, `${suite}.json`);
  let prev: Record<string, unknown> = {};
  try {
    prev = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // first figures of this suite in this run
  }
  writeFileSync(file, `${JSON.stringify({ ...prev, ...figures, recorded_at: new Date().toISOString() }, null, 2)}\n`);
  const merged: Record<string, unknown> = {};
  for (const name of readdirSync(FIGURES_DIR)
    .filter((n) => n.endsWith('.json'))
    .sort()) {
    try {
      merged[name.replace(/\.json$/, '')] = JSON.parse(readFileSync(path.join(FIGURES_DIR, name), 'utf8'));
    } catch {
      // another fork is writing it right now; its own write will merge again
    }
  }
  writeFileSync(path.join(ROOT, '.bench-tmp', 'security-figures.json'), `${JSON.stringify(merged, null, 2)}\n`);
}

export interface RawServer {
  child: ChildProcessWithoutNullStreams;
  /** Every complete stdout line so far. */
  lines: string[];
  stdoutBytes(): number;
  stderr(): string;
  write(data: string | Buffer): Promise<void>;
  /** Resolves with the parsed message whose id equals `id`, or rejects after `ms`. */
  waitFor(id: string | number, ms?: number): Promise<Record<string, unknown>>;
  /** Resolves once stderr matches `re` (checked on every chunk), or rejects after `ms`. */
  waitForStderr(re: RegExp, ms?: number): Promise<void>;
  exited(): boolean;
  /** Resolves with the exit code when the child exits. */
  exit: Promise<number | null>;
  /** Ends stdin and waits for the exit code (kills after `ms`). */
  end(ms?: number): Promise<number | null>;
}

/** Spawns `node dist/cli.js` with raw pipes: we speak bytes, not the SDK. */
export function spawnRaw(args: string[] = [], env: Record<string, string> = {}, nodeArgs: string[] = []): RawServer {
  const child = spawn(process.execPath, [...nodeArgs, CLI, ...args], { env: cleanEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const byId = new Map<string, Record<string, unknown>>();
  const waiters = new Map<string, (m: Record<string, unknown>) => void>();
  let partial = '';
  let outBytes = 0;
  let err = '';
  let exitCode: number | null | undefined;
  const exitPromise = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exitCode = code;
      resolve(code);
    }),
  );
  child.stdout.on('data', (d: Buffer) => {
    outBytes += d.length;
    partial += d.toString('utf8');
    let nl: number;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      lines.push(line);
      try {
        const msg = JSON.parse(line) as Record<string, unknown>;
        // A compliant client answers pings (the server pings before a streamed result, see src/mcp/server.ts).
        if (msg.method === 'ping' && 'id' in msg && !child.stdin.destroyed)
          child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: {} })}\n`);
        if ('id' in msg && ('result' in msg || 'error' in msg)) {
          const key = JSON.stringify(msg.id);
          byId.set(key, msg);
          waiters.get(key)?.(msg);
        }
      } catch {
        // the test asserts on every line; a bad one is kept in `lines`
      }
    }
  });
  const stderrWatchers = new Set<() => void>();
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString('utf8');
    for (const w of [...stderrWatchers]) w();
  });
  child.stdin.on('error', () => undefined); // EPIPE after the child exits is the test's verdict, not a crash here
  return {
    child,
    lines,
    stdoutBytes: () => outBytes,
    stderr: () => err,
    write: (data) =>
      new Promise<void>((resolve) => {
        if (exitCode !== undefined || child.stdin.destroyed) return resolve();
        if (child.stdin.write(data)) return resolve();
        // A child that died (or stopped reading) never drains; its exit ends the wait too.
        child.stdin.once('drain', resolve);
        child.stdin.once('close', resolve);
        void exitPromise.then(() => resolve());
      }),
    waitFor(id, ms = 15_000) {
      const key = JSON.stringify(id);
      const have = byId.get(key);
      if (have) return Promise.resolve(have);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no answer for id ${key} within ${ms} ms`)), ms);
        waiters.set(key, (m) => {
          clearTimeout(t);
          resolve(m);
        });
      });
    },
    waitForStderr(re, ms = 15_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!re.test(err)) return;
          stderrWatchers.delete(check);
          clearTimeout(t);
          resolve();
        };
        const t = setTimeout(() => {
          stderrWatchers.delete(check);
          reject(new Error(`no stderr line matching ${re} within ${ms} ms:\n${err}`));
        }, ms);
        stderrWatchers.add(check);
        check();
      });
    },
    exited: () => exitCode !== undefined,
    exit: exitPromise,
    async end(ms = 10_000) {
      if (exitCode !== undefined) return exitCode;
      child.stdin.end();
      const t = setTimeout(() => child.kill('SIGKILL'), ms);
      const code = await exitPromise;
      clearTimeout(t);
      return code;
    },
  };
}

export const INIT = {
  jsonrpc: '2.0',
  id: 'init',
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'security-tests', version: '0.0.0' } },
};
export const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };

export function line(msg: unknown): string {
  return `${JSON.stringify(msg)}\n`;
}

export interface InProcess {
  app: AppContext;
  client: Client;
  logs: string[];
  close(): Promise<void>;
}

/**
 * An InMemoryTransport pair whose messages cross the way stdio carries them: written as a line (serializeMessage) and
 * read back through JSON.parse and the SDK's JSON-RPC schema (deserializeMessage), as StdioServerTransport reads
 * them. So the server in this process gets exactly what a spawned one would be handed for the same call (NaN and
 * Infinity become null, undefined members vanish, "__proto__" arrives as an own key made by JSON.parse, lone
 * surrogates survive as escapes); what only the process adds (the pipe, the line guard, stdout) is tested by
 * spawning the built CLI (protocol.test.ts, and a sample in tool-args.test.ts).
 */
export function wirePair(): [InMemoryTransport, InMemoryTransport] {
  const pair = InMemoryTransport.createLinkedPair();
  for (const t of pair) {
    const send = t.send.bind(t);
    t.send = (message, options) => send(deserializeMessage(serializeMessage(message)), options);
  }
  return pair;
}

/**
 * The real app and MCP server in this process, joined to an SDK client by an InMemoryTransport pair (`wire`: one that
 * carries the stdio wire format, see wirePair).
 */
export async function startInProcess(argv: string[] = ['--offline'], env: Record<string, string> = {}, opts: { wire?: boolean } = {}): Promise<InProcess> {
  const config = parseConfig(argv, env);
  const logger = createLogger('debug');
  const logs: string[] = [];
  logger.addSink((level, msg) => logs.push(`${level}: ${msg}`));
  const app = await createApp(config, logger, sharedAppOptions());
  const ready = app.loadAll();
  const server = buildServer(app, { ready });
  const [clientT, serverT] = opts.wire ? wirePair() : InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'security-in-process', version: '0.0.0' }, { capabilities: {} });
  await server.connect(serverT);
  await client.connect(clientT);
  await ready;
  return {
    app,
    client,
    logs,
    close: async () => {
      await client.close();
      await server.close();
    },
  };
}

/** Snapshot of the built-in prototypes' own keys, to prove no input added a property to them. */
export function prototypeSnapshot(): string {
  const protos: [string, object][] = [
    ['Object', Object.prototype],
    ['Array', Array.prototype],
    ['Function', Function.prototype],
    ['String', String.prototype],
    ['Number', Number.prototype],
    ['Promise', Promise.prototype],
  ];
  return JSON.stringify(protos.map(([n, p]) => [n, Reflect.ownKeys(p).map(String).sort()]));
}

export function assertNotPolluted(): void {
  const probe = {} as Record<string, unknown>;
  for (const k of ['polluted', 'isAdmin', 'evil', 'unfragile', 'passport', 'signature']) {
    if (k in probe) throw new Error(`Object.prototype was polluted with "${k}"`);
  }
  if ((Object.prototype as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype.polluted is set');
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]);
}
