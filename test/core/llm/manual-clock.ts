// A clock the test drives (src/core/llm/retry.ts Clock): time moves only when the test advances it, so Retry-After
// waits and timeouts are exact and cost no wall time. `autoSleep` makes every sleep end at once (time jumps by
// the wait), recording how long each was.
import type { Clock, Timer } from '../../../src/core/llm/retry.js';

interface Pending {
  at: number;
  ms: number;
  fn: () => void;
  active: boolean;
}

export class ManualClock implements Clock {
  private t = 1_000;
  private pending: Pending[] = [];
  /** Every sleep asked for, in ms. */
  readonly slept: number[] = [];

  constructor(private readonly opts: { autoSleep?: boolean } = {}) {}

  now(): number {
    return this.t;
  }

  timer(fn: () => void, ms: number): Timer {
    const p: Pending = { at: this.t + ms, ms, fn, active: true };
    this.pending.push(p);
    return {
      refresh: () => void (p.at = this.t + p.ms),
      clear: () => void (p.active = false),
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.slept.push(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const done = this.timer(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        done.clear();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (this.opts.autoSleep) queueMicrotask(() => this.advance(ms));
    });
  }

  /** Moves time on, firing every live timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.pending.filter((p) => p.active && p.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.t = Math.max(this.t, due.at);
      due.active = false;
      due.fn();
    }
    this.t = end;
    this.pending = this.pending.filter((p) => p.active);
  }

  /** Live timers (a test can wait for the client to arm one). */
  armed(): number[] {
    return this.pending.filter((p) => p.active).map((p) => p.ms);
  }
}
