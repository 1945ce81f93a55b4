// Work that concurrent callers share (one registry request for the same intent or slug), with cancellation that
// belongs to each caller: a caller that cancels stops waiting, and the shared work is aborted only when every caller
// has cancelled. Sharing the first caller's own signal would let one client cancel another's request.

/** Runs `start` once per key among concurrent callers; see the module comment. */
export type SharedWork<K, T> = (key: K, start: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined, cancelled: () => T) => Promise<T>;

export function createSharedWork<K, T>(): SharedWork<K, T> {
  const runs = new Map<K, { promise: Promise<T>; holders: number; ac: AbortController }>();
  return (key, start, signal, cancelled) => {
    if (signal?.aborted) return settle(cancelled);
    let r = runs.get(key);
    if (!r) {
      const ac = new AbortController();
      const promise: Promise<T> = start(ac.signal).finally(() => {
        if (runs.get(key)?.promise === promise) runs.delete(key);
      });
      r = { ac, holders: 0, promise };
      runs.set(key, r);
    }
    const run = r;
    // A caller that cannot cancel holds the work to its end.
    if (!signal) {
      run.holders = Number.POSITIVE_INFINITY;
      return run.promise;
    }
    run.holders++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (--run.holders <= 0) run.ac.abort(signal.reason);
        settle(cancelled).then(resolve, reject);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      run.promise.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  };
}

function settle<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (err) {
    return Promise.reject(err);
  }
}
