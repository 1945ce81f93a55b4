#!/usr/bin/env node
// The entry point, deliberately import-free: it installs the SIGINT/SIGTERM handlers before anything slow
// (module graph, SDK, passports) can run, so a signal at any moment after Node starts running this module ends
// the process with exit 0 instead of the default action. Everything else lives in main.ts, loaded right after.
// With main.ts, the only module that touches process.*.

export interface SignalControl {
  /** Route later signals to a graceful shutdown (close the transport, abort upstream calls). */
  setHandler(fn: (signal: NodeJS.Signals) => void): void;
  /** Give the signals back to Node's default action (human subcommands: Ctrl-C interrupts them as usual). */
  release(): void;
}

let onSignal: ((signal: NodeJS.Signals) => void) | undefined;

function handle(signal: NodeJS.Signals): void {
  if (onSignal) return onSignal(signal);
  // Nothing is serving yet: there is nothing to close, so leave at once.
  process.exit(0);
}
process.on('SIGINT', handle);
process.on('SIGTERM', handle);

// The one line this file writes: at debug level, the moment the handlers are in place (tests wait for it instead
// of guessing how long start-up takes on a loaded machine).
if (wantsDebug(process.argv.slice(2), process.env.PASSPORT_MCP_LOG_LEVEL)) {
  process.stderr.write(`passport-mcp debug: signal handlers installed (pid ${process.pid})\n`);
}

function wantsDebug(argv: string[], env: string | undefined): boolean {
  let level = env;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--log-level') level = argv[++i];
    else if (argv[i]?.startsWith('--log-level=')) level = argv[i]!.slice('--log-level='.length);
  }
  return level === 'debug';
}

const signals: SignalControl = {
  setHandler(fn) {
    onSignal = fn;
  },
  release() {
    process.off('SIGINT', handle);
    process.off('SIGTERM', handle);
  },
};

const { main } = await import('./main.js');
await main(signals);
