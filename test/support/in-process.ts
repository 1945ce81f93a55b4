// In-process twins of spawn.ts: the same argv/env -> config -> app -> server (or subcommand) path as the CLI
// (src/main.ts), with the SDK's in-memory transport or buffers instead of a child process. For tests where a spawn
// adds nothing but start-up time; what only a process can show (stdout carries nothing but JSON-RPC, exit codes,
// signals, the line guard on stdin) stays in tests that spawn the built CLI (spawn.ts).
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { AppContext } from '../../src/core/app.js';
import { loadWordVectors, type WordVectors } from '../../src/core/search/word-vectors.js';
import { lazyLoad, prepareApp, runCommandLine, type TestAppOptions } from '../../src/main.js';
import { buildServer } from '../../src/mcp/server.js';
import { cleanEnv } from './spawn.js';

let vectors: WordVectors | undefined;
/**
 * What every in-process app of this worker shares: the shipped word-vector table, read once (~0.1 s of CPU per app
 * otherwise; dozens of apps per run). It is immutable once built, and it is the same table a spawned server reads
 * lazily on its first search (a read the spawned tests keep exercising).
 */
export function sharedAppOptions(): TestAppOptions {
  return { index: { vectors: (vectors ??= loadWordVectors()) } };
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `passport-mcp <args>` (any subcommand but `serve`) in this process, in a clean environment (cleanEnv: fresh
 * cache and config dirs, offline unless `env` says otherwise). `ask` answers the terminal question, as a user would.
 */
export async function runCli(args: string[], opts: { env?: Record<string, string>; ask?: (question: string) => Promise<string> } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCommandLine(
    args,
    cleanEnv(opts.env),
    {
      out: (s) => void (stdout += s),
      err: (s) => void (stderr += s),
      isTTY: false,
      ...(opts.ask ? { ask: opts.ask } : {}),
    },
    sharedAppOptions(),
  );
  return { code, stdout, stderr };
}

/** The app of `passport-mcp <args>` in a clean environment, with what it logs to stderr; throws if the line is refused. */
async function appFor(args: string[], env?: Record<string, string>): Promise<{ app: AppContext; stderr(): string }> {
  let err = '';
  const io = { out: () => undefined, err: (s: string) => void (err += s), isTTY: false };
  const app = await prepareApp(args, cleanEnv(env), io, sharedAppOptions());
  if (typeof app === 'number') throw new Error(`the command line was refused (exit ${app}): ${err}`);
  return { app, stderr: () => err };
}

export interface InProcess {
  client: Client;
  app: AppContext;
  /** Everything the server logged to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/**
 * The server `passport-mcp <args>` would run, connected to the SDK's own Client over an in-memory transport.
 * `beforeConnect` sets up the client (notification handlers) before the handshake, as a host would.
 */
export async function startInProcess(
  opts: { args?: string[]; env?: Record<string, string>; capabilities?: Record<string, unknown>; beforeConnect?: (client: Client) => void } = {},
): Promise<InProcess> {
  const { app, stderr } = await appFor(opts.args ?? [], opts.env);
  const { ready, loadSoon } = lazyLoad(app);
  const server = buildServer(app, { ready });
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  loadSoon();
  const client = new Client({ name: 'passport-mcp-tests', version: '0.0.0' }, { capabilities: opts.capabilities ?? {} });
  opts.beforeConnect?.(client);
  await client.connect(clientSide);
  return {
    client,
    app,
    stderr,
    async close() {
      await client.close();
      await server.close();
      await app.settled();
      await app.close();
    },
  };
}

export interface InProcessHttp {
  /** The MCP endpoint (http://127.0.0.1:PORT/mcp), as the "listening on" line names it. */
  url: URL;
  app: AppContext;
  /** Everything the server logged to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/**
 * The server `passport-mcp <args>` would run with `serve --http HOST:PORT` in `args` (main.ts serve(): lazy load,
 * serveHttp, load soon after), listening on a real socket in this process; for HTTP behaviour where the binary's
 * process adds nothing (its signals and exit code stay with spawned tests).
 */
export async function startHttpInProcess(opts: { args: string[]; env?: Record<string, string> }): Promise<InProcessHttp> {
  const { app, stderr } = await appFor(opts.args, opts.env);
  if (!app.config.http) throw new Error('startHttpInProcess needs `serve --http HOST:PORT` in args');
  const { serveHttp } = await import('../../src/mcp/http.js');
  const { ready, loadSoon } = lazyLoad(app);
  const http = await serveHttp(app, { ...app.config.http, ready });
  loadSoon();
  return {
    url: new URL(http.url),
    app,
    stderr,
    async close() {
      await http.close();
      await app.settled();
      await app.close();
    },
  };
}
