// Work shared by concurrent callers (one registry request per intent or slug): each caller's cancel is its own.
import { describe, expect, it } from 'vitest';
import { createSharedWork } from '../../src/core/shared-work.js';
import { PassportStore } from '../../src/core/passport/store.js';

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('shared work', () => {
  it("one caller's cancel ends its own wait, not the work another caller still waits for", async () => {
    const shared = createSharedWork<string, string>();
    const work = deferred<string>();
    let starts = 0;
    let workSignal: AbortSignal | undefined;
    const start = (s: AbortSignal) => {
      starts++;
      workSignal = s;
      return work.promise;
    };
    const a = new AbortController();
    const b = new AbortController();
    const pa = shared('k', start, a.signal, () => 'cancelled');
    const pb = shared('k', start, b.signal, () => 'cancelled');
    expect(starts).toBe(1);
    a.abort();
    expect(await pa).toBe('cancelled');
    expect(workSignal!.aborted).toBe(false);
    work.resolve('answer');
    expect(await pb).toBe('answer');
  });

  it('the work is aborted once every caller has cancelled, and a caller without a signal holds it to the end', async () => {
    const shared = createSharedWork<string, string>();
    const signals: AbortSignal[] = [];
    const start = (s: AbortSignal) => {
      signals.push(s);
      return new Promise<string>(() => undefined);
    };
    const a = new AbortController();
    const b = new AbortController();
    const pa = shared('k', start, a.signal, () => 'cancelled');
    const pb = shared('k', start, b.signal, () => 'cancelled');
    a.abort();
    b.abort();
    expect([await pa, await pb]).toEqual(['cancelled', 'cancelled']);
    expect(signals[0]!.aborted).toBe(true);
    // A new key, held by a caller that cannot cancel: another caller's cancel does not abort it.
    const c = new AbortController();
    void shared('held', start, undefined, () => 'cancelled');
    const pc = shared('held', start, c.signal, () => 'cancelled');
    c.abort();
    expect(await pc).toBe('cancelled');
    expect(signals[1]!.aborted).toBe(false);
  });

  it('the passport store: two concurrent fetches of a slug, the first cancelled, the second still gets the passport', async () => {
    const arrived = deferred<void>();
    let fetches = 0;
    const store = new PassportStore(async (slug, signal) => {
      fetches++;
      await arrived.promise;
      if (signal?.aborted) throw new Error('registry request cancelled');
      return { slug } as never;
    });
    const a = new AbortController();
    const first = store.fetch('some-slug', a.signal);
    const second = store.fetch('some-slug', new AbortController().signal);
    a.abort();
    await expect(first).rejects.toThrow(/cancelled/);
    arrived.resolve();
    expect(await second).toMatchObject({ slug: 'some-slug' });
    expect(fetches).toBe(1);
  });
});
