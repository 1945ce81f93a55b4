// Bulk verification across cores. Per 16 KB passport, RFC 8785 canonicalisation costs ~0.05 ms and Ed25519
// ~0.075 ms, so one thread does 10,000 in ~1.3 s.
//
// Only the calling thread has the passports as objects, and handing objects (or strings) to a worker costs as
// much as verifying them, so this thread does the key-free checks and the canonical JSON, and encodes it straight
// into shared memory. Workers read the bytes in place (no copy) and run the Ed25519 checks. Once this thread has
// canonicalised everything, it stops waiting and checks the chunks no worker has started, from the newest back:
// each chunk is claimed atomically by whichever thread gets to it first. Small batches, and machines with one
// core, stay on this thread. Figures and the measurements behind these choices: BENCHMARKS.md.
import type { KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { checkChunk, claim, SIG_BYTES, type Chunk, type WorkerInit, type WorkerReply } from './bulk-chunk.js';
import type { TrustStore } from './trust.js';
import { finishVerification, matchUnfragileScope, prepareVerification, type PendingCheck, type VerifyResult } from './verify.js';

export const MIN_PARALLEL_BATCH = 1_000;
/** Items per chunk, and the shared buffer each chunk starts with (a bigger document gets a buffer of its own). */
const CHUNK_ITEMS = 256;
const CHUNK_BYTES = 4 * 1024 * 1024;

export interface BulkOptions {
  /** Worker threads; default: one per core beyond this thread's, at most 4 (none on a single core). */
  threads?: number;
  now?: Date;
  /** Let this thread check chunks no worker has started (default true; false leaves every check to workers). */
  steal?: boolean;
  /** Called once at the end with how the chunks were shared, for benchmarks and tests. */
  onStats?: (s: BulkStats) => void;
  /** The worker's module (tests point it at a failing one). */
  workerUrl?: URL;
}

export interface BulkStats {
  threads: number;
  chunks: number;
  /** Chunks this thread checked itself. */
  checkedHere: number;
  /** Why a worker failed, if one did; its chunks were then checked on this thread. */
  workerError?: string;
}

export async function verifyMany(docs: readonly unknown[], trust: TrustStore, opts: BulkOptions = {}): Promise<VerifyResult[]> {
  const now = opts.now ?? new Date();
  const cores = availableParallelism();
  const threads = cores < 2 ? 0 : Math.max(1, Math.min(opts.threads ?? cores - 1, 4));
  const results: VerifyResult[] = new Array(docs.length);
  if (threads === 0 || docs.length < MIN_PARALLEL_BATCH) {
    docs.forEach((d, i) => {
      const p = prepareVerification(d, { trust, now });
      results[i] = 'done' in p ? p.done : finishVerification(p.pending, matchUnfragileScope(p.pending, p.unfragileJson));
    });
    opts.onStats?.({ threads: 0, chunks: 0, checkedHere: 0 });
    return results;
  }

  const issuers: WorkerInit['issuers'] = [];
  const localKeys: KeyObject[][] = [];
  const issuerIndex = new Map<string, number>();
  for (const issuer of trust.issuers()) {
    issuerIndex.set(issuer, issuers.length);
    const keys = trust.keysFor(issuer);
    issuers.push({ issuer, keys: keys.map((k) => Buffer.from(k.raw).toString('base64')) });
    localKeys.push(keys.map((k) => k.keyObject));
  }
  // Every chunk holds at least one item, so there are at most docs.length chunks.
  const claimsBuffer = new SharedArrayBuffer(4 * docs.length);
  const claims = new Int32Array(claimsBuffer);
  // execArgv: []: the workers run plain module code and must not inherit the host's flags (--input-type,
  // loaders, inspectors), some of which make a worker fail to start.
  const workers: Worker[] = [];
  let workerError: string | undefined;
  for (let t = 0; t < threads; t++) {
    try {
      workers.push(
        new Worker(opts.workerUrl ?? new URL('./bulk-worker.js', import.meta.url), {
          workerData: { issuers, claims: claimsBuffer } satisfies WorkerInit,
          execArgv: [],
        }),
      );
    } catch (err) {
      workerError ??= (err as Error).message; // no worker: this thread checks those chunks itself
    }
  }
  // `chunk` is dropped (with its shared buffer) once the chunk's verdicts are in: undefined means done.
  const chunks: { chunk: Chunk | undefined; items: { index: number; check: PendingCheck }[]; settle: () => void }[] = [];
  const settled: Promise<void>[] = [];
  const finish = (id: number, matches: Int32Array) => {
    const c = chunks[id]!;
    if (!c.chunk) return;
    c.chunk = undefined;
    c.items.forEach(({ index, check }, j) => {
      results[index] = finishVerification(check, matches[j]!);
    });
    c.settle();
  };
  let checkedHere = 0;
  const checkHere = (chunk: Chunk) => {
    finish(chunk.id, checkChunk(chunk, localKeys));
    checkedHere++;
  };
  // A worker that fails (cannot start, crashes, is killed) loses nothing: this thread checks every chunk not yet
  // done, including any the worker had claimed. A chunk checked twice is harmless; `finish` keeps the first.
  let ending = false;
  const recover = (why: string) => {
    if (ending) return; // terminate() below ends every worker with code 1
    workerError ??= why;
    for (const { chunk } of chunks) if (chunk) checkHere(chunk);
  };
  try {
    for (const w of workers) {
      w.once('error', (err) => recover(err instanceof Error ? err.message : String(err)));
      w.once('exit', (code) => code !== 0 && recover(`a verification worker exited with code ${code}`));
    }
    for (const w of workers) w.on('message', (r: WorkerReply) => finish(r.id, r.matches));

    // TextEncoder rather than Buffer#write: on a SharedArrayBuffer, Buffer#write takes a slow path (measured
    // ~0.1 ms per 16 KB passport against ~0.006 ms).
    const encoder = new TextEncoder();
    let buf: Uint8Array | undefined;
    let pos = 0;
    let meta: number[] = [];
    let items: { index: number; check: PendingCheck }[] = [];
    const flush = () => {
      if (!items.length || !buf) return;
      const id = chunks.length;
      const chunk: Chunk = { id, buf: buf.buffer as unknown as SharedArrayBuffer, meta: Int32Array.from(meta) };
      settled.push(new Promise<void>((settle) => chunks.push({ chunk, items, settle })));
      workers[id % workers.length]?.postMessage(chunk);
      buf = undefined;
      meta = [];
      items = [];
    };
    docs.forEach((d, i) => {
      const p = prepareVerification(d, { trust, now });
      if ('done' in p) {
        results[i] = p.done;
        return;
      }
      const {
        unfragileJson,
        pending: { sig, issuer },
      } = p;
      // A UTF-16 code unit takes at most 3 bytes of UTF-8.
      const need = SIG_BYTES + 3 * unfragileJson.length;
      if (buf && pos + need > buf.length) flush();
      if (!buf) {
        buf = new Uint8Array(new SharedArrayBuffer(Math.max(CHUNK_BYTES, need)));
        pos = 0;
      }
      buf.set(sig, pos);
      const length = encoder.encodeInto(unfragileJson, buf.subarray(pos + SIG_BYTES)).written;
      meta.push(pos, length, issuerIndex.get(issuer)!);
      pos += SIG_BYTES + length;
      items.push({ index: i, check: p.pending });
      if (items.length === CHUNK_ITEMS) flush();
    });
    flush();
    if (opts.steal !== false || workers.length === 0) {
      for (let id = chunks.length - 1; id >= 0; id--) {
        const { chunk } = chunks[id]!;
        if (chunk && claim(claims, id)) checkHere(chunk); // else done, or a worker has it
      }
    }
    await Promise.all(settled);
  } finally {
    ending = true;
    await Promise.all(workers.map((w) => w.terminate()));
  }
  opts.onStats?.({ threads, chunks: chunks.length, checkedHere, ...(workerError ? { workerError } : {}) });
  return results;
}
