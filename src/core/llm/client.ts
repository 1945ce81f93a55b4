// The OpenAI-compatible chat client: runs attempts and keeps their timers (connect, first token, idle, total),
// retries before the first token, and scrubs what it passes on. The parts with one job each live beside it:
// http-exchange.ts (undici), stream-decoder.ts (pure SSE decoding), retry.ts (clock and retry policy) and
// upstream-errors.ts (every sentence). Loaded only when invoke_model first runs.
import { UpstreamError } from '../errors.js';
import type { Scrubber } from '../secrets.js';
import { USER_AGENT } from '../version.js';
import { createHttpExchange, readText, type Exchange } from './http-exchange.js';
import { decideRetry, systemClock, type Clock, type Timer } from './retry.js';
import { createStreamDecoder, decodeCompletion, type StreamMeta } from './stream-decoder.js';
import type { Target } from './types.js';
import {
  CANCELLED_MESSAGE,
  classifyHttpError,
  describeCompletionError,
  describeNetwork,
  describeStreamError,
  finalWording,
  headerValue,
  inBandRetryable,
  TIMEOUT_WORDING,
} from './upstream-errors.js';

export interface LlmClientOptions {
  connectTimeoutMs?: number;
  /** An idle pooled upstream socket closes after this long (tests shorten it instead of waiting out 4 s). */
  keepAliveTimeoutMs?: number;
  /** From sending the request to the first token; keep-alive comments do not count. */
  firstTokenTimeoutMs?: number;
  /** Between data events once tokens flow; comments do not count. */
  idleTimeoutMs?: number;
  /** The whole call, retries included. */
  totalTimeoutMs?: number;
  maxRetries?: number;
  retryBaseMs?: number;
  retryMaxDelayMs?: number;
  /** A Retry-After longer than this is not waited for: the call fails and says when to retry. */
  retryAfterCapMs?: number;
  userAgent?: string;
  referer?: string;
  title?: string;
  /** Tests: deterministic backoff instead of full jitter. */
  random?: () => number;
  /** Tests: a clock they drive (Retry-After waits, timeouts) instead of the real one. */
  clock?: Clock;
}

export const DEFAULT_CLIENT_OPTIONS: Required<Omit<LlmClientOptions, 'random' | 'clock'>> = {
  connectTimeoutMs: 10_000,
  keepAliveTimeoutMs: 4_000,
  firstTokenTimeoutMs: 60_000,
  idleTimeoutMs: 30_000,
  totalTimeoutMs: 300_000,
  maxRetries: 3,
  retryBaseMs: 500,
  retryMaxDelayMs: 8_000,
  retryAfterCapMs: 30_000,
  userAgent: USER_AGENT,
  referer: 'https://github.com/unfragile/passport-mcp',
  title: 'passport-mcp',
};

/** A one-piece JSON answer larger than this is refused (a streamed answer is bounded by max_tokens upstream). */
const MAX_JSON_ANSWER_CHARS = 16 * 1024 * 1024;
/**
 * The longest answer kept (characters; about what max_tokens' own limit of 131,072 tokens gives). An upstream that
 * ignores max_tokens can stream without end; the result carries the text twice (structured, and inside the JSON
 * text, escaped twice), and an MCP client reads a message of about 10 MiB at most (the SDK's). At the worst, a
 * character that JSON escapes to six bytes and then seven, this keeps the message near 7 MiB. Past it the answer
 * ends with finish_reason "length" and a warning.
 */
export const MAX_ANSWER_CHARS = 512 * 1024;
/** Retries after a first-token timeout (other retryable faults get maxRetries). */
const MAX_STALL_RETRIES = 1;
/** Error bodies are read up to this many characters. */
const MAX_ERROR_BODY_CHARS = 65_536;
/** After [DONE] the response should end at once; do not wait long for it. */
const DRAIN_MS = 1_000;

export interface ChatCall {
  target: Target;
  body: Record<string, unknown>;
  signal?: AbortSignal;
  /** Text as it arrives, already scrubbed of every secret. */
  onText?: (delta: string) => void;
  /** Security: the app's scrubber (AppContext.scrub); applied to text, errors and partial results. */
  scrub: Scrubber;
  images?: readonly { label: string; bytes?: number }[];
}

export interface ChatOutcome {
  text: string;
  finishReason: string | null;
  model?: string;
  upstreamProvider?: string;
  usage?: Record<string, unknown>;
  generationId?: string;
  ttftMs: number | null;
  durationMs: number;
  retries: number;
  warnings: string[];
}

/** A failed call. `partial` is set when text had already streamed (the call is then never retried). */
export class LlmCallError extends UpstreamError {
  readonly partial: ChatOutcome | undefined;
  readonly retries: number;
  readonly cancelled: boolean;
  constructor(message: string, opts: { status?: number; partial?: ChatOutcome; retries: number; cancelled?: boolean }) {
    super(message, { status: opts.status });
    this.partial = opts.partial;
    this.retries = opts.retries;
    this.cancelled = opts.cancelled ?? false;
  }
}

export interface LlmClient {
  chat(call: ChatCall): Promise<ChatOutcome>;
  close(): Promise<void>;
}

type AttemptKind = 'http' | 'inband' | 'network' | 'timeout' | 'truncated' | 'cancelled';

/** One attempt's failure, before retry bookkeeping. */
class AttemptError extends Error {
  constructor(
    message: string,
    readonly opts: { retryable: boolean; status?: number; retryAfterMs?: number; kind: AttemptKind },
  ) {
    super(message);
  }
}

class TimeoutReason extends Error {}

export function createLlmClient(options: LlmClientOptions = {}): LlmClient {
  const o = { ...DEFAULT_CLIENT_OPTIONS, ...options };
  const random = options.random ?? Math.random;
  const clock = options.clock ?? systemClock;
  const http = createHttpExchange(o);

  async function chat(call: ChatCall): Promise<ChatOutcome> {
    const { scrub } = call;
    const t0 = clock.now();
    const deadline = t0 + o.totalTimeoutMs;
    const bodyText = JSON.stringify(call.body);
    // Built on the first error only, and once per call: the request's texts in every form an echo can take.
    let hideEchoOnce: ((message: string) => string) | undefined;
    const hideEcho = (message: string) => (hideEchoOnce ??= echoRemover(call.body, bodyText))(message);
    const maxTokens = typeof call.body.max_tokens === 'number' ? call.body.max_tokens : 0;
    const { label } = call.target;

    // State shared across attempts; text only ever comes from one attempt (no retry after a token).
    const streamScrub = scrub.stream();
    const out: ChatOutcome = { text: '', finishReason: null, ttftMs: null, durationMs: 0, retries: 0, warnings: [] };
    let gotToken = false;
    let capped = false;
    const emit = (safe: string) => {
      if (!safe || capped) return;
      const room = MAX_ANSWER_CHARS - out.text.length;
      if (safe.length > room) {
        // Never cut between the two halves of a surrogate pair.
        const end = room > 0 && /[\ud800-\udbff]/.test(safe[room - 1]!) ? room - 1 : room;
        safe = safe.slice(0, Math.max(0, end));
        capped = true;
        out.finishReason = 'length';
        out.warnings.push(`${label} sent more than ${MAX_ANSWER_CHARS} characters (it did not stop at max_tokens); the answer is cut there`);
      }
      out.text += safe;
      if (safe) call.onText?.(safe);
    };
    const firstToken = () => {
      gotToken = true;
      out.ttftMs = clock.now() - t0;
    };
    const takeMeta = (m: StreamMeta) => {
      if (m.model !== undefined) out.model = m.model;
      if (m.upstreamProvider !== undefined) out.upstreamProvider = m.upstreamProvider;
      if (m.usage !== undefined) out.usage = m.usage;
      if (m.finishReason !== null && !capped) out.finishReason = m.finishReason;
      out.generationId ??= m.generationId;
    };

    /** A non-2xx answer: its sentence and retry hints. */
    const httpFailure = async (res: Exchange): Promise<AttemptError> => {
      const { text } = await readText(res.body, MAX_ERROR_BODY_CHARS);
      // The raw body, before it is cut and squeezed into a message: an echo of the request is found whole there.
      const c = classifyHttpError(res.status, res.headers, hideEcho(text), { target: call.target, maxTokens, images: call.images ?? [] });
      return new AttemptError(c.message, { retryable: c.retryable, status: res.status, retryAfterMs: c.retryAfterMs, kind: 'http' });
    };

    /** A server that ignored stream:true and answered with one JSON completion. */
    const readCompletion = async (res: Exchange): Promise<void> => {
      const { text, truncated } = await readText(res.body, MAX_JSON_ANSWER_CHARS);
      const doc = truncated ? undefined : decodeCompletion(text);
      if (!doc) throw new AttemptError(`${label} sent unreadable JSON`, { retryable: false, kind: 'truncated' });
      if (doc.error)
        throw new AttemptError(describeCompletionError(label, doc.error.parsed), {
          retryable: inBandRetryable(doc.error.code, doc.error.parsed),
          kind: 'inband',
        });
      if (doc.text) {
        firstToken();
        emit(streamScrub.push(doc.text));
      }
      takeMeta(doc.meta);
    };

    const attempt = async (): Promise<void> => {
      const ac = new AbortController();
      const onOuterAbort = () => ac.abort(new AttemptError('the client cancelled the call', { retryable: false, kind: 'cancelled' }));
      if (call.signal?.aborted) onOuterAbort();
      call.signal?.addEventListener('abort', onOuterAbort, { once: true });
      const timeout = (msg: string) => () => ac.abort(new TimeoutReason(msg));
      const remaining = Math.max(1, deadline - clock.now());
      const totalTimer = clock.timer(timeout(TIMEOUT_WORDING.total(o.totalTimeoutMs)), remaining);
      const ftMs = Math.min(o.firstTokenTimeoutMs, remaining);
      let tokenTimer: Timer = clock.timer(timeout(TIMEOUT_WORDING.firstToken(label, ftMs)), ftMs);
      let drainTimer: Timer | undefined;
      let done = false;
      try {
        let res: Exchange;
        try {
          res = await http.post(call.target, bodyText, ac.signal);
        } catch (err) {
          throw ac.signal.aborted ? ac.signal.reason : new AttemptError(describeNetwork(err, call.target), { retryable: true, kind: 'network' });
        }
        const genHeader = headerValue(res.headers, 'x-generation-id');
        if (genHeader) out.generationId = genHeader;
        if (res.status < 200 || res.status >= 300) throw await httpFailure(res);
        if ((headerValue(res.headers, 'content-type') ?? '').toLowerCase().includes('application/json')) return await readCompletion(res);

        const decoder = createStreamDecoder();
        const noteSkipped = () => {
          if (decoder.meta.skipped)
            out.warnings.push(`${label} sent ${decoder.meta.skipped} stream event(s) that were not JSON; they were skipped, so the answer may miss text`);
        };
        let pending: AttemptError | undefined;
        const handle = (events: ReturnType<typeof decoder.push>) => {
          for (const ev of events) {
            if (capped) break;
            if (ev.type === 'data') {
              // Data events, not comments, prove the generation lives: push the idle timer back.
              if (gotToken) tokenTimer.refresh();
            } else if (ev.type === 'text') {
              if (!gotToken) {
                firstToken();
                // From now on the timer measures idleness between data events.
                tokenTimer.clear();
                tokenTimer = clock.timer(timeout(TIMEOUT_WORDING.idle(label, o.idleTimeoutMs)), o.idleTimeoutMs);
              }
              emit(streamScrub.push(ev.text));
            } else if (ev.type === 'error') {
              const { code, parsed } = ev.error;
              pending = new AttemptError(describeStreamError(label, code, parsed), {
                retryable: !gotToken && inBandRetryable(code, parsed),
                status: typeof code === 'number' ? code : undefined,
                kind: 'inband',
              });
            } else {
              done = true;
            }
          }
          takeMeta(decoder.meta);
        };
        try {
          for await (const chunk of res.body) {
            if (done) continue; // drain so the socket can be reused
            handle(decoder.push(chunk));
            if (pending) {
              res.body.destroy();
              throw pending;
            }
            if (capped) {
              // Enough: close the stream rather than read what nobody will be shown.
              res.body.destroy();
              done = true;
              noteSkipped();
              return;
            }
            if (done) {
              tokenTimer.clear();
              drainTimer = clock.timer(() => res.body.destroy(), DRAIN_MS);
            }
          }
        } catch (err) {
          if (err === pending) throw err;
          if (ac.signal.aborted) throw ac.signal.reason;
          if (done) return;
          throw new AttemptError(`${describeNetwork(err, call.target)} while streaming`, { retryable: !gotToken, kind: 'network' });
        }
        if (!done) {
          handle(decoder.end());
          if (pending) throw pending;
        }
        noteSkipped();
        if (out.finishReason === 'error') {
          throw new AttemptError(`${label} ended the generation with finish_reason "error"`, { retryable: !gotToken, kind: 'inband' });
        }
        if (!done && out.finishReason === null) {
          throw new AttemptError(`${label} closed the stream before it finished (no [DONE] and no finish_reason): the answer is truncated`, {
            retryable: !gotToken,
            kind: 'truncated',
          });
        }
      } catch (err) {
        if (err instanceof AttemptError) throw err;
        if (err instanceof TimeoutReason) throw new AttemptError(err.message, { retryable: !gotToken, kind: 'timeout' });
        if (ac.signal.aborted) {
          const r: unknown = ac.signal.reason;
          if (r instanceof AttemptError) throw r;
          if (r instanceof TimeoutReason) throw new AttemptError(r.message, { retryable: !gotToken, kind: 'timeout' });
        }
        throw new AttemptError(describeNetwork(err, call.target), { retryable: !gotToken, kind: 'network' });
      } finally {
        totalTimer.clear();
        tokenTimer.clear();
        drainTimer?.clear();
        call.signal?.removeEventListener('abort', onOuterAbort);
      }
    };

    const finish = () => {
      emit(streamScrub.end());
      out.durationMs = clock.now() - t0;
      return out;
    };
    const cancelled = () => new LlmCallError(CANCELLED_MESSAGE, { retries: out.retries, cancelled: true, partial: gotToken ? finish() : undefined });

    let stalls = 0;
    for (let n = 0; ; n++) {
      try {
        await attempt();
        return finish();
      } catch (e) {
        const err = e instanceof AttemptError ? e : new AttemptError(String(e), { retryable: false, kind: 'network' });
        if (err.opts.kind === 'cancelled' || call.signal?.aborted) throw cancelled();
        // A provider that sent no token within the first-token timeout is tried once more, not until the total
        // budget runs out: four silent minutes outlast the caller, and a second silence is not a passing fault.
        const stalled = err.opts.kind === 'timeout' && !gotToken && ++stalls > MAX_STALL_RETRIES;
        const decision = decideRetry(n, { retryable: err.opts.retryable && !gotToken && !stalled, retryAfterMs: err.opts.retryAfterMs }, o, {
          now: clock.now(),
          deadline,
          random,
        });
        if (!decision.retry) {
          const msg = finalWording(err.message, { retries: out.retries, network: err.opts.kind === 'network', streamed: gotToken, extra: decision.extra });
          throw new LlmCallError(scrub(hideEcho(msg)), {
            status: err.opts.status,
            retries: out.retries,
            partial: gotToken ? finish() : undefined,
            cancelled: false,
          });
        }
        try {
          await clock.sleep(decision.delayMs, call.signal);
        } catch {
          throw cancelled();
        }
        out.retries++;
      }
    }
  }

  return { chat, close: () => http.close() };
}

/** Shortest request text worth hiding in an error (shorter strings are ordinary words). */
const MIN_ECHO_CHARS = 12;
const ECHO = '[your request]';

/**
 * A remover of the request's own text from error messages: upstreams echo the body they got (metadata.raw, HTML
 * error pages), and the caller's prompt, conversation or image data has no place in an error (UPSTREAMS.md
 * section 4). `bodyText` is the body as sent.
 */
function echoRemover(body: Record<string, unknown>, bodyText: string): (message: string) => string {
  const texts = new Set<string>();
  const collect = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.length >= MIN_ECHO_CHARS) texts.add(v);
    } else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  collect(body.messages);
  // Each text as sent, as JSON escapes it, and with its whitespace squeezed as error messages are; longest first,
  // so a message's text goes before a shorter one inside it.
  const squeeze = (x: string) => x.replace(/\s+/g, ' ');
  const forms = new Set<string>();
  for (const t of texts) for (const f of [t, JSON.stringify(t).slice(1, -1)]) forms.add(f).add(squeeze(f));
  const sorted = [...forms].sort((a, b) => b.length - a.length);
  return (message) => {
    let out = message;
    if (out.includes(bodyText)) out = out.split(bodyText).join(ECHO);
    for (const f of sorted) if (out.includes(f)) out = out.split(f).join(ECHO);
    // A message cut short ("...my private diary entry of 3 May: I met my doc…") holds only the start of a text: a
    // run of ECHO_PREFIX_CHARS or more that begins a text goes too, as far as it matches.
    for (const f of sorted) {
      if (f.length < ECHO_PREFIX_CHARS) continue;
      const head = f.slice(0, ECHO_PREFIX_CHARS);
      for (let p = out.indexOf(head); p >= 0; p = out.indexOf(head)) {
        let n = ECHO_PREFIX_CHARS;
        while (n < f.length && out[p + n] === f[n]) n++;
        out = out.slice(0, p) + ECHO + out.slice(p + n);
      }
    }
    return out;
  };
}

/** The start of a request text that counts as an echo of it in a shortened error message. */
const ECHO_PREFIX_CHARS = 24;
