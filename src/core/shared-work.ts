// Work that concurrent callers share (one registry request for the same intent or slug), with cancellation that
// belongs to each caller: a caller that cancels stops waiting, and the shared work is aborted only when every caller
// has cancelled. Sharing the first caller's own signal would let one client cancel another's request.

/** Runs `start` once per key among concurrent callers; see the module comment. */
export type SharedWork<K, T> = (key: K, start: (signal: AbortSignal) => Promise<T>, signal: AbortSignal | undefined, cancelled: () => T) => Promise<T>;

export function createSharedWork<K, T>(): SharedWork<K, T> {
  const runs = new Map<K, { promise: Promise<T>; holders: number; ac: AbortController }>();
  return (key, start, signal, cancelled) => {
    let run = runs.get(key);
    if (signal?.aborted) return settle(cancelled);
    if (!run) {
      const ac = new AbortController();
      const r = { ac, holders: 0, promise: Promise.resolve() as unknown as Promise<T> };
      r.promise = start(ac.signal).finally(() => {
        if (runs.get(key) === r) runs.delete(key);
      });
      runs.set(key, r);
      run = r;
    }
    const r = run;
    // A caller that cannot cancel holds the work to its end.
    if (!signal) {
      r.holders = Number.POSITIVE_INFINITY;
      return r.promise;
    }
    r.holders++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        if (--r.holders <= 0) r.ac.abort(signal.reason);
        settle(cancelled).then(resolve, reject);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      r.promise.then(
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
