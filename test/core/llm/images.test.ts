// Image sniffing, caps and local path containment (.., symlinks, prefix-sibling roots, NUL bytes).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareImages, sniffImage } from '../../../src/core/llm/images.js';

export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f3c1e90000000049454e44ae426082',
  'hex',
);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46]);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x1a, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);

let dir: string;
let root: string;
let evil: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'pmcp-img-'));
  root = path.join(dir, 'root');
  evil = path.join(dir, 'root-evil');
  mkdirSync(root);
  mkdirSync(evil);
  mkdirSync(path.join(root, 'sub'));
  writeFileSync(path.join(root, 'ok.png'), PNG);
  writeFileSync(path.join(root, 'sub', 'deep.png'), PNG);
  writeFileSync(path.join(root, 'fake.png'), 'not an image at all');
  writeFileSync(path.join(root, 'big.png'), Buffer.concat([PNG, Buffer.alloc(2048)]));
  writeFileSync(path.join(evil, 'secret.png'), PNG);
  symlinkSync(path.join(evil, 'secret.png'), path.join(root, 'link.png'));
  symlinkSync(evil, path.join(root, 'linkdir'));
  symlinkSync(path.join(root, 'ok.png'), path.join(root, 'inner-link.png'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const roots = () => Promise.resolve([root]);

describe('sniffImage', () => {
  it('knows PNG, JPEG, GIF and WebP by their magic bytes only', () => {
    expect(sniffImage(PNG)).toBe('image/png');
    expect(sniffImage(JPEG)).toBe('image/jpeg');
    expect(sniffImage(GIF)).toBe('image/gif');
    expect(sniffImage(Buffer.from('GIF87a'))).toBe('image/gif');
    expect(sniffImage(WEBP)).toBe('image/webp');
    expect(sniffImage(Buffer.from('RIFF\0\0\0\0WAVE'))).toBeUndefined();
    expect(sniffImage(Buffer.from('%PDF-1.7'))).toBeUndefined();
    expect(sniffImage(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('prepareImages: local paths', () => {
  it('reads a file inside a root (absolute or relative to the root) as a data: URL', async () => {
    const [a] = await prepareImages([{ path: path.join(root, 'ok.png') }], { roots });
    expect(a!.url).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
    const [b] = await prepareImages([{ path: 'sub/deep.png' }], { roots });
    expect(b!.mime).toBe('image/png');
    const [c] = await prepareImages([{ path: path.join(root, 'inner-link.png') }], { roots });
    expect(c!.bytes).toBe(PNG.length);
  });
  it.each([
    ['.. out of the root', () => path.join(root, '..', 'root-evil', 'secret.png')],
    ['relative ..', () => '../root-evil/secret.png'],
    ['a sibling whose name starts with the root', () => path.join(evil, 'secret.png')],
    ['a symlink to a file outside', () => path.join(root, 'link.png')],
    ['a symlinked directory outside', () => path.join(root, 'linkdir', 'secret.png')],
    ['/etc/passwd', () => '/etc/passwd'],
  ])('refuses %s, naming the image', async (_n, p) => {
    await expect(prepareImages([{ path: path.join(root, 'ok.png') }, { path: p() }], { roots })).rejects.toThrow(
      /images\[1\].*outside the allowed image folders/,
    );
  });
  it('refuses NUL bytes, missing files, non-images, and reading with no roots at all', async () => {
    await expect(prepareImages([{ path: `${root}/ok.png\0.txt` }], { roots })).rejects.toThrow(/NUL/);
    await expect(prepareImages([{ path: path.join(root, 'nope.png') }], { roots })).rejects.toThrow(/no such file/);
    await expect(prepareImages([{ path: path.join(root, 'fake.png') }], { roots })).rejects.toThrow(/images\[0\] \(fake.png\) is not a PNG, JPEG, GIF or WebP/);
    await expect(prepareImages([{ path: path.join(root, 'ok.png') }], { roots: async () => [] })).rejects.toThrow(/--image-root/);
    await expect(prepareImages([{ path: root }], { roots })).rejects.toThrow(/not a regular file/);
  });
  it('the CLI may read from anywhere the user names, still sniffed', async () => {
    const [a] = await prepareImages([{ path: path.join(evil, 'secret.png') }], { roots: async () => [], anywhere: true });
    expect(a!.mime).toBe('image/png');
  });
  it('caps bytes per image, count and total', async () => {
    await expect(prepareImages([{ path: path.join(root, 'big.png') }], { roots, limits: { maxBytes: 1024 } })).rejects.toThrow(/big.png.*over the/);
    await expect(
      prepareImages(
        Array.from({ length: 9 }, () => ({ path: 'ok.png' })),
        { roots },
      ),
    ).rejects.toThrow(/at most 8/);
    await expect(prepareImages([{ path: 'big.png' }, { path: 'big.png' }], { roots, limits: { maxTotalBytes: 3000 } })).rejects.toThrow(
      /images\[1\].*together exceed/,
    );
  });
});

describe('prepareImages: inline data and URLs', () => {
  it('accepts strict base64, with or without a data: prefix', async () => {
    const [a, b] = await prepareImages([{ data: JPEG.toString('base64') }, { data: `data:image/gif;base64,${GIF.toString('base64')}` }], { roots });
    expect(a!.url.startsWith('data:image/jpeg;base64,')).toBe(true);
    expect(b!.mime).toBe('image/gif');
  });
  it('refuses loose base64, a lying mime_type, and oversize data before decoding', async () => {
    await expect(prepareImages([{ data: `${PNG.toString('base64')}\n` }], { roots })).rejects.toThrow(/strict base64/);
    await expect(prepareImages([{ data: 'abc' }], { roots })).rejects.toThrow(/strict base64/);
    await expect(prepareImages([{ data: PNG.toString('base64url') + '-_' }], { roots })).rejects.toThrow(/strict base64/);
    await expect(prepareImages([{ data: PNG.toString('base64'), mime_type: 'image/jpeg' }], { roots })).rejects.toThrow(
      /says image\/jpeg but the bytes are PNG/,
    );
    await expect(prepareImages([{ data: `data:image/webp;base64,${PNG.toString('base64')}` }], { roots })).rejects.toThrow(/bytes are PNG/);
    await expect(prepareImages([{ data: PNG.toString('base64'), mime_type: 'image/bmp' }], { roots })).rejects.toThrow(/not supported/);
    await expect(prepareImages([{ data: 'A'.repeat(4000) }], { roots, limits: { maxBytes: 1000 } })).rejects.toThrow(/over the/);
    await expect(prepareImages([{ data: WEBP.toString('base64'), mime_type: 'image/webp' }], { roots })).resolves.toHaveLength(1);
  });
  it('passes https URLs through and refuses everything else', async () => {
    const [a] = await prepareImages([{ url: 'https://example.com/cat.png' }], { roots });
    expect(a!.url).toBe('https://example.com/cat.png');
    await expect(prepareImages([{ url: 'http://example.com/cat.png' }], { roots })).rejects.toThrow(/only https/);
    await expect(prepareImages([{ url: 'file:///etc/passwd' }], { roots })).rejects.toThrow(/only https/);
    await expect(prepareImages([{ url: 'https://u:p@example.com/x.png' }], { roots })).rejects.toThrow(/credentials/);
    await expect(prepareImages([{ url: 'https://e.com/x.png', data: 'AAAA' }], { roots })).rejects.toThrow(/exactly one/);
  });
});
