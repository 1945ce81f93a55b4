// Strict JSON reading for signed documents. JSON.parse silently keeps the last of duplicated keys and rounds
// integers beyond 2^53, so the bytes a signer canonicalised could differ from what we would verify. This module
// scans the raw text once (no allocation per value) to refuse those inputs, bound nesting depth, and only then
// hands it to JSON.parse.

import { setImmediate as yieldToLoop } from 'node:timers/promises';

export const MAX_DOCUMENT_BYTES = 1024 * 1024;
export const MAX_DEPTH = 64;

export class StrictJsonError extends Error {}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The text of a JSON file or body, which must be UTF-8 (RFC 8259). Invalid bytes are refused rather than read as
 * U+FFFD: two different files would otherwise parse to the same passport, and one of them would verify as signed
 * though its bytes are not what was signed. A leading byte-order mark (Windows editors write one) is dropped.
 */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return UTF8.decode(bytes);
  } catch {
    throw new StrictJsonError(`not valid UTF-8 (at byte ${firstInvalidUtf8(bytes)}); save the file as UTF-8`);
  }
}

/** Offset of the first byte that does not start or continue a well-formed UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    const n = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    if (n > 0 && !decodes(b.subarray(i, i + n + 1))) return i;
    i += n + 1;
  }
  return i;
}

function decodes(seq: Uint8Array): boolean {
  try {
    UTF8.decode(seq);
    return true;
  } catch {
    return false;
  }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Checks `text` for duplicate object keys, integers outside the safe range and excessive nesting, then
 * parses it (lone surrogates are refused later, by the canonicaliser). Throws StrictJsonError with a position on the first problem.
 */
export function parseStrictJson(text: string, opts: { maxBytes?: number; maxDepth?: number } = {}): unknown {
  const maxBytes = opts.maxBytes ?? MAX_DOCUMENT_BYTES;
  const maxDepth = opts.maxDepth ?? MAX_DEPTH;
  checkSize(text, maxBytes);
  for (const _ of scan(text, maxDepth));
  return parse(text);
}

/**
 * parseStrictJson for large documents (an array file of thousands of passports): the scan gives the event loop a
 * turn every SCAN_SLICE characters, so a server reading 60 MB keeps answering pings and signals; only JSON.parse
 * itself is one step.
 */
export async function parseStrictJsonAsync(text: string, opts: { maxBytes?: number; maxDepth?: number } = {}): Promise<unknown> {
  checkSize(text, opts.maxBytes ?? MAX_DOCUMENT_BYTES);
  for (const _ of scan(text, opts.maxDepth ?? MAX_DEPTH)) await yieldToLoop();
  return parse(text);
}

function checkSize(text: string, maxBytes: number): void {
  // Security: cap before any work; length in UTF-16 units is a lower bound of the UTF-8 size.
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new StrictJsonError(`document is larger than ${maxBytes} bytes`);
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new StrictJsonError(`not valid JSON: ${(err as Error).message}`);
  }
}

/** Characters scanned between two yields of `scan` (a few milliseconds of work). */
const SCAN_SLICE = 1 << 20;

/** Scans `s`, yielding every SCAN_SLICE characters (a caller may give the event loop a turn there). */
function* scan(s: string, maxDepth: number): Generator<void, void, void> {
  // Stack of key sets, one per open container (null for arrays).
  const stack: (Set<string> | null)[] = [];
  let expectKey = false;
  let i = 0;
  let slice = SCAN_SLICE;
  const n = s.length;
  while (i < n) {
    if (i >= slice) {
      slice = i + SCAN_SLICE;
      yield;
    }
    const c = s.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i + 1;
      i = start;
      let hasEscape = false;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          hasEscape = true;
          i += 2;
          continue;
        }
        if (d === 0x22) break;
        i++;
      }
      if (i >= n) return; // unterminated: JSON.parse reports it
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const raw = s.slice(start, i);
        let key = raw;
        if (hasEscape) {
          try {
            key = JSON.parse(`"${raw}"`) as string;
          } catch {
            return; // malformed escape: JSON.parse reports it
          }
        }
        if (top.has(key)) throw new StrictJsonError(`duplicate key "${truncate(key)}" at offset ${start - 1}`);
        top.add(key);
        expectKey = false;
      }
      i++;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) throw new StrictJsonError(`nesting deeper than ${maxDepth} levels`);
      stack.push(c === 0x7b ? new Set() : null);
      expectKey = c === 0x7b;
      i++;
      continue;
    }
    if (c === 0x7d || c === 0x5d) {
      stack.pop();
      expectKey = false;
      i++;
      continue;
    }
    if (c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] != null;
      i++;
      continue;
    }
    if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      let isInt = true;
      i++;
      while (i < n) {
        const d = s.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) {
          i++;
          continue;
        }
        if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) {
          isInt = false;
          i++;
          continue;
        }
        break;
      }
      // Only long literals can exceed 2^53; checking the length first keeps the common path cheap.
      if (isInt && i - start > 15) {
        const v = Number(s.slice(start, i));
        if (!Number.isSafeInteger(v) || Math.abs(v) > MAX_SAFE) {
          throw new StrictJsonError(`integer ${truncate(s.slice(start, i))} is beyond 2^53 and cannot be verified exactly`);
        }
      }
      continue;
    }
    i++;
  }
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}
