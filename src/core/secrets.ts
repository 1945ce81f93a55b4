// Secret scrubbing: every message that leaves the process (tool results, logs, progress, streamed text, the CLI's
// lines, last-resort fault reports) passes through the one scrubber the app builds from the configured API keys.
// Upstreams sometimes echo the request (headers included) back. A leaf module: it imports nothing local, so the
// config layer may use it too.

/** Where the keys live in a Config (structural, so this leaf needs no import from config/). */
export interface SecretSources {
  llm: { openrouter: { apiKey?: string }; mistral: { apiKey?: string }; compatible: { apiKey?: string } };
  registryApiKey?: string;
}

/** The configured API keys (unset ones left out): the one list every scrubber is built from. */
export function configuredSecrets(config: SecretSources): string[] {
  const { llm } = config;
  return [llm.openrouter.apiKey, llm.mistral.apiKey, llm.compatible.apiKey, config.registryApiKey].filter((k): k is string => !!k);
}

export const REDACTED = '[redacted]';

/** Text arriving in pieces: each push returns only text that can no longer become part of a secret. */
export interface StreamScrubber {
  push(delta: string): string;
  end(): string;
}

export interface Scrubber {
  /** The text with every configured key (and any Bearer value) replaced by [redacted]. */
  (text: string): string;
  /** A fresh streaming scrubber over the same keys, for one stream of deltas. */
  stream(): StreamScrubber;
}

/**
 * Keys shorter than this are not scrubbed: one to three characters are no secret, and would mangle ordinary text.
 * Self-hosted servers take short keys ("sk-7chr"), so from four characters on they are redacted wherever they appear.
 * A short key of letters only ("ollama", "none", "EMPTY") is a placeholder, not a secret, and is left alone:
 * redacting it would turn "ollama/llama3" into "[redacted]/llama3". From eight characters on, every key counts.
 */
export const MIN_SCRUBBED_KEY_CHARS = 4;
const ALWAYS_SCRUBBED_KEY_CHARS = 8;

/** The keys worth scrubbing (see MIN_SCRUBBED_KEY_CHARS), longest first. */
function usable(secrets: readonly (string | undefined)[]): string[] {
  const secret = (s: string) => s.length >= ALWAYS_SCRUBBED_KEY_CHARS || (s.length >= MIN_SCRUBBED_KEY_CHARS && !/^[A-Za-z]+$/.test(s));
  return [...new Set(secrets.filter((s): s is string => typeof s === 'string' && secret(s)))].sort((a, b) => b.length - a.length);
}

/** A scrubber for these secrets; build it once per app (AppContext.scrub) and hand it to every output path. */
export function createScrubber(secrets: readonly (string | undefined)[]): Scrubber {
  const list = usable(secrets);
  const bearer = /(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
  const scrub = (text: string) => {
    let out = text;
    for (const s of list) if (out.includes(s)) out = out.split(s).join(REDACTED);
    // Security: whatever key an upstream echoes, an Authorization value never leaves the process.
    return out.replace(bearer, `$1${REDACTED}`);
  };
  return Object.assign(scrub, { stream: () => createStreamScrubber(list) });
}

/**
 * Streaming: a key may be split across two deltas. The concatenation of all outputs equals the whole text with
 * every secret replaced.
 */
export function createStreamScrubber(secrets: readonly (string | undefined)[]): StreamScrubber {
  const list = usable(secrets);
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

/** Scrubs every string inside a JSON value (object keys included), returning a new value. */
export function scrubDeep<T>(value: T, scrub: (text: string) => string): T {
  if (typeof value === 'string') return scrub(value) as T;
  if (Array.isArray(value)) return value.map((v) => scrubDeep(v, scrub)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      Object.defineProperty(out, scrub(k), { value: scrubDeep(v, scrub), enumerable: true, writable: true, configurable: true });
    return out as T;
  }
  return value;
}
