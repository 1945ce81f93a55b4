// Every real registry passport in test/fixtures/registry loads, verbatim where the registry wrote it, and
// signatures over real passports (nulls included) verify; hostile variants of them are still refused.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { failureModes } from '../../../src/core/failure-modes.js';
import { loadPassportDirectory, loadResolveTrust, parsePassportText, toLoadedPassport } from '../../../src/core/passport/load.js';
import { createTrustStore, makeTrustedKey } from '../../../src/core/passport/trust.js';
import { verifyPassportObject } from '../../../src/core/passport/verify.js';
import { makeKey, signPassport } from '../../support/keys.js';

const DIR = fileURLToPath(new URL('../../fixtures/registry/', import.meta.url));
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .sort();
const EXCERPTS = JSON.parse(readFileSync(path.join(DIR, 'source', 'excerpts.json'), 'utf8')) as Record<string, { url: string; excerpt: string }>;
const text = (f: string) => readFileSync(path.join(DIR, f), 'utf8');
const key = makeKey();
const trusted = createTrustStore([makeTrustedKey('unfragile.ai', key.rawBase64)]);
const NOW = new Date('2026-07-01T00:00:00Z');

function hasNull(v: unknown): boolean {
  if (v === null) return true;
  return typeof v === 'object' && Object.values(v as object).some(hasNull);
}

describe('real registry fixtures', () => {
  it('cover every shape: signed envelope, older unsigned, bare passport, resolve trust object', () => {
    expect(FILES.length).toBe(Object.keys(EXCERPTS).length);
    for (const shape of ['envelope', 'unsigned-legacy', 'bare', 'resolve-trust']) expect(FILES.some((f) => f.endsWith(`.${shape}.json`))).toBe(true);
  });

  for (const f of FILES) {
    const slug = f.split('.').slice(0, -2).join('.');
    it(`${f} loads, with the excerpt's text verbatim and no null in the parsed view`, () => {
      const t = text(f);
      // Verbatim: the excerpt's unfragile body (up to its cut) appears byte for byte.
      const body = EXCERPTS[slug]!.excerpt.slice('{"passport":{"unfragile":'.length);
      expect(t.includes(body.slice(0, -1))).toBe(true);
      const r = parsePassportText(t, f);
      expect(r.problems).toEqual([]);
      expect(r.passports).toHaveLength(1);
      const p = r.passports[0]!;
      expect(p.slug).toBe(slug);
      expect(hasNull(p.passport)).toBe(false);
      // The raw object is the document's own passport object, nulls and all.
      const doc = JSON.parse(t);
      expect(p.raw).toEqual(doc.passport ?? doc);
    });
  }

  it('keeps the odd real values: negative prices, null prices (absent in the view), slugs with . _ --, non-ASCII', () => {
    const load = (f: string) => parsePassportText(text(f), f).passports[0]!;
    expect(load('openrouter-auto.envelope.json').passport.unfragile.artifact.pricing?.starting_price).toBe('$-1.00e+0 per prompt token');
    const flux = load('black-forest-labs--flux.1-schnell.envelope.json');
    expect(flux.passport.unfragile.artifact.pricing).toEqual({ model: 'open_source', free: true });
    expect((flux.raw.unfragile as any).artifact.pricing.starting_price).toBeNull();
    expect(load('z_ai-mcp-server.envelope.json').passport.unfragile.artifact.name).toBe('@z_ai/mcp-server');
    expect(load('live-share.envelope.json').passport.unfragile.capabilities[0]!.limitations![0]).toContain('real-time only — no offline');
  });

  it("the resolve trust object loads through loadResolveTrust, without the resolver's `verified`", () => {
    const trust = JSON.parse(text('aider-polyglot.resolve-trust.json'));
    const p = loadResolveTrust(trust, 'resolve');
    expect(p.slug).toBe('aider-polyglot');
    expect(Object.keys(p.raw)).toEqual(['signature', 'signedAt', 'signedBy', 'version', 'unfragile']);
    expect(p.raw.unfragile).toBe(trust.unfragile);
  });

  it('a directory of them loads with no problem', async () => {
    const r = await loadPassportDirectory(DIR);
    expect(r.problems).toEqual([]);
    expect(r.passports.map((p) => p.slug).sort()).toEqual(Object.keys(EXCERPTS).sort());
  });

  it('their signatures (a key nobody trusts) say unknown_key, or invalid_signature against a trusted key', () => {
    for (const f of FILES.filter((x) => !x.includes('unsigned'))) {
      const p = parsePassportText(text(f), f).passports[0]!;
      expect(verifyPassportObject(p.raw, { trust: createTrustStore([]), now: NOW }).status).toBe('unknown_key');
      expect(verifyPassportObject(p.raw, { trust: trusted, now: NOW }).status).toBe('invalid_signature');
    }
    const legacy = parsePassportText(text('wellknownai.unsigned-legacy.json'), 'l').passports[0]!;
    expect(verifyPassportObject(legacy.raw, { trust: trusted, now: NOW }).status).toBe('unsigned');
  });

  it('re-signed with a trusted key, each verifies (nulls included) through text and through the resolve path', () => {
    for (const f of FILES) {
      const doc = JSON.parse(text(f));
      const passport = doc.passport ?? doc;
      delete passport.verified;
      signPassport(passport, key);
      const viaText = parsePassportText(JSON.stringify(doc), f).passports[0]!;
      expect(verifyPassportObject(viaText.raw, { trust: trusted, now: NOW })).toMatchObject({ status: 'valid', scope: 'unfragile' });
      const viaResolve = loadResolveTrust({ verified: false, ...passport }, f);
      expect(verifyPassportObject(viaResolve.raw, { trust: trusted, now: NOW }).status).toBe('valid');
      // The whole-passport scope too (the resolver's `verified` must not be part of what is checked).
      signPassport(passport, key, 'passport');
      expect(verifyPassportObject(loadResolveTrust({ ...passport, verified: true }, f).raw, { trust: trusted, now: NOW })).toMatchObject({
        status: 'valid',
        scope: 'passport',
      });
    }
  });

  it('status "inactive" (reported by REGISTRY.md) loads and reaches the failure-mode report', () => {
    const doc = JSON.parse(text('apix420-apix420.envelope.json'));
    doc.passport.unfragile.artifact.status = 'inactive';
    const p = toLoadedPassport(doc, 'inactive');
    expect(failureModes(p, undefined, NOW).risk.maintenance_status).toBe('inactive');
  });
});

describe('hostile variants of real passports are refused', () => {
  const base = () => JSON.parse(text('black-forest-labs--flux.1-schnell.envelope.json'));
  const cases: [string, (d: any) => unknown, RegExp][] = [
    ['a slug with a path separator', (d) => (d.passport.unfragile.artifact.slug = 'black-forest-labs/flux.1-schnell'), /slug/],
    ['a slug climbing out', (d) => (d.passport.unfragile.artifact.slug = '../flux'), /slug/],
    ['a slug of 300 characters', (d) => (d.passport.unfragile.artifact.slug = 'a'.repeat(300)), /slug/],
    [
      'a url-safe base64 signature',
      (d) => (d.passport.signature = d.passport.signature.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '') + 'A-_'),
      /signature/,
    ],
    ['a signature with whitespace', (d) => (d.passport.signature = ` ${d.passport.signature}`), /signature/],
    ['a capability id with a control character', (d) => (d.passport.unfragile.capabilities[0].id += '\u0007'), /capabilities\.0\.id/],
    ['a 20,000-character description', (d) => (d.passport.unfragile.capabilities[0].description = 'x'.repeat(20_000)), /description/],
    ['600 capabilities', (d) => (d.passport.unfragile.capabilities = Array.from({ length: 600 }, () => d.passport.unfragile.capabilities[0])), /capabilities/],
  ];
  for (const [name, mutate, where] of cases) {
    it(name, () => {
      const d = base();
      mutate(d);
      const r = parsePassportText(JSON.stringify(d), name);
      expect(r.passports).toEqual([]);
      expect(r.problems[0]!.message).toMatch(where);
    });
  }
  it('duplicate keys and deep nesting in the text', () => {
    const t = text('z_ai-mcp-server.envelope.json');
    expect(parsePassportText(t.replace('"status":"active"', '"status":"active","status":"inactive"'), 'dup').problems[0]!.message).toMatch(/duplicate key/);
    expect(parsePassportText(t.replace('"tags":[', `"deep":${'['.repeat(100)}${']'.repeat(100)},"tags":[`), 'deep').problems[0]!.message).toMatch(/nesting/);
  });
});
