// Real registry passports over stdio: loaded from a directory, and fetched by slug from a loopback registry
// (127.0.0.1) exactly as the real registry serves them (null prices, odd slugs, the older unsigned shape). The
// registry fetch goes through the built binary, spawned; loading the directory is the server main.ts builds, in process
// (test/support/in-process.ts; the spawned default servers of the other e2e tests load passports the same way).
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, signPassport } from '../support/keys.js';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { startServer, textOf, type Spawned } from '../support/spawn.js';

const DIR = fileURLToPath(new URL('../fixtures/registry/', import.meta.url));
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json'));
const slugOf = (f: string) => f.split('.').slice(0, -2).join('.');
const key = makeKey();

describe('real registry passports through the stdio server', () => {
  let local: InProcess;
  let remote: Spawned;
  const requested: string[] = [];
  const registry = createServer((req, res) => {
    const m = /^\/api\/v1\/passport\/([^/?]+)$/.exec(req.url ?? '');
    const slug = m ? decodeURIComponent(m[1]!) : '';
    requested.push(slug);
    const file = FILES.find((f) => slugOf(f) === slug && !f.includes('resolve-trust'));
    if (!file) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Passport not found"}');
    let body = readFileSync(path.join(DIR, file), 'utf8');
    if (slug === 'openrouter-auto') {
      // Re-signed by a key the server trusts, nulls and all, to show a real passport verifying end to end.
      const doc = JSON.parse(body);
      signPassport(doc.passport, key);
      body = JSON.stringify(doc);
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
  });

  beforeAll(async () => {
    await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/api/v1`;
    [local, remote] = await Promise.all([
      startInProcess({ args: ['--passports', DIR] }),
      startServer({ args: ['--registry-url', base, '--no-cache', '--trust-key', `unfragile.ai=${key.rawBase64}`], env: { PASSPORT_MCP_OFFLINE: '0' } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([local?.close(), remote?.close()]);
    await new Promise<void>((r) => registry.close(() => r()));
  });

  it('loads every fixture from a directory: failure modes verbatim, resources, search', async () => {
    for (const f of FILES) {
      const slug = slugOf(f);
      const r = await local.client.callTool({ name: 'get_failure_modes', arguments: { slug } });
      expect(r.isError, slug).toBeFalsy();
      const doc = JSON.parse(readFileSync(path.join(DIR, f), 'utf8'));
      const cap = (doc.passport ?? doc).unfragile.capabilities[0];
      expect((r.structuredContent as { capabilities: { limitations: string[] }[] }).capabilities[0]!.limitations).toEqual(cap.limitations ?? []);
    }
    const res = await local.client.readResource({ uri: 'passport://black-forest-labs--flux.1-schnell' });
    expect((res.contents[0] as { text: string }).text).toContain('FLUX.1-schnell');
    const found = await local.client.callTool({
      name: 'find_capability_by_intent',
      arguments: { intent: 'generate images from text prompts quickly', limit: 5, min_confidence: 0 },
    });
    expect(JSON.stringify(found.structuredContent)).toContain('black-forest-labs--flux.1-schnell');
    expect(local.stderr()).not.toMatch(/skipped/);
  });

  it('fetches real passports by slug from the registry: null prices, odd slugs, the older unsigned shape', async () => {
    // The fixtures are signed by a throwaway key (see the fixture README), not by the key this server trusts for
    // unfragile.ai: by the registry rules they are invalid_signature and dropped, with a message that says so.
    // The unsigned legacy shape has no signature to fail, so it is served and says `unsigned`.
    for (const slug of ['black-forest-labs--flux.1-schnell', 'z_ai-mcp-server', 'stravu--crystal']) {
      const r = await remote.client.callTool({ name: 'get_failure_modes', arguments: { slug } });
      expect(r.isError, slug).toBe(true);
      expect(textOf(r), slug).toContain(`"${slug}" was dropped: invalid_signature`);
    }
    const legacyModes = await remote.client.callTool({ name: 'get_failure_modes', arguments: { slug: 'wellknownai' } });
    expect(legacyModes.isError, JSON.stringify(legacyModes.content)).toBeFalsy();
    expect((legacyModes.structuredContent as { slug: string }).slug).toBe('wellknownai');
    expect(requested).toEqual(expect.arrayContaining(['black-forest-labs--flux.1-schnell', 'z_ai-mcp-server', 'wellknownai', 'stravu--crystal']));
    const legacy = await remote.client.callTool({ name: 'verify_passport', arguments: { slug: 'wellknownai' } });
    expect(legacy.structuredContent).toMatchObject({ status: 'unsigned' });
  });

  it('a real passport with nulls, signed by a trusted key, verifies after the fetch', async () => {
    const r = await remote.client.callTool({ name: 'verify_passport', arguments: { slug: 'openrouter-auto' } });
    expect(r.structuredContent).toMatchObject({ status: 'valid', scope: 'unfragile', key_source: 'flag', slug: 'openrouter-auto' });
    const risk = await remote.client.callTool({ name: 'get_failure_modes', arguments: { slug: 'openrouter-auto' } });
    expect(risk.isError).toBeFalsy();
  });
});
