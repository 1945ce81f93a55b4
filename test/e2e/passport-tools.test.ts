// End to end over stdio: the three passport tools, resources, bad arguments, registry fetch and lifecycle. The
// default configuration is the built server, spawned; the trusted-key and registry-fetch configurations are the
// same tools on other settings and run in process (test/support/in-process.ts: the same argv -> server path).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, seedDocument, signPassport } from '../support/keys.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { SEED, SEED_SLUG, startServer, textOf, type Spawned } from '../support/spawn.js';

const seed = JSON.parse(readFileSync(SEED, 'utf8'));

describe('passport tools with a trusted key', () => {
  const key = makeKey();
  let s: InProcess;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'passport-e2e-'));
    const signed = seedDocument();
    signed.passport.unfragile.artifact = { ...(signed.passport.unfragile.artifact as object), slug: 'signed-model', name: 'Signed Model' };
    signPassport(signed.passport, key);
    writeFileSync(path.join(dir, 'signed.json'), JSON.stringify(signed));
    const tampered = structuredClone(signed);
    (tampered.passport.unfragile as { artifact: { slug: string } }).artifact.slug = 'tampered-model';
    writeFileSync(path.join(dir, 'tampered.json'), JSON.stringify(tampered));
    writeFileSync(path.join(dir, 'broken.json'), '{ not json');
    // In process: the verdicts are the tool's; the skipped-file line reaches the same stderr sink as the binary's.
    s = await startInProcess({ args: ['--passports', dir, '--trust-key', `unfragile.ai=${key.pem.replace(/\n/g, '\n')}`] });
  });
  afterAll(async () => s?.close());

  it('verify_passport: valid, invalid_signature and, for the seed signed by an unknown key, invalid_signature too', async () => {
    const call = async (slug: string) =>
      (await s.client.callTool({ name: 'verify_passport', arguments: { slug } })).structuredContent as Record<string, unknown>;
    const valid = await call('signed-model');
    expect(valid).toMatchObject({ status: 'valid', valid: true, slug: 'signed-model', issuer: 'unfragile.ai', scope: 'unfragile' });
    expect(valid.key_fingerprint).toMatch(/^SHA256:/);
    expect(await call('tampered-model')).toMatchObject({ status: 'invalid_signature', valid: false });
    expect(await call(SEED_SLUG)).toMatchObject({ status: 'invalid_signature', issuer: 'unfragile.ai' });
  });

  it('verify_passport: an inline document, as object and as text, and a negative verdict is not isError', async () => {
    const doc = JSON.parse(readFileSync(path.join(dir, 'signed.json'), 'utf8'));
    const asObj = await s.client.callTool({ name: 'verify_passport', arguments: { passport: doc } });
    expect((asObj.structuredContent as { status: string }).status).toBe('valid');
    const dup = JSON.stringify(doc).replace('"slug":', '"slug":"x","slug":');
    const asText = await s.client.callTool({ name: 'verify_passport', arguments: { passport: dup } });
    expect(asText.isError).toBeFalsy();
    expect(asText.structuredContent).toMatchObject({ status: 'malformed' });
    // the text mirror carries the same JSON
    const text = (asText.content as { type: string; text: string }[])[0]!.text;
    expect(JSON.parse(text)).toEqual(asText.structuredContent);
  });

  it('verify_passport: neither or both of slug/passport is a clear isError', async () => {
    const r = await s.client.callTool({ name: 'verify_passport', arguments: {} });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/exactly one of "slug"/);
  });

  it('a broken file was skipped with a line naming it, and the rest loaded', () => {
    expect(s.stderr()).toMatch(/skipped .*broken\.json/);
  });
});

describe('passport tools, default configuration', () => {
  let s: Spawned;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => s?.close());

  it('get_failure_modes returns every failure mode and limitation verbatim, grouped per capability', async () => {
    const r = await s.client.callTool({ name: 'get_failure_modes', arguments: { slug: SEED_SLUG } });
    const out = r.structuredContent as {
      failure_modes: string[];
      capabilities: { id: string; limitations: string[] }[];
      risk: Record<string, unknown>;
      name: string;
    };
    expect(out.name).toBe('Mistral: Mistral Small 3.1 24B');
    expect(out.failure_modes).toEqual(seed.passport.unfragile.trust.failure_modes);
    expect(out.capabilities.map((c) => c.id)).toEqual(seed.passport.unfragile.capabilities.map((c: { id: string }) => c.id));
    out.capabilities.forEach((c, i) => expect(c.limitations).toEqual(seed.passport.unfragile.capabilities[i].limitations));
    expect(out.risk).toMatchObject({ trust_score: 23, data_access_risk: 'high', artifact_verified: false, builder_verified: false, signed: true });
    expect(out.risk.summary).toMatch(/trust score 23\/100 \(low\)/);
  });

  it('get_failure_modes narrows to one capability, and names the slug or capability it cannot find', async () => {
    const capId = seed.passport.unfragile.capabilities[1].id;
    const one = await s.client.callTool({ name: 'get_failure_modes', arguments: { slug: SEED_SLUG, capability_id: capId } });
    expect((one.structuredContent as { capabilities: unknown[] }).capabilities).toHaveLength(1);
    const badCap = await s.client.callTool({ name: 'get_failure_modes', arguments: { slug: SEED_SLUG, capability_id: 'nope' } });
    expect(badCap.isError).toBe(true);
    expect(textOf(badCap)).toMatch(/no capability "nope"/);
    const badSlug = await s.client.callTool({ name: 'get_failure_modes', arguments: { slug: 'no-such-model' } });
    expect(badSlug.isError).toBe(true);
    expect(textOf(badSlug)).toMatch(/no passport "no-such-model"/);
  });

  it('find_capability_by_intent returns the contract shape', async () => {
    const r = await s.client.callTool({ name: 'find_capability_by_intent', arguments: { intent: 'answer questions about an image', limit: 3 } });
    const out = r.structuredContent as { matches: { score: number; artifact: { slug: string }; capability: { id: string; intents: string[] } }[] };
    expect(out.matches.length).toBeGreaterThan(0);
    expect(out.matches.length).toBeLessThanOrEqual(3);
    expect(out.matches[0]!.artifact.slug).toBe(SEED_SLUG);
    for (let i = 1; i < out.matches.length; i++) expect(out.matches[i - 1]!.score).toBeGreaterThanOrEqual(out.matches[i]!.score);
  });

  it('bad arguments give clear errors and the server keeps serving', async () => {
    const r1 = await s.client.callTool({ name: 'find_capability_by_intent', arguments: { intent: 42 } });
    expect(r1.isError).toBe(true);
    const r2 = await s.client.callTool({ name: 'find_capability_by_intent', arguments: { intent: 'x', limit: 500 } });
    expect(r2.isError).toBe(true);
    const r3 = await s.client.callTool({ name: 'find_capability_by_intent', arguments: { intent: 'y'.repeat(10_000) } });
    expect(r3.isError).toBe(true);
    const ok = await s.client.callTool({ name: 'verify_passport', arguments: { slug: SEED_SLUG } });
    expect((ok.structuredContent as { status: string }).status).toBe('unknown_key');
  });

  it('lists passports as resources and reads one', async () => {
    const { resources } = await s.client.listResources();
    expect(resources.map((r) => r.uri)).toEqual([`passport://${SEED_SLUG}`]);
    const read = await s.client.readResource({ uri: `passport://${SEED_SLUG}` });
    const c = read.contents[0] as { text: string; mimeType: string };
    expect(c.mimeType).toBe('application/json');
    expect(JSON.parse(c.text)).toEqual({ passport: seed.passport });
    await expect(s.client.readResource({ uri: 'passport://missing' })).rejects.toThrow(/missing/);
  });
});

describe('registry fetch', () => {
  let registry: Server;
  let base: string;
  const hits: string[] = [];
  beforeAll(async () => {
    registry = createServer((req, res) => {
      hits.push(req.url ?? '');
      if (req.url === '/api/v1/passport/remote-model') {
        const doc = structuredClone(seed);
        doc.passport.unfragile.artifact.slug = 'remote-model';
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(doc));
      } else res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    });
    registry.listen(0, '127.0.0.1');
    await once(registry, 'listening');
    base = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/api/v1`;
  });
  afterAll(() => registry?.close());

  it('fetches an unknown slug from the registry, keeps it, and indexes it', async () => {
    // In process (the spawned servers of registry-shapes.test.ts fetch by slug from the built binary).
    const s = await startInProcess({ args: ['--registry-url', base], env: { PASSPORT_MCP_OFFLINE: '0' } });
    try {
      const r = await s.client.callTool({ name: 'get_failure_modes', arguments: { slug: 'remote-model' } });
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { slug: string }).slug).toBe('remote-model');
      await s.client.callTool({ name: 'verify_passport', arguments: { slug: 'remote-model' } });
      expect(hits.filter((h) => h.endsWith('/remote-model'))).toHaveLength(1);
      const { resources } = await s.client.listResources();
      expect(resources.map((x) => x.uri)).toContain('passport://remote-model');
      const missing = await s.client.callTool({ name: 'get_failure_modes', arguments: { slug: 'not-there' } });
      expect(missing.isError).toBe(true);
      expect(textOf(missing)).toMatch(/registry has no passport "not-there"/);
    } finally {
      await s.close();
    }
  });

  it('offline: the registry is never asked', async () => {
    const before = hits.length;
    // In process.
    const s = await startInProcess({ args: ['--registry-url', base, '--offline'] });
    try {
      const r = await s.client.callTool({ name: 'get_failure_modes', arguments: { slug: 'remote-model' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/offline/);
      expect(hits.length).toBe(before);
    } finally {
      await s.close();
    }
  });
});
