// The streaming client over a real loopback server: SSE quirks, in-band errors, HTTP errors, retries with
// Retry-After, timeouts, truncation, resets, cancellation and secret scrubbing. No mocked fetch.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient, LlmCallError, type ChatCall, type LlmClient } from '../../../src/core/llm/client.js';
import type { Target } from '../../../src/core/llm/types.js';
import { chunk, happy, splitEvent, startFakeUpstream, USAGE, waitFor, type FakeUpstream } from '../../support/fake-upstream.js';

const KEY = 'sk-or-v1-UNITKEY-0123456789abcdef0123456789abcdef';
let fake: FakeUpstream;
let client: LlmClient;

beforeAll(async () => {
  fake = await startFakeUpstream();
  client = createLlmClient({ firstTokenTimeoutMs: 1500, idleTimeoutMs: 800, retryBaseMs: 20, retryMaxDelayMs: 50, totalTimeoutMs: 20_000 });
});
afterAll(async () => {
  await client.close();
  await fake.close();
});
afterEach(() => fake.reset());

const target = (over: Partial<Target> = {}): Target => ({
  provider: 'openrouter',
  label: 'OpenRouter',
  baseUrl: fake.baseUrl,
  apiKey: KEY,
  keyEnv: 'OPENROUTER_API_KEY',
  model: 'mistralai/mistral-small-3.1-24b-instruct',
  ...over,
});

async function call(over: Partial<ChatCall> = {}) {
  const deltas: string[] = [];
  const p = client.chat({ target: target(), body: { model: 'x', messages: [], stream: true, max_tokens: 64 }, secrets: [KEY], onText: (d) => deltas.push(d), ...over });
  return { p, deltas };
}

async function failure(p: Promise<unknown>): Promise<LlmCallError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(LlmCallError);
  return e as LlmCallError;
}

describe('streaming', () => {
  it('reads a happy OpenRouter stream: comments, usage chunk with choices: [], [DONE], headers sent', async () => {
    fake.enqueue({ steps: happy(['Hel', 'lo', ' world'], { comments: 3 }) });
    const { p, deltas } = await call();
    const r = await p;
    expect(r.text).toBe('Hello world');
    expect(deltas.join('')).toBe(r.text);
    expect(r).toMatchObject({ finishReason: 'stop', model: 'mistralai/mistral-small-3.1-24b-instruct', upstreamProvider: 'Cloudflare', generationId: 'gen-test-1', retries: 0 });
    expect(r.usage).toEqual(USAGE);
    expect(r.ttftMs).toBeGreaterThan(0);
    const h = fake.requests[0]!.headers;
    expect(h.authorization).toBe(`Bearer ${KEY}`);
    expect(h['http-referer']).toBeTruthy();
    expect(h['x-title']).toBe('passport-mcp');
    expect(h['x-openrouter-title']).toBe('passport-mcp');
    expect(fake.requests[0]!.url).toBe('/api/v1/chat/completions');
  });

  it('handles CRLF and multi-byte UTF-8 split across writes', async () => {
    fake.enqueue({
      crlf: true,
      steps: [{ comment: 'OPENROUTER PROCESSING' }, ...splitEvent(chunk('café '), true), ...splitEvent(chunk('😀 ✓ 日本'), true), ...splitEvent(chunk('!', { finish: 'stop' }), true), { data: '[DONE]' }],
    });
    const { p, deltas } = await call();
    const r = await p;
    expect(r.text).toBe('café 😀 ✓ 日本!');
    expect(deltas.join('')).toBe(r.text);
    expect(r.text).not.toContain('\uFFFD');
  });

  it('keeps the last non-null finish_reason when a later usage chunk says null', async () => {
    fake.enqueue({ steps: [{ data: chunk('a', { finish: 'length' }) }, { data: { ...chunk('', { usage: USAGE }) } }, { data: '[DONE]' }] });
    const r = await (await call()).p;
    expect(r.finishReason).toBe('length');
    expect(r.usage).toEqual(USAGE);
  });

  it('accepts a stream that ends with a finish_reason but no [DONE] (Mistral-like)', async () => {
    fake.enqueue({ steps: happy(['x'], { done: false, comments: 0 }) });
    expect((await (await call()).p).text).toBe('x');
  });

  it('accepts a server that ignores stream:true and sends one JSON completion', async () => {
    fake.enqueue({ status: 200, body: { id: 'cmpl-1', model: 'local', choices: [{ message: { role: 'assistant', content: 'whole' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } } });
    const r = await (await call()).p;
    expect(r).toMatchObject({ text: 'whole', model: 'local', finishReason: 'stop', generationId: 'gen-test-1'.replace('gen-test-1', 'cmpl-1') });
  });

  it('EOF without [DONE] or finish_reason after tokens is a truncated error with the partial text', async () => {
    fake.enqueue({ steps: [{ data: chunk('part') }, { data: chunk('ial') }] });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/truncated/);
    expect(e.partial?.text).toBe('partial');
    expect(fake.requests).toHaveLength(1);
  });

  it('a socket reset mid-stream returns the partial text and is not retried', async () => {
    fake.enqueue({ steps: [{ data: chunk('so far') }, { wait: 20 }, { reset: true }] });
    const e = await failure((await call()).p);
    expect(e.partial?.text).toBe('so far');
    expect(e.message).toMatch(/reset|while streaming/);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('in-band errors', () => {
  it('(a) after tokens: numeric code, finish_reason error -> error with partial text, no retry', async () => {
    fake.enqueue({
      steps: [
        { data: chunk('Hi') },
        { data: { id: 'gen-x', error: { code: 502, message: 'Provider disconnected unexpectedly', metadata: { error_type: 'provider_unavailable' } }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] } },
        { data: '[DONE]' },
      ],
    });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/502.*Provider disconnected/);
    expect(e.partial?.text).toBe('Hi');
    expect(fake.requests).toHaveLength(1);
  });

  it('(b) string code, without [DONE]', async () => {
    fake.enqueue({ steps: [{ data: chunk('Hi') }, { data: { id: 'g', error: { code: 'server_error', message: 'boom' }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] } }] });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/server_error.*boom/);
  });

  it('an error chunk ends the stream even when choices carry content', async () => {
    fake.enqueue({ steps: [{ data: chunk('A') }, { data: { ...chunk('B'), error: { code: 500, message: 'mixed' } } }, { data: chunk('C', { finish: 'stop' }) }, { data: '[DONE]' }] });
    const e = await failure((await call()).p);
    expect(e.partial?.text).toBe('A');
  });

  it('(c) before any token, choices: [] and code 429 -> retried like an HTTP 429', async () => {
    fake.enqueue(
      { steps: [{ comment: 'OPENROUTER PROCESSING' }, { data: { id: 'g', choices: [], error: { code: 429, message: 'Provider returned error', metadata: { error_type: 'rate_limit_exceeded' } } } }] },
      { steps: happy(['ok']) },
    );
    const r = await (await call()).p;
    expect(r.text).toBe('ok');
    expect(r.retries).toBe(1);
    expect(fake.requests).toHaveLength(2);
  });

  it("vLLM's {error} with no choices key, before tokens, retryable by code", async () => {
    fake.enqueue({ steps: [{ data: { error: { code: 503, message: 'overloaded', object: 'error' } } }] }, { steps: happy(['fine']) });
    const r = await (await call()).p;
    expect(r).toMatchObject({ text: 'fine', retries: 1 });
  });

  it('a non-retryable in-band error before tokens fails at once', async () => {
    fake.enqueue({ steps: [{ data: { error: { code: 400, message: 'context_length_exceeded' } } }] });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/context_length_exceeded/);
    expect(e.partial).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
  });
});

describe('HTTP errors and retries', () => {
  it('401 names the env var; a body echoing the Authorization header never shows the key', async () => {
    fake.enqueue({ status: 401, echoHeaders: true });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/OPENROUTER_API_KEY/);
    expect(e.message).not.toContain(KEY);
    expect(e.message).not.toContain('UNITKEY');
  });

  it.each([
    [402, { error: { code: 402, message: 'requires more credits, or fewer max_tokens' } }, /add credits.*max_tokens.*64/i],
    [403, { error: { code: 403, message: 'flagged', metadata: { reasons: ['violence'] } } }, /violence/],
    [404, { error: { message: 'No endpoints found', metadata: { availability: { retryable: false, fallback_models: ['mistralai/mistral-small-3.2-24b-instruct'] } } } }, /No endpoints found.*mistral-small-3.2/],
    [413, '<html><body><h1>413 Request Entity Too Large</h1></body></html>', /413.*Request Entity Too Large/],
    [422, { object: 'error', message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'top_k'], msg: 'Extra inputs are not permitted' }] }, type: 'invalid_request_message_error' }, /422: top_k \(extra_forbidden/],
    [400, { error: { code: 400, message: 'Provider returned error', metadata: { raw: '{"message":"image too big"}' } } }, /Provider returned error.*image too big/],
  ])('%i is mapped to an actionable message', async (status, body, re) => {
    fake.enqueue({ status, body });
    const e = await failure((await call({ images: [{ label: 'images[0] (a.png)', bytes: 5_000_000 }] })).p);
    expect(e.message).toMatch(re);
    expect(e.status).toBe(status);
    expect(fake.requests).toHaveLength(1);
  });

  it("Mistral's retired model becomes a clear message", async () => {
    fake.enqueue({ status: 400, body: { object: 'error', message: 'Invalid model: mistral-small-2503', type: 'invalid_model', param: null, code: '1500' } });
    const e = await failure((await call({ target: target({ provider: 'mistral', label: "Mistral's API", keyEnv: 'MISTRAL_API_KEY' }) })).p);
    expect(e.message).toMatch(/Mistral's API no longer serves Small 3.1; use OpenRouter/);
  });

  it('honours Retry-After (seconds) on 429 before the first token and counts retries', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '1', 'x-ratelimit-remaining': '0' }, body: { error: { code: 429, message: 'Rate limit exceeded' } } }, { steps: happy(['late']) });
    const r = await (await call()).p;
    expect(r).toMatchObject({ text: 'late', retries: 1 });
    expect(fake.requests[1]!.at - fake.requests[0]!.at).toBeGreaterThanOrEqual(990);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const when = new Date(Date.now() + 2000).toUTCString(); // second resolution: waits 1-2 s
    fake.enqueue({ status: 503, headers: { 'retry-after': when }, body: '' }, { steps: happy(['ok']) });
    const t0 = Date.now();
    await (await call()).p;
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
  });

  it('gives up after the retries and says it was rate-limited and retried N times', async () => {
    for (let i = 0; i < 4; i++) fake.enqueue({ status: 429, body: { error: { code: 429, message: 'slow down' } }, headers: { 'x-ratelimit-remaining': '0' } });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/rate-limited.*slow down.*x-ratelimit-remaining: 0.*Retried 3 times/);
    expect(e.retries).toBe(3);
    expect(fake.requests).toHaveLength(4);
  });

  it('does not wait for a Retry-After beyond the cap', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '120' }, body: { error: { message: 'later' } } });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/wait 120 s/);
    expect(fake.requests).toHaveLength(1);
  });

  it('retries 500/502/503/504/524/529 and connection errors, not 400', async () => {
    fake.enqueue({ status: 502, body: 'bad gateway' }, { status: 524, body: '' }, { steps: [{ reset: true }] }, { steps: happy(['up']) });
    const r = await (await call()).p;
    expect(r).toMatchObject({ text: 'up', retries: 3 });
  });

  it('a refused connection is a network error that says to check the base URL', async () => {
    const e = await failure((await call({ target: target({ baseUrl: 'http://127.0.0.1:1/v1' }) })).p);
    expect(e.message).toMatch(/connection refused.*check the base URL/);
  });
});

describe('timeouts and cancellation', () => {
  it('keep-alive comments do not count as a first token', async () => {
    const comments = Array.from({ length: 40 }, () => [{ comment: 'OPENROUTER PROCESSING' }, { wait: 50 }]).flat();
    for (let i = 0; i < 4; i++) fake.enqueue({ steps: [...comments, { stall: true }] as never });
    const fast = createLlmClient({ firstTokenTimeoutMs: 300, maxRetries: 0 });
    const t0 = Date.now();
    const e = await failure(fast.chat({ target: target(), body: {}, secrets: [KEY] }));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(e.message).toMatch(/no token within 0.3 s/);
    await fast.close();
  });

  it('an idle stall after tokens fails with the partial text (comments do not reset the idle timer)', async () => {
    const comments = Array.from({ length: 40 }, () => [{ comment: 'OPENROUTER PROCESSING' }, { wait: 50 }]).flat();
    fake.enqueue({ steps: [{ data: chunk('half') }, ...comments, { stall: true }] as never });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/stalled/);
    expect(e.partial?.text).toBe('half');
    await waitFor(() => fake.requests[0]!.aborted, 2000);
    expect(fake.requests[0]!.aborted).toBe(true);
  });

  it("the caller's abort reaches the upstream at once", async () => {
    fake.enqueue({ steps: [{ data: chunk('first') }, { stall: true }] });
    const ac = new AbortController();
    const { p } = await call({ signal: ac.signal, onText: () => ac.abort() });
    const e = await failure(p);
    expect(e.cancelled).toBe(true);
    expect(await waitFor(() => fake.requests[0]?.aborted === true, 2000)).toBe(true);
  });

  it('an abort during a Retry-After wait stops at once', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '5' }, body: {} });
    const ac = new AbortController();
    const { p } = await call({ signal: ac.signal });
    setTimeout(() => ac.abort(), 100);
    const t0 = Date.now();
    const e = await failure(p);
    expect(e.cancelled).toBe(true);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('secrets', () => {
  it('scrubs the key from streamed text even when split across chunks, and from in-band errors', async () => {
    const half = Math.floor(KEY.length / 2);
    fake.enqueue({ steps: [{ data: chunk(`key=${KEY.slice(0, half)}`) }, { data: chunk(`${KEY.slice(half)} end`) }, { data: { error: { code: 'x', message: `echo Bearer ${KEY}` } } }] });
    const { p, deltas } = await call();
    const e = await failure(p);
    expect(deltas.join('')).toBe('key=[redacted] end');
    expect(e.partial?.text).toBe('key=[redacted] end');
    expect(e.message).not.toContain(KEY.slice(10));
  });
});
