// Typed errors of the domain. The MCP error boundary and the CLI turn these into actionable messages;
// anything else is treated as an internal fault and never shown with its stack.

export class PassportMcpError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The caller sent something that cannot work; the message says what to change. */
export class UserInputError extends PassportMcpError {}

/** A passport document is unreadable, too big, or does not match the schema. */
export class PassportError extends PassportMcpError {}

/** Startup configuration is wrong (flag, env, trust key). */
export class ConfigError extends PassportMcpError {}

/** The LLM or registry upstream failed; `retryable` drives the retry loop. */
export class UpstreamError extends PassportMcpError {
  readonly status: number | undefined;
  readonly retryable: boolean;
  constructor(message: string, opts: { status?: number; retryable?: boolean; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.status = opts.status;
    this.retryable = opts.retryable ?? false;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
