// The unit of work that bulk verification shares between threads: a chunk of signature checks whose bytes live in
// shared memory, and the one function that runs it, on a worker or on the calling thread.
import { verify, type KeyObject } from 'node:crypto';

/** Bytes of a signature; each item's signature sits just before its message in the chunk's buffer. */
export const SIG_BYTES = 64;
/** Ints per item in `meta`: start of the signature, length of the message, index of the issuer. */
export const META_INTS = 3;

export interface Chunk {
  id: number;
  /** Signatures and canonical `unfragile` bytes, written by the calling thread, read in place by the checker. */
  buf: SharedArrayBuffer;
  meta: Int32Array;
}

/** Sent to a worker once: each issuer's trusted keys (raw, base64) in the trust store's order, and the claims. */
export interface WorkerInit {
  issuers: { issuer: string; keys: string[] }[];
  /** One Int32 per chunk id: 0 until a thread claims the chunk with compareExchange. Whoever claims it checks it. */
  claims: SharedArrayBuffer;
}

export interface WorkerReply {
  id: number;
  /** Per item: the position, among its issuer's keys, of the key that matched, or -1. */
  matches: Int32Array;
}

/** Claims chunk `id` for the calling thread; false if another thread has it already. */
export function claim(claims: Int32Array, id: number): boolean {
  return Atomics.compareExchange(claims, id, 0, 1) === 0;
}

export function checkChunk(chunk: Chunk, keysByIssuer: readonly (readonly KeyObject[])[]): Int32Array {
  const n = chunk.meta.length / META_INTS;
  const matches = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const start = chunk.meta[i * META_INTS]!;
    const length = chunk.meta[i * META_INTS + 1]!;
    const keys = keysByIssuer[chunk.meta[i * META_INTS + 2]!]!;
    const sig = new Uint8Array(chunk.buf, start, SIG_BYTES);
    const msg = new Uint8Array(chunk.buf, start + SIG_BYTES, length);
    let match = -1;
    for (let k = 0; k < keys.length; k++) {
      if (verify(null, msg, keys[k]!, sig)) {
        match = k;
        break;
      }
    }
    matches[i] = match;
  }
  return matches;
}
