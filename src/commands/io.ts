// Where a human subcommand writes: its own module so that the subcommands (index.ts and the lazily loaded
// invoke.ts) share the type without importing each other.
export interface CommandIO {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
  /** Asks the user one question on the terminal; absent when stdin is not a terminal (then nothing is asked). */
  ask?(question: string): Promise<string>;
}
