// The word-vector table that intent search reads (src/core/search/word-vectors.ts), for the scripts that build one
// (distil-word-vectors.mjs) or build another to compare (measure-sentence-encoder.mjs), and the temporary install
// both use to read a vector source that must never become a dependency.
//
// File layout (little-endian): "PMWV" u8 version=1, u8 dims, u16 0, u32 count, u32 wordBytes,
// wordBytes of '\n'-joined UTF-8 words, then count*dims int8.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** The table for `words` (row = frequency rank) and one vector per word; each row scaled to int8 (cosine needs only direction). */
export function encodeWordTable(words, rows) {
  const dims = rows[0].length;
  const matrix = new Int8Array(words.length * dims);
  rows.forEach((v, r) => {
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
  return Buffer.concat([head, wordBytes, Buffer.from(matrix.buffer)]);
}

/** The words of a table, in row order. */
export function tableWords(buf) {
  return buf
    .subarray(16, 16 + buf.readUInt32LE(12))
    .toString('utf8')
    .split('\n');
}

/** Installs npm packages into a new temporary directory (the caller removes it) and returns the directory. */
export function installTemporarily(packages, prefix) {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', ...packages], {
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  return dir;
}
