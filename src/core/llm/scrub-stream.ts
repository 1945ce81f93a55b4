// Streaming secret scrubber: text arrives in pieces, and a key may be split across two of them. Each push
// returns only text that can no longer become part of a secret; the concatenation of all outputs equals the
// whole text with every secret replaced.
export const REDACTED = '[redacted]';

export interface StreamScrubber {
  push(delta: string): string;
  end(): string;
}

export function createStreamScrubber(secrets: readonly (string | undefined)[]): StreamScrubber {
  const list = [...new Set(secrets.filter((s): s is string => typeof s === 'string' && s.length >= 8))].sort((a, b) => b.length - a.length);
  let held = '';
  if (!list.length) return { push: (d) => d, end: () => '' };
  return {
    push(delta) {
      let buf = held + delta;
      for (const s of list) if (buf.includes(s)) buf = buf.split(s).join(REDACTED);
      // Hold back the longest tail that is a proper prefix of a secret.
      let hold = 0;
      for (const s of list) {
        const from = Math.max(0, buf.length - (s.length - 1));
        for (let i = from; i < buf.length; i++) {
          if (buf.length - i <= hold) break;
          if (buf.charCodeAt(i) === s.charCodeAt(0) && s.startsWith(buf.slice(i))) {
            hold = buf.length - i;
            break;
          }
        }
      }
      held = buf.slice(buf.length - hold);
      return buf.slice(0, buf.length - hold);
    },
    end() {
      const out = held;
      held = '';
      return out;
    },
  };
}
