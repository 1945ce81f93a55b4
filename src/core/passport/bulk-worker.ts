// Worker thread body for verifyMany: only the Ed25519 checks, on bytes the calling thread wrote into shared
// memory. The keys were validated on the calling thread; makeTrustedKey checks them again here (cheap, once) and
// builds Node's key objects. A chunk the calling thread has already claimed (it checks leftovers itself once it
// has nothing else to do) is skipped.
import { parentPort, workerData } from 'node:worker_threads';
import { checkChunk, claim, type Chunk, type WorkerInit, type WorkerReply } from './bulk-chunk.js';
import { makeTrustedKey } from './trust.js';

const init = workerData as WorkerInit;
const keysByIssuer = init.issuers.map(({ issuer, keys }) => keys.map((raw) => makeTrustedKey(issuer, raw).keyObject));
const claims = new Int32Array(init.claims);
parentPort?.on('message', (chunk: Chunk) => {
  if (!claim(claims, chunk.id)) return;
  const matches = checkChunk(chunk, keysByIssuer);
  parentPort?.postMessage({ id: chunk.id, matches } satisfies WorkerReply, [matches.buffer as ArrayBuffer]);
});
