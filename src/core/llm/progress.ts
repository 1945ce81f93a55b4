// Turns streamed text into progress notifications: the first piece goes out at once, later ones are coalesced
// (~50 ms) so a fast model does not flood the client; a keep-alive goes out when nothing arrived for a while.
// `progress` counts characters sent (plus one per keep-alive), so it strictly increases; the messages,
// concatenated, are exactly the text. Transport-agnostic: the MCP tool supplies `send`.

export type ProgressSend = (progress: number, message: string | undefined) => Promise<void>;

export interface ProgressRelay {
  push(delta: string): void;
  /** Sends what is pending and waits until every send has been handed over. (That the client reads the last one
   * before the result is the MCP adapter's job: server.ts, progressBarrier.) */
  finish(): Promise<void>;
  /** Stops timers without sending (cancellation). */
  close(): void;
}

export function createProgressRelay(send: ProgressSend, opts: { intervalMs?: number; keepAliveMs?: number } = {}): ProgressRelay {
  const intervalMs = opts.intervalMs ?? 50;
  const keepAliveMs = opts.keepAliveMs ?? 10_000;
  let pending = '';
  let progress = 0;
  let lastSentAt = 0;
  let sent = false;
  let timer: NodeJS.Timeout | undefined;
  let last: Promise<void> = Promise.resolve();
  let closed = false;

  const emit = (message: string | undefined) => {
    progress += message === undefined ? 1 : message.length;
    lastSentAt = performance.now();
    sent = true;
    last = send(progress, message).catch(() => undefined);
  };
  const flush = () => {
    timer = undefined;
    if (!pending || closed) return;
    const m = pending;
    pending = '';
    emit(m);
  };
  // Several MCP clients reset their request timeout on progress; keep long silent waits (retries, a slow
  // first token) alive.
  const keepAlive = setInterval(() => {
    if (!closed && !pending && performance.now() - lastSentAt >= keepAliveMs) emit(undefined);
  }, keepAliveMs);
  keepAlive.unref();

  return {
    push(delta) {
      if (!delta || closed) return;
      pending += delta;
      if (timer) return;
      const wait = lastSentAt + intervalMs - performance.now();
      if (!sent || wait <= 0) flush();
      else timer = setTimeout(flush, wait);
    },
    async finish() {
      if (timer) clearTimeout(timer);
      clearInterval(keepAlive);
      flush();
      closed = true;
      await last;
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      clearInterval(keepAlive);
    },
  };
}
