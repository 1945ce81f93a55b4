// Where a human subcommand writes: its own module so that the subcommands (index.ts and the lazily loaded
// invoke.ts) share the type without importing each other; and what may reach a person's terminal.
export interface CommandIO {
  out(s: string): void;
  err(s: string): void;
  isTTY: boolean;
  /**
   * The progress meter's raw channel on stderr (it redraws its line with a carriage return and an erase); absent
   * where there is no terminal. Only the meter's own fixed text goes here, never passport or upstream text.
   */
  progress?(s: string): void;
  /** Asks the user one question on the terminal; absent when stdin is not a terminal (then nothing is asked). */
  ask?(question: string): Promise<string>;
}

/**
 * Control characters a passport, a registry or a model could put into text the CLI prints: C0 (but newline and tab),
 * DEL, C1 (a lone 0x9B is a control sequence introducer on some terminals), and the bidirectional embeddings,
 * overrides and isolates that make text read in another order than it is. ESC alone is enough to clear the screen,
 * retitle the window, write the clipboard (OSC 52) or move the cursor up and overwrite a line ("VALID: ..."). The
 * plain direction marks (U+200E, U+200F, U+061C), which Arabic and Hebrew text carries, stay as they are.
 */
const UNSAFE_FOR_TERMINAL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const UNSAFE_FOR_TERMINAL_ALL = new RegExp(UNSAFE_FOR_TERMINAL.source, 'g');

/**
 * Security: text for a terminal, with every control character shown as an escape ("\u001b") instead of acted on.
 * A carriage return (a CRLF line end, or half of one split across two streamed pieces) becomes a line break, so it
 * can neither print as an escape nor send the cursor back over a line. The escapes are for reading, not a
 * reversible encoding: a passport that contains the six characters "\u001b" prints the same.
 */
export function terminalSafe(s: string): string {
  if (!UNSAFE_FOR_TERMINAL.test(s)) return s;
  return s.replace(/\r\n?/g, '\n').replace(UNSAFE_FOR_TERMINAL_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
