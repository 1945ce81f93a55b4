// End to end over stdio with the SDK Client: find_capability_by_intent against the loopback fake registry. One call
// merges local and registry matches; a registry passport is first class (get_failure_modes, verify_passport,
// passport://{slug} with no further fetch); faults cost nothing but registry.status; the cache serves --offline
// in a later run; the API key goes with every registry request and never comes back. The built server is spawned
// for the main run and for the signal over HTTP; the later runs (offline, a stale cache, the CLI find, a registry
// that never answers) are tool and subcommand behaviour and run in process (test/support/in-process.ts).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, statSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeRegistry, type FakeRegistry } from '../support/fake-registry.js';
import { runCli, startInProcess } from '../support/in-process.js';
import { happy, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { CLI, cleanEnv, startServer, textOf, type Spawned } from '../support/spawn.js';

const API_KEY = 'unfragile-key-CANARY-abcdef0123456789';
let reg: FakeRegistry;
let cacheDir: string;
let s: Spawned;
let upstream: FakeUpstream;

const find = async (args: Record<string, unknown>) => {
  const r = await s.client.callTool({ name: 'find_capability_by_intent', arguments: args });
  expect(r.isError, textOf(r)).toBeFalsy();
  return r.structuredContent as {
    matches: { confidence: number; source: string; verification: string; artifact: { slug: string }; capability: { id: string } }[];
    registry: { status: string; detail?: string; resolve_id?: string };
    note?: string;
    searched_passports: number;
  };
};

beforeAll(async () => {
  reg = await startFakeRegistry();
  upstream = await startFakeUpstream();
  cacheDir = mkdtempSync(path.join(tmpdir(), 'passport-e2e-cache-'));
  s = await startServer({
    args: ['--registry-url', reg.base, '--registry-timeout', '2500', '--trust-key', `unfragile.ai=${reg.key.rawBase64}`],
    env: {
      PASSPORT_MCP_OFFLINE: '0',
      PASSPORT_MCP_CACHE_DIR: cacheDir,
      PASSPORT_MCP_REGISTRY_API_KEY: API_KEY,
      OPENROUTER_API_KEY: 'sk-or-v1-test',
      OPENROUTER_BASE_URL: upstream.baseUrl,
    },
  });
});
afterAll(async () => {
  await s?.close();
  await reg?.close();
  await upstream?.close();
});

describe('find_capability_by_intent with the registry', () => {
  it('one call: local and registry matches in one list, with source, verification and registry status', async () => {
    const r = await find({ intent: 'transcribe a podcast episode into text', limit: 10, min_confidence: 0 });
    expect(r.registry.status).toBe('ok');
    expect(r.registry.resolve_id).toMatch(/^resolve_/);
    expect(r.registry.detail).toMatch(/evil--whisper-clone.*invalid_signature/);
    expect(r.matches.find((m) => m.artifact.slug === 'openai--whisper-large-v3.1')).toMatchObject({
      source: 'registry',
      verification: 'valid',
      confidence: 0.91,
    });
    expect(r.matches.some((m) => m.source === 'local')).toBe(true);
    expect(r.matches.some((m) => m.artifact.slug === 'evil--whisper-clone')).toBe(false);
    expect(s.stderr()).toMatch(/dropped registry passport "evil--whisper-clone": invalid_signature/);
  });

  it('a registry passport is first class: failure modes, verification and the resource, with no further fetch', async () => {
    const n = reg.hits.length;
    const slug = 'openai--whisper-large-v3.1';
    const fm = await s.client.callTool({ name: 'get_failure_modes', arguments: { slug } });
    expect(fm.isError).toBeFalsy();
    expect((fm.structuredContent as { slug: string }).slug).toBe(slug);
    const v = await s.client.callTool({ name: 'verify_passport', arguments: { slug } });
    expect(v.structuredContent).toMatchObject({ status: 'valid', slug });
    const res = await s.client.readResource({ uri: `passport://${slug}` });
    expect(JSON.stringify(res.contents)).toContain(slug);
    expect(reg.hits.length).toBe(n);
    // The tampered one is not there, and fetching it by slug refuses it too.
    const t = await s.client.callTool({ name: 'verify_passport', arguments: { slug: 'evil--whisper-clone' } });
    expect(t.isError).toBe(true);
    expect(textOf(t)).toMatch(/dropped: invalid_signature/);
  });

  it('invoke_model { slug } calls a registry model found by find, exactly like the built-in one', async () => {
    const r = await find({ intent: 'answer questions about an image', min_confidence: 0, scope: 'registry' });
    expect(r.matches.map((m) => m.artifact.slug)).toContain('qwen--qwen2.5-vl-72b-instruct');
    const n = reg.hits.length;
    upstream.enqueue({ steps: happy(['It is ', 'a cat.']) });
    const inv = await s.client.callTool({ name: 'invoke_model', arguments: { slug: 'qwen--qwen2.5-vl-72b-instruct', prompt: 'What is this?' } });
    expect(inv.isError, textOf(inv)).toBeFalsy();
    expect(inv.structuredContent).toMatchObject({ text: 'It is a cat.', passport: { slug: 'qwen--qwen2.5-vl-72b-instruct', verification: 'valid' } });
    expect(upstream.requests.at(-1)!.body.model).toBe('qwen/qwen2.5-vl-72b-instruct');
    expect(reg.hits.length).toBe(n);
  });

  it('the same intent again is answered from memory; scope local never asks', async () => {
    const n = reg.resolves().length;
    await find({ intent: 'Transcribe a podcast  episode into text' });
    const local = await find({ intent: 'describe an image', scope: 'local' });
    expect(local.registry.status).toBe('skipped');
    expect(reg.resolves().length).toBe(n);
  });

  it('min_confidence: when nothing passes, matches is empty and note names the nearest', async () => {
    const r = await find({ intent: 'speaker diarization: who spoke when', min_confidence: 0.99 });
    expect(r.matches).toEqual([]);
    expect(r.note).toMatch(/nearest is/);
  });

  it('faults: slow, HTML, 429 — never isError, local matches still there, status says what happened', async () => {
    // A registry that never answers: in process, with a short deadline, instead of waiting out this server's 2.5 s.
    reg.fault = 'slow';
    const quick = await startInProcess({
      args: ['--registry-url', reg.base, '--registry-timeout', '200', '--trust-key', `unfragile.ai=${reg.key.rawBase64}`],
      env: { PASSPORT_MCP_OFFLINE: '0', PASSPORT_MCP_REGISTRY_API_KEY: API_KEY },
    });
    try {
      const r = await quick.client.callTool({
        name: 'find_capability_by_intent',
        arguments: { intent: 'describe an image for fault slow', min_confidence: 0 },
      });
      expect(r.isError, textOf(r)).toBeFalsy();
      const sc = r.structuredContent as Awaited<ReturnType<typeof find>>;
      expect(sc.registry.status, 'slow').toBe('timeout');
      expect(sc.matches.length, 'slow').toBeGreaterThan(0);
      expect(quick.stderr()).not.toContain(API_KEY);
    } finally {
      reg.fault = undefined;
      await quick.close();
    }
    for (const [fault, status] of [
      ['html', 'error'],
      ['truncated', 'error'],
      ['429', 'rate_limited'],
    ] as const) {
      reg.fault = fault;
      reg.retryAfter = '120';
      try {
        const r = await find({ intent: `describe an image for fault ${fault}`, min_confidence: 0 });
        expect(r.registry.status, fault).toBe(status);
        expect(r.matches.length, fault).toBeGreaterThan(0);
      } finally {
        reg.fault = undefined;
      }
    }
    // Inside the Retry-After window: rate_limited with no request sent.
    const n = reg.hits.length;
    expect((await find({ intent: 'yet another intent' })).registry.status).toBe('rate_limited');
    expect(reg.hits.length).toBe(n);
  });

  it('the API key went with every registry request and never came back', async () => {
    expect(reg.hits.length).toBeGreaterThan(0);
    for (const h of reg.hits) expect(h.headers.authorization).toBe(`Bearer ${API_KEY}`);
    expect(s.stderr()).not.toContain(API_KEY);
  });
});

describe('a later run with --offline', () => {
  it('finds what the registry sent, from the verified cache, and never touches the network', async () => {
    await s.close();
    const n = reg.hits.length;
    // In process: the same server a later `passport-mcp --offline` would run, over the cache the spawned one wrote.
    const off = await startInProcess({ args: ['--offline', '--trust-key', `unfragile.ai=${reg.key.rawBase64}`], env: { PASSPORT_MCP_CACHE_DIR: cacheDir } });
    try {
      const r = await off.client.callTool({
        name: 'find_capability_by_intent',
        arguments: { intent: 'transcribe a podcast episode into text', min_confidence: 0 },
      });
      const sc = r.structuredContent as Awaited<ReturnType<typeof find>>;
      expect(sc.registry.status).toBe('offline');
      expect(sc.matches.find((m) => m.artifact.slug === 'openai--whisper-large-v3.1')).toMatchObject({ source: 'registry', verification: 'valid' });
      expect(sc.matches.some((m) => m.artifact.slug === 'evil--whisper-clone')).toBe(false);
      expect(reg.hits.length).toBe(n);
    } finally {
      await off.close();
    }
  });
});

describe('the CLI find', () => {
  it('asks the registry the same way and shows source and verification', async () => {
    // In process: the find subcommand (in-process-parity.test.ts compares its output with the binary's).
    const cache = mkdtempSync(path.join(tmpdir(), 'passport-cli-cache-'));
    const out = await runCli(
      [
        'find',
        'transcribe a podcast episode into text',
        '--registry-url',
        reg.base,
        '--trust-key',
        `unfragile.ai=${reg.key.rawBase64}`,
        '--registry-timeout',
        '5000',
      ],
      { env: { PASSPORT_MCP_OFFLINE: '0', PASSPORT_MCP_CACHE_DIR: cache } },
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/registry: ok/);
    expect(out.stdout).toMatch(/openai--whisper-large-v3\.1/);
    expect(out.stdout).toMatch(/confidence 0\.91, registry\]/);
    expect(out.stdout).toMatch(/signature: {2}valid/);
    expect(out.stdout).toMatch(/dropped 1 entry: "evil--whisper-clone" \(invalid_signature\)/);
    expect(out.stdout).not.toMatch(/\(evil--whisper-clone\)/); // named as dropped, never listed as a match
  });
});

describe('a stale cache entry', () => {
  it('is refetched when asked for by slug while online, and the cache entry is renewed', async () => {
    const slug = 'openai--whisper-large-v3.1';
    const file = path.join(cacheDir, 'passports', 'v1', `${slug}.json`);
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 60 * 60 * 1000);
    utimesSync(file, eightDaysAgo, eightDaysAgo);
    const before = reg.hits.length;
    // In process: a later server run over the same cache.
    const on = await startInProcess({
      args: ['--registry-url', reg.base, '--trust-key', `unfragile.ai=${reg.key.rawBase64}`],
      env: { PASSPORT_MCP_OFFLINE: '0', PASSPORT_MCP_CACHE_DIR: cacheDir },
    });
    try {
      const r = await on.client.callTool({ name: 'get_failure_modes', arguments: { slug } });
      expect(r.isError, textOf(r)).toBeFalsy();
      expect(reg.hits.slice(before).map((h) => `${h.method} ${h.path}`)).toContain(`GET /api/v1/passport/${slug}`);
    } finally {
      await on.close();
    }
    // The refetched passport was written again (a fresh entry), so the next run finds it fresh.
    expect(statSync(file).mtimeMs).toBeGreaterThan(eightDaysAgo.getTime() + 24 * 60 * 60 * 1000);
  });
});

describe('over HTTP', () => {
  it('a signal right after a find still lets the passports it found reach the cache', async () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'passport-http-cache-'));
    const child = spawn(
      process.execPath,
      [CLI, 'serve', '--http', '127.0.0.1:0', '--registry-url', reg.base, '--trust-key', `unfragile.ai=${reg.key.rawBase64}`],
      {
        env: cleanEnv({ PASSPORT_MCP_OFFLINE: '0', PASSPORT_MCP_CACHE_DIR: cache }),
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    const exited = once(child, 'exit');
    let err = '';
    const url = await new Promise<URL>((resolve, reject) => {
      child.stderr!.on('data', (d: Buffer) => {
        err += d.toString('utf8');
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(new URL(m[1]!));
      });
      void exited.then(() => reject(new Error(`server exited:\n${err}`)));
    });
    const client = new Client({ name: 'cache-on-shutdown', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(url));
    const r = await client.callTool({ name: 'find_capability_by_intent', arguments: { intent: 'transcribe a podcast episode into text', min_confidence: 0 } });
    expect((r.structuredContent as { registry: { status: string } }).registry.status).toBe('ok');
    child.kill('SIGTERM');
    const [code] = await exited;
    await client.close();
    expect(code).toBe(0);
    expect(existsSync(path.join(cache, 'passports', 'v1', 'openai--whisper-large-v3.1.json')), err).toBe(true);
  });
});
