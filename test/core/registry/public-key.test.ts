// Every key form the registry might serve at /trust-passport-public-key parses to the same key; everything that is
// not exactly one valid Ed25519 key is refused with a reason.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryHttp } from '../../../src/core/registry/http.js';
import { fetchIssuerKey, parsePublicKeyBody } from '../../../src/core/registry/public-key.js';
import { makeKey } from '../../support/keys.js';

const k = makeKey();
const other = makeKey();
const der = k.publicKey.export({ format: 'der', type: 'spki' });
const jwk = k.publicKey.export({ format: 'jwk' }) as Record<string, string>;
const otherJwk = other.publicKey.export({ format: 'jwk' }) as Record<string, string>;
const fingerprintOf = (body: string) => parsePublicKeyBody(body, 'unfragile.ai').key.fingerprint;
const expected = parsePublicKeyBody(k.rawBase64, 'unfragile.ai').key.fingerprint;

const GOOD: [string, string][] = [
  ['raw base64', k.rawBase64],
  ['raw base64 without padding', k.rawBase64.replace(/=$/, '')],
  ['raw base64url', k.rawBase64Url],
  ['raw hex', k.rawHex],
  ['raw hex, upper case', k.rawHex.toUpperCase()],
  ['text/plain with a newline and a BOM', `\uFEFF${k.rawBase64}\n`],
  ['SPKI PEM', k.pem],
  ['SPKI PEM with CRLF and blank lines around', `\r\n${k.pem.replace(/\n/g, '\r\n')}\r\n\r\n`],
  ['SPKI DER in base64', der.toString('base64')],
  ['SPKI DER in base64url', der.toString('base64url')],
  ['SPKI DER in hex', der.toString('hex')],
  ['a JWK', JSON.stringify(jwk)],
  ['a JWK with use sig, kid and alg', JSON.stringify({ ...jwk, use: 'sig', kid: 'unfragile-2026', alg: 'EdDSA' })],
  ['a JWKS', JSON.stringify({ keys: [jwk] })],
  ['a JWKS with an RSA key beside it', JSON.stringify({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }, jwk] })],
  ['a JWKS listing the same key twice', JSON.stringify({ keys: [jwk, { ...jwk, kid: 'again' }] })],
  ['a JSON string', JSON.stringify(k.rawBase64)],
  ['{ publicKey } base64', JSON.stringify({ publicKey: k.rawBase64 })],
  ['{ public_key } hex', JSON.stringify({ public_key: k.rawHex })],
  ['{ public_key_pem }', JSON.stringify({ public_key_pem: k.pem })],
  ['{ public_key_b64 }', JSON.stringify({ public_key_b64: k.rawBase64 })],
  ['{ key } base64url', JSON.stringify({ key: k.rawBase64Url })],
  ['{ x } as in a JWK', JSON.stringify({ x: jwk.x })],
  ['{ publicKey: JWK }', JSON.stringify({ publicKey: jwk })],
  [
    'a wrapper with algorithm, issuer and two fields naming the same key',
    JSON.stringify({ algorithm: 'Ed25519', issuer: 'unfragile.ai', publicKey: k.rawBase64, public_key_pem: k.pem }),
  ],
];

describe('parsePublicKeyBody accepts every form', () => {
  for (const [name, body] of GOOD) {
    it(name, () => expect(fingerprintOf(body)).toBe(expected));
  }
  it('reports an issuer the answer names, and marks the key as pinned', () => {
    const r = parsePublicKeyBody(JSON.stringify({ signedBy: 'unfragile.ai', publicKey: k.rawBase64 }), 'unfragile.ai');
    expect(r.namedIssuer).toBe('unfragile.ai');
    expect(r.key.source).toBe('pinned');
  });
});

const SMALL_ORDER = [
  '0100000000000000000000000000000000000000000000000000000000000000',
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
// The 43rd character of a 32-byte key carries 4 key bits and 2 padding bits that must be zero.
const paddingBitsSet = (s: string) => `${s.slice(0, 42)}${B64[B64.indexOf(s[42]!) | 1]}=`;

const BAD: [string, string, RegExp][] = [
  ['an empty body', '  \n', /empty/],
  ['an HTML page', '<!DOCTYPE html><html><body>Not found</body></html>', /HTML/],
  ['31 bytes', Buffer.alloc(31, 7).toString('base64'), /recognised/],
  ['33 bytes', Buffer.alloc(33, 7).toString('hex'), /recognised/],
  ['base64 with non-zero padding bits', paddingBitsSet(k.rawBase64), /not canonical/],
  ['base64 with spaces inside', `${k.rawBase64.slice(0, 20)} ${k.rawBase64.slice(20)}`, /recognised/],
  ...SMALL_ORDER.map((h): [string, string, RegExp] => [`a small-order key ${h.slice(0, 8)}`, h, /small-order|not a valid/]),
  ['a non-canonical encoding (y >= p)', 'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', /not a valid|small-order/],
  [
    'a PEM private key',
    '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----',
    /not a public key/,
  ],
  ['two PEM blocks', `${k.pem}\n${other.pem}`, /exactly one PEM/],
  ['a PEM with text around it', `key:\n${k.pem}`, /outside/],
  [
    'an RSA SPKI',
    '-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMMzGHEdZT9k6Xo0ZgEW1hNLBHZtRwHQvYQ0YA7NYnKVcy7Q9n8GqgKq3y+m4yMZ3NBg4tq0c9zJxdYf6yfqXT0CAwEAAQ==\n-----END PUBLIC KEY-----',
    /not an Ed25519/,
  ],
  ['DER with a trailing byte', Buffer.concat([der, Buffer.from([0])]).toString('hex'), /recognised|not an Ed25519/],
  ['an X25519 JWK', JSON.stringify({ ...jwk, crv: 'X25519' }), /not an Ed25519/],
  ['an RSA JWK', JSON.stringify({ kty: 'RSA', n: 'AQAB', e: 'AQAB' }), /not an Ed25519/],
  ['a JWK with a private part', JSON.stringify({ ...jwk, d: jwk.x }), /private/],
  ['a JWK for encryption', JSON.stringify({ ...jwk, use: 'enc' }), /not signatures/],
  ['a JWK whose x is padded', JSON.stringify({ ...jwk, x: `${jwk.x}=` }), /base64url/],
  ['a JWKS with two different keys', JSON.stringify({ keys: [jwk, otherJwk] }), /2 different/],
  ['a JWKS without an Ed25519 key', JSON.stringify({ keys: [{ kty: 'RSA', n: 'AQAB', e: 'AQAB' }] }), /no Ed25519/],
  ['a wrapper naming two different keys', JSON.stringify({ publicKey: k.rawBase64, key: other.rawBase64 }), /2 different/],
  ['a wrapper that says RSA', JSON.stringify({ algorithm: 'RS256', publicKey: k.rawBase64 }), /not Ed25519/],
  ['a JSON object with no key', JSON.stringify({ status: 'ok' }), /holds no key/],
  ['a JSON array', JSON.stringify([k.rawBase64]), /array/],
  ['JSON with duplicate members', `{"publicKey":"${k.rawBase64}","publicKey":"${other.rawBase64}"}`, /duplicate/],
  ['truncated JSON', `{"publicKey":"${k.rawBase64}"`, /not acceptable JSON/],
  ['an error body', '{"error":"rate limited"}', /holds no key/],
];

describe('parsePublicKeyBody refuses anything but exactly one valid key', () => {
  for (const [name, body, why] of BAD) {
    it(name, () => expect(() => parsePublicKeyBody(body, 'unfragile.ai')).toThrow(why));
  }
});

describe('fetchIssuerKey over HTTP (loopback)', () => {
  let base = '';
  const server = createServer((req, res) => {
    const route = new URL(req.url!, 'http://x').pathname;
    if (route === '/a/trust-passport-public-key') res.writeHead(200, { 'content-type': 'text/plain' }).end(k.pem);
    else if (route === '/b/trust-passport-public-key') res.writeHead(200, { 'content-type': 'application/json' }).end('x'.repeat(70_000));
    else if (route === '/c/trust-passport-public-key') res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
    else if (route === '/d/trust-passport-public-key') res.writeHead(200, { 'content-type': 'text/html' }).end('<p>hi</p>');
    else res.writeHead(500).end();
  });
  beforeAll(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  const http = (p: string) => createRegistryHttp({ baseUrl: `${base}/${p}` });

  it('reads a PEM served as text/plain and reports where it came from', async () => {
    const r = await fetchIssuerKey(http('a'), 'unfragile.ai');
    expect(r.key.fingerprint).toBe(expected);
    expect(r.origin).toBe(`${base}/a/trust-passport-public-key`);
  });
  it('refuses an oversized body, an HTTP error and an HTML page', async () => {
    await expect(fetchIssuerKey(http('b'), 'unfragile.ai')).rejects.toThrow(/limit/);
    await expect(fetchIssuerKey(http('c'), 'unfragile.ai')).rejects.toThrow(/HTTP 404/);
    await expect(fetchIssuerKey(http('d'), 'unfragile.ai')).rejects.toThrow(/HTML/);
  });
});
