// Images for vision calls: local files (only inside the allowed roots), inline base64, or https URLs.
// Bytes are sniffed (PNG, JPEG, GIF, WebP), capped, and sent as data: URLs. Every refusal names the image and
// happens before any upstream request.
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { UserInputError } from '../errors.js';
import { isInside, readRegularFile, SafeReadError } from '../safe-file.js';
import { IMAGE_LIMITS } from './contract.js';
import type { ImageInput, PreparedImage } from './types.js';

export type ImageLimits = typeof IMAGE_LIMITS;

export const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;
export type ImageMime = (typeof IMAGE_MIME_TYPES)[number];

/** The format the bytes really are, from their magic numbers; undefined when not PNG, JPEG, GIF or WebP. */
export function sniffImage(b: Uint8Array): ImageMime | undefined {
  const at = (i: number, bytes: number[]) => bytes.every((x, j) => b[i + j] === x);
  if (at(0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (at(0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (at(0, [0x47, 0x49, 0x46, 0x38]) && (b[4] === 0x37 || b[4] === 0x39) && b[5] === 0x61) return 'image/gif';
  if (at(0, [0x52, 0x49, 0x46, 0x46]) && at(8, [0x57, 0x45, 0x42, 0x50])) return 'image/webp';
  return undefined;
}

const NAMES: Record<ImageMime, string> = { 'image/png': 'PNG', 'image/jpeg': 'JPEG', 'image/gif': 'GIF', 'image/webp': 'WebP' };

function normaliseMime(m: string): string {
  const t = m.trim().toLowerCase();
  return t === 'image/jpg' || t === 'image/pjpeg' ? 'image/jpeg' : t;
}

export interface ImageOptions {
  /** Allowed roots (config roots + the client's MCP roots). Ignored when `anywhere`. */
  roots: () => Promise<readonly string[]>;
  /** The CLI: the user typed the path, so any readable file is allowed. */
  anywhere?: boolean;
  limits?: Partial<ImageLimits>;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(n < 1024 * 1024 ? 2 : 1)} MB`;

function labelOf(img: ImageInput, i: number): string {
  if (img.path !== undefined) return `images[${i}] (${path.basename(img.path) || img.path})`;
  if (img.url !== undefined) {
    try {
      const u = new URL(img.url);
      return `images[${i}] (${u.hostname || `${u.protocol.replace(/:$/, '')} url`})`;
    } catch {
      return `images[${i}] (url)`;
    }
  }
  return img.data !== undefined ? `images[${i}] (inline data)` : `images[${i}]`;
}

function checkBytes(buf: Buffer, declared: string | undefined, label: string): ImageMime {
  const mime = sniffImage(buf);
  if (!mime) throw new UserInputError(`${label} is not a PNG, JPEG, GIF or WebP image (its first bytes say otherwise); convert it first`);
  if (declared !== undefined) {
    const d = normaliseMime(declared);
    if (d !== mime) throw new UserInputError(`${label}: mime_type says ${declared} but the bytes are ${NAMES[mime]} (${mime}); fix or drop mime_type`);
  }
  return mime;
}

const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeInline(data: string, declared: string | undefined, label: string, maxBytes: number): { buf: Buffer; declared: string | undefined } {
  let b64 = data;
  const m = /^data:([^;,]*)((?:;[^;,]*)*),/i.exec(data);
  if (m) {
    if (!/;base64$/i.test(m[2] ?? '')) throw new UserInputError(`${label}: a data: URL must be base64-encoded (";base64,")`);
    if (m[1] && declared === undefined) declared = m[1];
    b64 = data.slice(m[0].length);
  }
  if (b64.length % 4 !== 0 || !STRICT_BASE64.test(b64)) {
    throw new UserInputError(`${label}: "data" is not strict base64 (standard alphabet, padded, no whitespace)`);
  }
  const decoded = (b64.length / 4) * 3 - (b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0);
  if (decoded > maxBytes) throw new UserInputError(`${label} is ${mb(decoded)}, over the ${mb(maxBytes)} limit per image; send a smaller image`);
  return { buf: Buffer.from(b64, 'base64'), declared };
}

async function readLocal(p: string, label: string, opts: ImageOptions, maxBytes: number): Promise<Buffer> {
  // Security: a NUL byte could truncate the path in lower layers; refuse it outright.
  if (p.includes('\0')) throw new UserInputError(`${label}: the path contains a NUL byte`);
  if (!p) throw new UserInputError(`${label}: the path is empty`);
  let real: string;
  if (opts.anywhere) {
    try {
      real = await realpath(path.resolve(p));
    } catch {
      throw new UserInputError(`${label}: no such file: ${p}`);
    }
  } else {
    const roots = [...new Set((await opts.roots()).filter(Boolean).map((r) => path.resolve(r)))];
    if (!roots.length) {
      throw new UserInputError(
        `${label}: reading local images is off because no image folder is allowed. Start the server with --image-root DIR ` +
          '(or PASSPORT_MCP_IMAGE_ROOTS), let the client offer MCP roots, or pass the image as base64 "data" or an https "url"',
      );
    }
    const realRoots = (await Promise.all(roots.map((r) => realpath(r).catch(() => undefined)))).filter((r): r is string => !!r);
    const candidates = path.isAbsolute(p) ? [path.normalize(p)] : roots.map((r) => path.resolve(r, p));
    const outside = () =>
      new UserInputError(`${label} is outside the allowed image folders (${roots.join(', ')}); move it into one of them or add a root with --image-root`);
    // Security: first a lexical check (no filesystem probe outside the roots), then the real path after
    // resolving every symlink and "..", compared by path segments so /data/img-evil is not inside /data/img.
    const lexical = candidates.filter((c) => roots.some((r) => isInside(c, r)) || realRoots.some((r) => isInside(c, r)));
    if (!lexical.length) throw outside();
    let found: string | undefined;
    for (const c of lexical) {
      found = await realpath(c).catch(() => undefined);
      if (found) break;
    }
    if (!found) throw new UserInputError(`${label}: no such file inside the image folders: ${p}`);
    if (!realRoots.some((r) => isInside(found!, r))) throw outside();
    real = found;
  }
  let before;
  try {
    before = await stat(real);
  } catch {
    throw new UserInputError(`${label}: cannot read ${p}`);
  }
  if (!before.isFile()) throw new UserInputError(`${label}: ${p} is not a regular file`);
  if (before.size > maxBytes) throw new UserInputError(`${label} is ${mb(before.size)}, over the ${mb(maxBytes)} limit per image; send a smaller image`);
  // Security: safe-file.ts opens without following a final symlink and without blocking on a FIFO, and checks
  // that the opened file is the one the real path named (a swap between the check and the open is refused).
  try {
    return await readRegularFile(real, { maxBytes, noFollow: true, sameAs: before });
  } catch (err) {
    if (!(err instanceof SafeReadError)) throw new UserInputError(`${label}: cannot open ${p}`);
    if (err.fault === 'too_large') throw new UserInputError(`${label} is ${mb(err.size ?? 0)}, over the ${mb(maxBytes)} limit per image; send a smaller image`);
    if (err.fault === 'grew') throw new UserInputError(`${label}: ${p} grew while it was being read; try again`);
    throw new UserInputError(`${label}: ${p} changed while it was being read; try again`);
  }
}

/** Checks and loads every image; throws a UserInputError naming the first image refused. */
export async function prepareImages(inputs: readonly ImageInput[], opts: ImageOptions): Promise<PreparedImage[]> {
  const lim = { ...IMAGE_LIMITS, ...opts.limits };
  if (inputs.length > lim.maxImages) throw new UserInputError(`at most ${lim.maxImages} images per call (got ${inputs.length})`);
  const out: PreparedImage[] = [];
  let total = 0;
  for (const [i, img] of inputs.entries()) {
    const label = labelOf(img, i);
    const given = [img.path, img.url, img.data].filter((x) => x !== undefined).length;
    if (given !== 1) throw new UserInputError(`${label}: give exactly one of "path", "url" or "data"`);
    if (img.mime_type !== undefined && !(IMAGE_MIME_TYPES as readonly string[]).includes(normaliseMime(img.mime_type))) {
      throw new UserInputError(`${label}: mime_type ${img.mime_type} is not supported; use PNG, JPEG, GIF or WebP`);
    }
    if (img.url !== undefined) {
      let u: URL;
      try {
        u = new URL(img.url);
      } catch {
        throw new UserInputError(`${label}: "url" is not a valid URL`);
      }
      // Security: only https goes upstream; no file:, http: or credentials in the URL.
      if (u.protocol !== 'https:')
        throw new UserInputError(`${label}: only https:// image URLs are accepted (got ${u.protocol}); use "path" or "data" for other images`);
      if (u.username || u.password) throw new UserInputError(`${label}: the image URL must not carry credentials`);
      if (img.url.length > lim.maxUrlLength) throw new UserInputError(`${label}: the URL is longer than ${lim.maxUrlLength} characters`);
      out.push({ label, url: u.href });
      continue;
    }
    let buf: Buffer;
    let declared = img.mime_type;
    if (img.data !== undefined) {
      const d = decodeInline(img.data, declared, label, lim.maxBytes);
      buf = d.buf;
      declared = d.declared;
    } else {
      buf = await readLocal(img.path!, label, opts, lim.maxBytes);
    }
    if (buf.length > lim.maxBytes)
      throw new UserInputError(`${label} is ${mb(buf.length)}, over the ${mb(lim.maxBytes)} limit per image; send a smaller image`);
    const mime = checkBytes(buf, declared, label);
    total += buf.length;
    if (total > lim.maxTotalBytes) {
      throw new UserInputError(`${label}: the images together exceed ${mb(lim.maxTotalBytes)} per call; send fewer or smaller images`);
    }
    out.push({ label, url: `data:${mime};base64,${buf.toString('base64')}`, bytes: buf.length, mime });
  }
  return out;
}
