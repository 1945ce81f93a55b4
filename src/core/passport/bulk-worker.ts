// Worker thread body for verifyMany: only the Ed25519 checks. The keys were validated on the main thread;
// makeTrustedKey checks them again here (cheap, once) and builds Node's key objects.
import { verify } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerChunk, WorkerInit, WorkerReply } from './bulk.js';
import { makeTrustedKey } from './trust.js';

const keys = (workerData as WorkerInit).keys.map((k) => makeTrustedKey(k.issuer, k.raw).keyObject);
parentPort?.on('message', (chunk: WorkerChunk) => {
  const matches = chunk.items.map((item) => item.keys.findIndex((k) => verify(null, item.bytes, keys[k]!, item.sig)));
  parentPort?.postMessage({ id: chunk.id, matches } satisfies WorkerReply);
});
