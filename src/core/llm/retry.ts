// Time and retries for the LLM client: a Clock (injectable, so tests drive Retry-After waits and timeouts without
// waiting) and the retry policy, a pure decision per failed attempt: retry after how long, or give up and why.

/** A timer that can be pushed back (idle timeouts) or cancelled. */
export interface Timer {
  refresh(): void;
  clear(): void;
}

export interface Clock {
  /** Milliseconds, monotonic. */
  now(): number;
  timer(fn: () => void, ms: number): Timer;
  /** Resolves after ms; rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  timer(fn, ms) {
    const t = setTimeout(fn, ms);
    return { refresh: () => void t.refresh(), clear: () => clearTimeout(t) };
  },
  sleep(ms, signal) {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = () => {
        clearTimeout(t);
        reject(signal!.reason);
      };
      const t = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

export interface RetryOptions {
  maxRetries: number;
  retryBaseMs: number;
  retryMaxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the call fails and says when to retry. */
  retryAfterCapMs: number;
}

export interface FailedAttempt {
  retryable: boolean;
  /** What the upstream asked for (Retry-After, or availability.retry_after in the body). */
  retryAfterMs?: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; extra: string };

/**
 * After failed attempt number `n` (0-based): wait and retry, or stop. Retry-After is honoured up to the cap;
 * otherwise capped exponential backoff with full jitter. Never waits past the deadline.
 */
export function decideRetry(n: number, f: FailedAttempt, o: RetryOptions, t: { now: number; deadline: number; random: () => number }): RetryDecision {
  if (!f.retryable) return { retry: false, extra: '' };
  if (n >= o.maxRetries) return { retry: false, extra: ' Try again later.' };
  let delayMs: number;
  if (f.retryAfterMs !== undefined) {
    if (f.retryAfterMs > o.retryAfterCapMs)
      return { retry: false, extra: ` The upstream asked to wait ${Math.ceil(f.retryAfterMs / 1000)} s; try again then.` };
    delayMs = f.retryAfterMs;
  } else {
    delayMs = t.random() * Math.min(o.retryMaxDelayMs, o.retryBaseMs * 2 ** n);
  }
  if (t.now + delayMs >= t.deadline) return { retry: false, extra: ' The time budget for the call ran out.' };
  return { retry: true, delayMs };
}
