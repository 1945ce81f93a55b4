// Worker thread body for verifyMany: rebuilds the trust store from raw keys, then verifies each chunk it is sent.
// It imports no schema (zod), so it starts in a few milliseconds.
import { parentPort, workerData } from 'node:worker_threads';
import type { WorkerChunk, WorkerInit } from './bulk.js';
import { createTrustStore, makeTrustedKey } from './trust.js';
import { verifyPassportObject } from './verify.js';

const init = workerData as WorkerInit;
const trust = createTrustStore(init.keys.map((k) => makeTrustedKey(k.issuer, k.raw)));
const now = new Date(init.now);
parentPort?.on('message', (chunk: WorkerChunk) => {
  parentPort?.postMessage({ id: chunk.id, results: chunk.docs.map((text) => verifyPassportObject(JSON.parse(text), { trust, now })) });
});
