// One small logger. The core takes a Logger and never touches a stream; cli.ts wires sinks (stderr, and the
// MCP logging capability once a client is connected).
export type LogLevel = 'debug' | 'info' | 'warning' | 'error';

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export type LogSink = (level: LogLevel, msg: string) => void;

/** Every level, least severe first. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warning', 'error'];

/** Whether a line at `level` passes a threshold of `min`. */
export function atLeast(level: LogLevel, min: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(min);
}

/** A logger writing to every sink whose threshold the level reaches. Sinks can be added later (MCP). */
export function createLogger(minLevel: LogLevel = 'info') {
  const sinks: { sink: LogSink; min: () => LogLevel }[] = [];
  const emit = (level: LogLevel, msg: string) => {
    for (const s of sinks) if (atLeast(level, s.min())) s.sink(level, msg);
  };
  const logger: Logger & { addSink(sink: LogSink, min?: () => LogLevel): void } = {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warning', m),
    error: (m) => emit('error', m),
    addSink(sink, min = () => minLevel) {
      sinks.push({ sink, min });
    },
  };
  return logger;
}

export const nullLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
