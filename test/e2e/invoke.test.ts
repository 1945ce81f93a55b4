// invoke_model end to end: the built server over stdio (SDK Client) against the loopback fake upstream.
// Progress concatenation, cancellation reaching the upstream, Retry-After timing, image path escapes refused with
// no upstream request, and the API key appearing nowhere. The refusals on other configurations are tool behaviour
// and run in process (test/support/in-process.ts).
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chunk, happy, splitEvent, startFakeUpstream, USAGE, waitFor, type FakeUpstream } from '../support/fake-upstream.js';
import { startInProcess } from '../support/in-process.js';
import { SEED_SLUG, startServer, textOf, type Spawned } from '../support/spawn.js';

const KEY = 'sk-or-v1-DISTINCTIVE-e2e-7f3a9c1b5d2e8f4a6b0c9d8e7f6a5b4c';
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f3c1e90000000049454e44ae426082',
  'hex',
);

interface Progress {
  progress: number;
  message?: string;
}

let fake: FakeUpstream;
let s: Spawned;
let dir: string;
let root: string;
const everything: string[] = []; // every result and progress message, checked for the key at the end

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'pmcp-e2e-'));
  root = path.join(dir, 'root');
  mkdirSync(root);
  mkdirSync(path.join(dir, 'root-evil'));
  writeFileSync(path.join(root, 'photo.png'), PNG);
  writeFileSync(path.join(dir, 'root-evil', 'secret.png'), PNG);
  symlinkSync(path.join(dir, 'root-evil', 'secret.png'), path.join(root, 'link.png'));
  fake = await startFakeUpstream();
  s = await startServer({ env: { OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: fake.baseUrl }, args: ['--image-root', root] });
});
afterAll(async () => {
  await s?.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => fake.reset());

async function invoke(args: Record<string, unknown>, opts: { signal?: AbortSignal; onprogress?: (p: Progress) => void } = {}) {
  const progress: Progress[] = [];
  const r = await s.client.callTool({ name: 'invoke_model', arguments: args }, undefined, {
    signal: opts.signal,
    onprogress: (p) => {
      progress.push(p as Progress);
      everything.push(JSON.stringify(p));
      opts.onprogress?.(p as Progress);
    },
  });
  everything.push(JSON.stringify(r));
  return { r, progress, sc: r.structuredContent as Record<string, any> };
}

describe('invoke_model over stdio', () => {
  it('streams progress whose messages concatenate to the final text, multi-byte splits included', async () => {
    const tokens = Array.from({ length: 60 }, (_, i) => (i % 7 === 3 ? 'é😀 ' : `tok${i} `));
    fake.enqueue({
      crlf: true,
      steps: [
        { comment: 'OPENROUTER PROCESSING' },
        { data: chunk('') },
        ...tokens.flatMap((t, i) => (i % 7 === 3 ? splitEvent(chunk(t), true) : [{ data: chunk(t) }, ...(i % 10 === 0 ? [{ wait: 60 }] : [])])),
        { data: chunk('fin', { finish: 'stop' }) },
        { data: chunk(null, { choices: [], usage: USAGE }) },
        { data: '[DONE]' },
        // This process (the MCP client) is busy while the server sends its last notification and its result:
        // without the server's pause between them, both reach the client in one read and the SDK v1 client drops
        // the notification (typescript-sdk #2580).
        { block: 8 },
      ],
    });
    const { r, progress, sc } = await invoke({ prompt: 'Say things', temperature: 0.3 });
    expect(r.isError).toBeFalsy();
    const expected = `${tokens.join('')}fin`;
    expect(sc.text).toBe(expected);
    expect(progress.map((p) => p.message ?? '').join('')).toBe(expected);
    expect(progress.length).toBeGreaterThan(1);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.progress).toBeGreaterThan(progress[i - 1]!.progress);
    expect(sc).toMatchObject({
      finish_reason: 'stop',
      model: 'mistralai/mistral-small-3.1-24b-instruct',
      provider: 'openrouter',
      upstream_provider: 'Cloudflare',
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
      cost_usd: USAGE.cost,
      generation_id: 'gen-test-1',
      retries: 0,
      passport: { slug: SEED_SLUG, verification: 'unknown_key' },
      warnings: [],
    });
    expect(sc.time_to_first_token_ms).toBeGreaterThan(0);
    const body = fake.requests[0]!.body;
    expect(body).toMatchObject({ model: 'mistralai/mistral-small-3.1-24b-instruct', stream: true, max_tokens: 1024, temperature: 0.3 });
    expect(fake.requests[0]!.headers['x-openrouter-title']).toBe('passport-mcp');
  });

  it('the last progress notification arrives even when the client is busy as the call ends (typescript-sdk #2580)', async () => {
    let lost = 0;
    for (let i = 0; i < 10; i++) {
      // This process (the MCP client) is busy while the server sends its last notification and then its result;
      // without a pause between the two they reach the client in one read and the SDK v1 client drops the
      // notification (measured: about 12 of 20 calls lose it).
      fake.enqueue({
        steps: [{ data: chunk('a') }, { wait: 10 }, { data: chunk('b') }, { data: chunk('c', { finish: 'stop' }) }, { data: '[DONE]' }, { block: 8 }],
      });
      const { sc, progress } = await invoke({ prompt: 'x' });
      if (progress.map((p) => p.message ?? '').join('') !== sc.text) lost++;
    }
    expect(lost).toBe(0);
  });

  it('sends a local image inside the root as a data: URL after the text', async () => {
    fake.enqueue({ steps: happy(['A red pixel.']) });
    const { r, sc } = await invoke({ prompt: 'What is in this picture?', images: [{ path: path.join(root, 'photo.png') }] });
    expect(r.isError).toBeFalsy();
    expect(sc.text).toBe('A red pixel.');
    const content = fake.requests[0]!.body.messages.at(-1).content;
    expect(content[0]).toEqual({ type: 'text', text: 'What is in this picture?' });
    expect(content[1].image_url.url).toBe(`data:image/png;base64,${PNG.toString('base64')}`);
  });

  it.each([
    ['..', () => path.join(root, '..', 'root-evil', 'secret.png')],
    ['a symlink out of the root', () => path.join(root, 'link.png')],
    ['a sibling root-evil next to root', () => path.join(dir, 'root-evil', 'secret.png')],
    ['/etc/passwd', () => '/etc/passwd'],
  ])('refuses an image path escaping the roots (%s) with no upstream request', async (_n, p) => {
    const { r } = await invoke({ prompt: 'look', images: [{ path: p() }] });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/images\[0\].*outside the allowed image folders/);
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses non-https image URLs and lying mime types before any upstream request', async () => {
    const a = await invoke({ prompt: 'look', images: [{ url: 'http://example.com/x.png' }] });
    expect(textOf(a.r)).toMatch(/only https/);
    const b = await invoke({ prompt: 'look', images: [{ data: PNG.toString('base64'), mime_type: 'image/jpeg' }] });
    expect(textOf(b.r)).toMatch(/bytes are PNG/);
    expect(fake.requests).toHaveLength(0);
  });

  it("the client's cancellation aborts the upstream request at once", async () => {
    fake.enqueue({ steps: [{ comment: 'OPENROUTER PROCESSING' }, { data: chunk('first ') }, { stall: true }] });
    const ac = new AbortController();
    let abortedAt = 0;
    const call = invoke(
      { prompt: 'long story' },
      {
        signal: ac.signal,
        onprogress: () => {
          if (!abortedAt) {
            abortedAt = performance.now();
            ac.abort();
          }
        },
      },
    );
    await expect(call).rejects.toThrow();
    expect(await waitFor(() => fake.requests[0]?.aborted === true, 3000)).toBe(true);
    expect(fake.requests[0]!.abortedAt! - abortedAt).toBeLessThan(1500);
    // The server keeps serving.
    fake.enqueue({ steps: happy(['still here']) });
    expect((await invoke({ prompt: 'ping' })).sc.text).toBe('still here');
  });

  it('honours Retry-After: the second attempt comes no earlier than the header says', async () => {
    fake.enqueue(
      {
        status: 429,
        headers: { 'retry-after': '1' },
        body: { error: { code: 429, message: 'Rate limit exceeded', metadata: { error_type: 'rate_limit_exceeded' } } },
      },
      { steps: happy(['after wait']) },
    );
    const { r, sc } = await invoke({ prompt: 'hi' });
    expect(r.isError).toBeFalsy();
    expect(sc).toMatchObject({ text: 'after wait', retries: 1 });
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('a mid-stream failure returns the partial text, marked incomplete, as an error result', async () => {
    fake.enqueue({
      steps: [
        { data: chunk('Half an ') },
        { data: chunk('answer') },
        {
          data: {
            id: 'g',
            error: { code: 502, message: 'Provider disconnected unexpectedly' },
            choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
          },
        },
      ],
    });
    const { r, sc, progress } = await invoke({ prompt: 'hi' });
    expect(r.isError).toBe(true);
    expect(textOf(r)).toMatch(/Provider disconnected unexpectedly.*incomplete/);
    expect(sc).toMatchObject({ text: 'Half an answer', incomplete: true, finish_reason: 'error' });
    expect(progress.map((p) => p.message ?? '').join('')).toBe('Half an answer');
  });

  it('the key appears in no result, progress message or log, even when the upstream echoes it', async () => {
    fake.enqueue({ status: 401, echoHeaders: true });
    const a = await invoke({ prompt: 'hi' });
    expect(a.r.isError).toBe(true);
    expect(textOf(a.r)).toMatch(/OPENROUTER_API_KEY/);
    fake.enqueue({
      steps: [
        { data: chunk(`leak ${KEY.slice(0, 20)}`) },
        { data: chunk(`${KEY.slice(20)} done`) },
        { data: { error: { code: 'server_error', message: `request was: Authorization: Bearer ${KEY}` } } },
      ],
    });
    const b = await invoke({ prompt: `repeat ${KEY}` });
    expect(b.r.isError).toBe(true);
    expect(b.sc.text).toBe('leak [redacted] done');
    fake.enqueue({ status: 400, body: { error: { code: 400, message: 'Provider returned error', metadata: { raw: `bad key ${KEY}` } } } });
    await invoke({ prompt: 'x' });
    const all = everything.join('\n') + s.stderr();
    expect(everything.length).toBeGreaterThan(5);
    expect(all).not.toContain(KEY);
    expect(all).not.toContain('DISTINCTIVE-e2e');
  });
});

describe('invoke_model refusals on other servers', () => {
  it('with no provider configured, says which env vars to set', async () => {
    // In process: the tool's refusal, with no server start-up to wait for.
    const bare = await startInProcess();
    try {
      const r = await bare.client.callTool({ name: 'invoke_model', arguments: { prompt: 'hi' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/OPENROUTER_API_KEY.*MISTRAL_API_KEY.*PASSPORT_MCP_LLM_BASE_URL/);
    } finally {
      await bare.close();
    }
  });

  it('--require-verified refuses an unverified passport and says how to add a trust key', async () => {
    // In process: the tool's refusal, with no server start-up to wait for.
    const strict = await startInProcess({ env: { OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: fake.baseUrl }, args: ['--require-verified'] });
    try {
      const r = await strict.client.callTool({ name: 'invoke_model', arguments: { prompt: 'hi' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/not verified.*--trust-key unfragile\.ai=KEY/);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('warns at start about an image root that does not exist or is not a directory', async () => {
    const file = path.join(dir, 'root', 'photo.png');
    const t = await startInProcess({ args: ['--image-root', path.join(dir, 'no-such-dir'), '--image-root', file, '--image-root', root] });
    try {
      expect(t.stderr()).toMatch(/image root .*no-such-dir: no such directory; no image is read from it/);
      expect(t.stderr()).toMatch(/image root .*photo\.png is not a directory/);
      expect(t.stderr()).not.toMatch(new RegExp(`image root ${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[: ]`));
    } finally {
      await t.close();
    }
  });

  it('a passport altered after signing: refused with --require-verified (saying so, not "add a key"), and warned about without it', async () => {
    const { makeKey, seedDocument, signPassport } = await import('../support/keys.js');
    const key = makeKey();
    const doc = seedDocument();
    doc.passport.unfragile = { ...doc.passport.unfragile, artifact: { ...(doc.passport.unfragile.artifact as object), slug: 'tampered' } };
    signPassport(doc.passport, key);
    // Altered after signing: the model it points at is not the one the issuer signed.
    (doc.passport.unfragile.artifact as Record<string, unknown>).url = 'https://openrouter.ai/models/openai~gpt-4o';
    const pdir = mkdtempSync(path.join(tmpdir(), 'pmcp-tampered-'));
    writeFileSync(path.join(pdir, 'tampered.json'), JSON.stringify(doc));
    const base = {
      env: { OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: fake.baseUrl },
      args: ['--passports', pdir, '--trust-key', `unfragile.ai=${key.rawBase64}`],
    };
    const strict = await startInProcess({ ...base, args: [...base.args, '--require-verified'] });
    try {
      const r = await strict.client.callTool({ name: 'invoke_model', arguments: { prompt: 'hi', slug: 'tampered' } });
      expect(r.isError).toBe(true);
      expect(textOf(r)).toMatch(/invalid_signature.*changed after it was signed/);
      expect(textOf(r)).not.toMatch(/--trust-key/);
      expect(fake.requests).toHaveLength(0);
    } finally {
      await strict.close();
    }
    fake.reset();
    fake.enqueue({ steps: happy(['ok']) });
    const lax = await startInProcess(base);
    try {
      const r = await lax.client.callTool({ name: 'invoke_model', arguments: { prompt: 'hi', slug: 'tampered' } });
      expect(r.isError, textOf(r)).toBeFalsy();
      const sc = r.structuredContent as { passport: { verification: string }; warnings: string[] };
      expect(sc.passport.verification).toBe('invalid_signature');
      expect(sc.warnings[0]).toMatch(/passport "tampered" failed verification \(invalid_signature/);
    } finally {
      await lax.close();
    }
  });
});
