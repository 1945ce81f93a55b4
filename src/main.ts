// With cli.ts, the only module that touches process.*: argv/env -> config -> app -> server (stdio or HTTP) or a
// subcommand. stdout is the protocol in server mode; every log line goes to stderr. cli.ts has already installed
// the signal handlers; serve() hands them its graceful shutdown.
import type { SignalControl } from './cli.js';
import { parseConfig, SECRET_ENV, type Config } from './config/config.js';
import { createApp, PACKAGE_VERSION, type AppContext, type AppOptions } from './core/app.js';
import { ConfigError, errorMessage } from './core/errors.js';
import { createLogger } from './core/logger.js';
import { configuredSecrets, createScrubber, type Scrubber } from './core/secrets.js';
import { HELP } from './commands/help.js';
import { terminalSafe, type CommandIO } from './commands/io.js';

/** Where this process's last-resort lines get their scrubber: the app's, once the config is known. */
interface ScrubSlot {
  scrub: Scrubber;
}

/** Where a command line reads and writes: the process's own streams in cli.ts, buffers in tests. */
export type CliIO = CommandIO;

/** What tests may pass on to createApp (the process itself passes nothing). */
export type TestAppOptions = Pick<AppOptions, 'index'>;

/**
 * argv/env -> config -> app: a number is an exit code already reported (bad flags, --help, --version, a bad trust
 * key); otherwise the app, ready for serve() or a subcommand.
 */
async function setUp(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIO,
  slot: ScrubSlot,
  testOptions: TestAppOptions = {},
): Promise<number | AppContext> {
  let config: Config;
  try {
    config = parseConfig(argv, env);
  } catch (err) {
    io.err(`passport-mcp: ${slot.scrub(errorMessage(err))}\n`);
    return 2;
  }
  // Security: the one scrubber, built once from the configured keys; the app, the logger's stderr sink, the
  // subcommands' output and the last-resort handlers all use it.
  const scrub = createScrubber(configuredSecrets(config));
  slot.scrub = scrub;
  if (config.help) {
    io.out(HELP);
    return 0;
  }
  if (config.version) {
    io.out(`${PACKAGE_VERSION}\n`);
    return 0;
  }
  const logger = createLogger(config.logLevel);
  logger.addSink((level, msg) => io.err(`passport-mcp ${level}: ${scrub(msg)}\n`));
  try {
    return await createApp(config, logger, { ...testOptions, scrub });
  } catch (err) {
    io.err(`passport-mcp: ${scrub(errorMessage(err))}\n`);
    return 2;
  }
}

/** Runs one human subcommand (find, verify, trust...) to its exit code; `io` scrubs (see scrubbed). */
async function command(app: AppContext, io: CliIO): Promise<number> {
  const { runCommand } = await import('./commands/index.js');
  try {
    return await runCommand(app, io);
  } finally {
    // Registry passports received during the command reach the cache before the sockets close.
    await settleWithin(SHUTDOWN_BUDGET_MS, [app.settled()]);
    await app.close();
  }
}

/**
 * A whole command line other than `serve`, in this process (tests drive the CLI's subcommands through it; a
 * spawn adds nothing there but start-up time). `serve` is refused: it needs the process's stdio and signals.
 */
export async function runCommandLine(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIO,
  testOptions: TestAppOptions = {},
): Promise<number> {
  const slot = slotFor(env);
  const out = scrubbed(io, slot);
  const app = await setUp(argv, env, out, slot, testOptions);
  if (typeof app === 'number') return app;
  if (app.config.command === 'serve') throw new Error('runCommandLine runs subcommands; `serve` needs a process');
  return command(app, out);
}

/** setUp with its own scrubber slot: how tests build the app of a command line in process. */
export function prepareApp(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: CliIO,
  testOptions: TestAppOptions = {},
): Promise<number | AppContext> {
  const slot = slotFor(env);
  return setUp(argv, env, scrubbed(io, slot), slot, testOptions);
}

/** Until the config is parsed there is no app scrubber: the raw values of the key variables stand in for it. */
function slotFor(env: Record<string, string | undefined>): ScrubSlot {
  return { scrub: createScrubber(SECRET_ENV.map((name) => env[name])) };
}

/**
 * Security: `io` with every line passed through the slot's scrubber (the app's, once the config is known) and made
 * safe for a terminal (no control character of a passport's or an upstream's text is acted on), as run() does.
 */
function scrubbed(io: CliIO, slot: ScrubSlot): CliIO {
  return {
    ...io,
    out: (s) => io.out(terminalSafe(slot.scrub(s))),
    err: (s) => io.err(terminalSafe(slot.scrub(s))),
    ...(io.progress ? { progress: (s: string) => io.progress!(slot.scrub(s)) } : {}),
  };
}

async function run(signals: SignalControl, slot: ScrubSlot): Promise<number> {
  const io: CliIO = {
    // Security: every line this process writes passes the scrubber (the app's, once the config is known), and
    // reaches the terminal with its control characters shown, not acted on (terminalSafe).
    out: (s) => process.stdout.write(terminalSafe(slot.scrub(s))),
    err: (s) => process.stderr.write(terminalSafe(slot.scrub(s))),
    isTTY: Boolean(process.stderr.isTTY),
    // The progress meter's own text (it redraws with \r): raw, on a terminal only.
    ...(process.stderr.isTTY ? { progress: (s: string) => process.stderr.write(slot.scrub(s)) } : {}),
    // Only a terminal is ever asked a question (trust pin's confirmation); piped stdin never answers for the user.
    ...(process.stdin.isTTY ? { ask: askOnTerminal } : {}),
  };
  const app = await setUp(process.argv.slice(2), process.env, io, slot);
  if (typeof app === 'number') return app;
  if (app.config.command === 'serve') return serve(app, signals);
  signals.release();
  // `passport-mcp list | head -1`: a reader that stops reading is not an error worth a line on stderr. The command
  // still finishes (registry passports it fetched reach the cache); what it writes after that goes nowhere. Any
  // other stdout error (a full disk) is still reported.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
  return command(app, io);
}

async function askOnTerminal(question: string): Promise<string> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}

async function serve(app: AppContext, signals: SignalControl): Promise<number> {
  const { ready, loadSoon } = lazyLoad(app, process.stderr.isTTY ? stderrProgress() : undefined);
  if (app.config.http) {
    const { serveHttp } = await import('./mcp/http.js');
    // A signal that arrives while binding is delivered as soon as the handler is set.
    const signalled = new Promise<string>((resolve) => signals.setHandler(resolve));
    let http: Awaited<ReturnType<typeof serveHttp>>;
    try {
      http = await serveHttp(app, { ...app.config.http, ready });
    } catch (err) {
      app.logger.error(errorMessage(err));
      return 1;
    }
    loadSoon();
    app.logger.debug(`shutting down: ${await signalled}`);
    // As over stdio: cache writes already started finish, within the 1 s a signal is given.
    await settleWithin(SHUTDOWN_BUDGET_MS, [http.close(), app.settled({ shuttingDown: true })]);
    return 0;
  }
  const { buildServer } = await import('./mcp/server.js');
  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const { createLineGuard, MAX_MESSAGE_BYTES } = await import('./mcp/line-guard.js');
  const server = buildServer(app, { ready });
  // One oversized message is dropped (with a parse error), not allowed to close the transport.
  // Assigned right below; the guard's callback only runs once messages flow.
  let transport!: InstanceType<typeof StdioServerTransport>;
  const input = process.stdin.pipe(
    createLineGuard(MAX_MESSAGE_BYTES, (n, id) => {
      const message = `message of ${n} bytes is over the ${MAX_MESSAGE_BYTES}-byte limit; send smaller arguments (e.g. images by path)`;
      app.logger.warn(`dropped a ${message}`);
      if (id !== undefined) void transport.send({ jsonrpc: '2.0', id, error: { code: -32600, message } }).catch(() => undefined);
    }),
  );
  transport = new StdioServerTransport(input, process.stdout);
  // Under many concurrent answers the SDK waits for 'drain' once per backed-up write; that is not a leak.
  process.stdout.setMaxListeners(0);
  return await new Promise<number>((resolve) => {
    let closing = false;
    const shutdown = (why: string) => {
      if (closing) return;
      closing = true;
      app.logger.debug(`shutting down: ${why}`);
      // Closing the server aborts in-flight handlers (and with them any upstream request); cache writes already
      // started finish first.
      void settleWithin(SHUTDOWN_BUDGET_MS, [server.close(), app.settled({ shuttingDown: true })]).then(() => resolve(0));
    };
    // The SDK's stdio transport does not close when stdin ends; a client that goes away must not leave us running.
    process.stdin.once('end', () => shutdown('stdin ended'));
    process.stdin.once('close', () => shutdown('stdin closed'));
    signals.setHandler(shutdown);
    transport.onclose = () => shutdown('transport closed');
    server.connect(transport).then(loadSoon, (err: unknown) => {
      app.logger.error(`cannot start: ${errorMessage(err)}`);
      resolve(1);
    });
  });
}

/**
 * Passports load on first need, or shortly after the transport is up (`loadSoon`), whichever comes first: the
 * handshake and tools/list never wait for them. `ready` is a thenable so that awaiting it is what starts the load.
 */
export function lazyLoad(app: AppContext, progress?: (done: number, total: number) => void): { ready: PromiseLike<unknown>; loadSoon(): void } {
  let loading: Promise<unknown> | undefined;
  const startLoading = () =>
    (loading ??= app.loadAll(progress).then((r) => {
      progress?.(0, 0);
      app.logger.info(`loaded ${app.store.size} passport${app.store.size === 1 ? '' : 's'}${r.problems ? `, skipped ${r.problems} source(s)` : ''}`);
      // Read the word vectors now rather than inside the first find (0.1-0.5 s): a server is there to be asked.
      setImmediate(() => app.index.prepareSemantic());
      return r;
    }));
  return {
    ready: { then: (onOk, onErr) => startLoading().then(onOk, onErr) },
    loadSoon: () => void setTimeout(startLoading, 100).unref(),
  };
}

/** The contract gives a signal 1 s to end the process: a stuck close or write never holds it longer than this. */
const SHUTDOWN_BUDGET_MS = 800;

/** Waits for every promise to settle, or for `ms`, whichever comes first. */
function settleWithin(ms: number, work: Promise<unknown>[]): Promise<void> {
  return new Promise<void>((resolve) => {
    setTimeout(resolve, ms).unref();
    void Promise.allSettled(work).then(() => resolve());
  });
}

/** A one-line progress meter for long loads, only in a terminal. */
function stderrProgress() {
  let last = 0;
  return (done: number, total: number) => {
    if (total === 0) {
      if (last) process.stderr.write('\r\x1b[K');
      return;
    }
    const now = Date.now();
    if (now - last < 100 && done !== total) return;
    last = now;
    process.stderr.write(`\rloading passports ${done}/${total}`);
  };
}

export function main(signals: SignalControl): Promise<void> {
  const slot = slotFor(process.env);
  // Security: a last-resort report of a stray fault goes to stderr only, through the app's scrubber.
  process.on('uncaughtException', (err) => {
    process.stderr.write(`passport-mcp error: ${terminalSafe(slot.scrub(errorMessage(err)))}\n`);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`passport-mcp error: ${terminalSafe(slot.scrub(errorMessage(err)))}\n`);
  });
  return run(signals, slot).then(
    (code) => {
      process.exitCode = code;
      // Let pending stdio drain, then leave even if a keep-alive socket lingers.
      setTimeout(() => process.exit(code), 50).unref();
    },
    (err) => {
      // Security: the internal-error line is scrubbed like every other.
      process.stderr.write(`passport-mcp: ${terminalSafe(slot.scrub(err instanceof ConfigError ? err.message : errorMessage(err)))}\n`);
      process.exit(1);
    },
  );
}
