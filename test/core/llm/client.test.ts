// The streaming client over a real loopback server: SSE quirks, in-band errors, HTTP errors, retries with
// Retry-After, timeouts, truncation, resets, cancellation and secret scrubbing. No mocked fetch.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLlmClient, LlmCallError, MAX_ANSWER_CHARS, type ChatCall, type LlmClient } from '../../../src/core/llm/client.js';
import type { Target } from '../../../src/core/llm/types.js';
import { createScrubber } from '../../../src/core/secrets.js';
import { chunk, happy, splitEvent, startFakeUpstream, USAGE, waitFor, type FakeUpstream } from '../../support/fake-upstream.js';
import { ManualClock } from './manual-clock.js';

const KEY = 'sk-or-v1-UNITKEY-0123456789abcdef0123456789abcdef';
const SCRUB = createScrubber([KEY]);
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
  const p = client.chat({
    target: target(),
    body: { model: 'x', messages: [], stream: true, max_tokens: 64 },
    scrub: SCRUB,
    onText: (d) => deltas.push(d),
    ...over,
  });
  return { p, deltas };
}

/** A client on a clock the test drives: Retry-After waits and timeouts are exact and cost no wall time. */
function clocked(clock: ManualClock, over: Partial<ChatCall> = {}) {
  const c = createLlmClient({ clock, retryBaseMs: 20, retryMaxDelayMs: 50 });
  const p = c.chat({ target: target(), body: { model: 'x', messages: [], stream: true, max_tokens: 64 }, scrub: SCRUB, ...over });
  return { p: p.finally(() => c.close()) };
}

async function failure(p: Promise<unknown>): Promise<LlmCallError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
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
    expect(r).toMatchObject({
      finishReason: 'stop',
      model: 'mistralai/mistral-small-3.1-24b-instruct',
      upstreamProvider: 'Cloudflare',
      generationId: 'gen-test-1',
      retries: 0,
    });
    expect(r.usage).toEqual(USAGE);
    expect(r.ttftMs).toBeGreaterThan(0);
    const h = fake.requests[0]!.headers;
    expect(h.authorization).toBe(`Bearer ${KEY}`);
    expect(h['http-referer']).toBeTruthy();
    expect(h['x-title']).toBe('passport-mcp');
    expect(h['x-openrouter-title']).toBe('passport-mcp');
    expect(fake.requests[0]!.url).toBe('/api/v1/chat/completions');
  });

  it('skips a data event that is not JSON, and says so in the warnings', async () => {
    const steps = happy(['Hel', 'lo']);
    steps.splice(2, 0, { data: '{not json' }, { data: '<html>oops</html>' });
    fake.enqueue({ steps });
    const r = await (await call()).p;
    expect(r.text).toBe('Hello');
    expect(r.warnings).toContain('OpenRouter sent 2 stream event(s) that were not JSON; they were skipped, so the answer may miss text');
    // A clean stream has no such warning.
    fake.enqueue({ steps: happy(['ok']) });
    expect((await (await call()).p).warnings).toEqual([]);
  });

  it('closes a stream that does not stop at max_tokens once the answer reaches MAX_ANSWER_CHARS, and says so', async () => {
    // One unit, then 64 Ki units of two-unit characters (U+1F600) per token: the cap falls inside a character.
    fake.enqueue({ steps: happy(['x', ...Array.from({ length: 12 }, () => '\u{1F600}'.repeat(32 * 1024))]) });
    const { p, deltas } = await call();
    const r = await p;
    expect(r.text.length).toBe(MAX_ANSWER_CHARS - 1); // the character across the cap is left out whole
    expect(r.text.endsWith('\u{1F600}')).toBe(true);
    expect(deltas.join('')).toBe(r.text);
    expect(r.finishReason).toBe('length');
    expect(r.warnings.join('\n')).toMatch(/sent more than 524288 characters .* the answer is cut there/);
  });

  it('handles CRLF and multi-byte UTF-8 split across writes', async () => {
    fake.enqueue({
      crlf: true,
      steps: [
        { comment: 'OPENROUTER PROCESSING' },
        ...splitEvent(chunk('café '), true),
        ...splitEvent(chunk('😀 ✓ 日本'), true),
        ...splitEvent(chunk('!', { finish: 'stop' }), true),
        { data: '[DONE]' },
      ],
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
    fake.enqueue({
      status: 200,
      body: {
        id: 'cmpl-1',
        model: 'local',
        choices: [{ message: { role: 'assistant', content: 'whole' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      },
    });
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
        {
          data: {
            id: 'gen-x',
            error: { code: 502, message: 'Provider disconnected unexpectedly', metadata: { error_type: 'provider_unavailable' } },
            choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }],
          },
        },
        { data: '[DONE]' },
      ],
    });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/502.*Provider disconnected/);
    expect(e.partial?.text).toBe('Hi');
    expect(fake.requests).toHaveLength(1);
  });

  it('(b) string code, without [DONE]', async () => {
    fake.enqueue({
      steps: [
        { data: chunk('Hi') },
        { data: { id: 'g', error: { code: 'server_error', message: 'boom' }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] } },
      ],
    });
    const e = await failure((await call()).p);
    expect(e.message).toMatch(/server_error.*boom/);
  });

  it('an error chunk ends the stream even when choices carry content', async () => {
    fake.enqueue({
      steps: [
        { data: chunk('A') },
        { data: { ...chunk('B'), error: { code: 500, message: 'mixed' } } },
        { data: chunk('C', { finish: 'stop' }) },
        { data: '[DONE]' },
      ],
    });
    const e = await failure((await call()).p);
    expect(e.partial?.text).toBe('A');
  });

  it('(c) before any token, choices: [] and code 429 -> retried like an HTTP 429', async () => {
    fake.enqueue(
      {
        steps: [
          { comment: 'OPENROUTER PROCESSING' },
          { data: { id: 'g', choices: [], error: { code: 429, message: 'Provider returned error', metadata: { error_type: 'rate_limit_exceeded' } } } },
        ],
      },
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
    [
      404,
      {
        error: {
          message: 'No endpoints found',
          metadata: { availability: { retryable: false, fallback_models: ['mistralai/mistral-small-3.2-24b-instruct'] } },
        },
      },
      /No endpoints found.*mistral-small-3.2/,
    ],
    [413, '<html><body><h1>413 Request Entity Too Large</h1></body></html>', /413.*Request Entity Too Large/],
    [
      422,
      {
        object: 'error',
        message: { detail: [{ type: 'extra_forbidden', loc: ['body', 'top_k'], msg: 'Extra inputs are not permitted' }] },
        type: 'invalid_request_message_error',
      },
      /422: top_k \(extra_forbidden/,
    ],
    [
      400,
      { error: { code: 400, message: 'Provider returned error', metadata: { raw: '{"message":"image too big"}' } } },
      /Provider returned error.*image too big/,
    ],
  ])('%i is mapped to an actionable message', async (status, body, re) => {
    fake.enqueue({ status, body });
    const e = await failure((await call({ images: [{ label: 'images[0] (a.png)', bytes: 5_000_000 }] })).p);
    expect(e.message).toMatch(re);
    expect(e.status).toBe(status);
    expect(fake.requests).toHaveLength(1);
  });

  it("an upstream that echoes the request in its error: the caller's text stays out of the message", async () => {
    const secretish = 'please summarise my private diary entry of 3 May';
    const body = { model: 'x', messages: [{ role: 'user', content: secretish }], stream: true, max_tokens: 64 };
    const raw = JSON.stringify({ received: body });
    fake.enqueue({ status: 400, body: { error: { code: 400, message: `Provider returned error: ${raw}`, metadata: { raw } } } });
    const e = await failure((await call({ body })).p);
    expect(e.message).toMatch(/400/);
    expect(e.message).not.toContain('diary');
    expect(e.message).toContain('[your request]');
  });

  it('a long echoed prompt, or one with runs of spaces, stays out of the message too (the message is cut and squeezed)', async () => {
    const note = Array.from({ length: 100 }, (_, i) => `private note line ${i}: I met my doctor about the diagnosis.`).join(' ');
    for (const secretish of [note, 'my bank  PIN is 4321,   keep it safe please']) {
      const body = { model: 'x', messages: [{ role: 'user', content: secretish }], stream: true, max_tokens: 64 };
      const raw = JSON.stringify({ received: body });
      fake.enqueue({ status: 400, body: { error: { code: 400, message: `Provider returned error: ${raw}`, metadata: { raw } } } });
      const e = await failure((await call({ body })).p);
      expect(e.message).toMatch(/400/);
      expect(e.message).not.toMatch(/doctor|PIN|4321|private note/);
    }
  });

  it("Mistral's retired model becomes a clear message", async () => {
    fake.enqueue({ status: 400, body: { object: 'error', message: 'Invalid model: mistral-small-2503', type: 'invalid_model', param: null, code: '1500' } });
    const e = await failure((await call({ target: target({ provider: 'mistral', label: "Mistral's API", keyEnv: 'MISTRAL_API_KEY' }) })).p);
    expect(e.message).toMatch(/Mistral's API no longer serves Small 3.1; use OpenRouter/);
  });

  it('honours Retry-After (seconds) on 429 before the first token and counts retries', async () => {
    fake.enqueue(
      { status: 429, headers: { 'retry-after': '7', 'x-ratelimit-remaining': '0' }, body: { error: { code: 429, message: 'Rate limit exceeded' } } },
      { steps: happy(['late']) },
    );
    const clock = new ManualClock({ autoSleep: true });
    const r = await clocked(clock).p;
    expect(r).toMatchObject({ text: 'late', retries: 1 });
    expect(clock.slept).toEqual([7_000]);
    expect(fake.requests).toHaveLength(2);
  });

  it('honours Retry-After as an HTTP date, and availability.retry_after in the body', async () => {
    const when = new Date(Date.now() + 20_000).toUTCString(); // second resolution: 19-20 s from now
    fake.enqueue(
      { status: 503, headers: { 'retry-after': when }, body: '' },
      { status: 404, body: { error: { message: 'no endpoint now', metadata: { availability: { retryable: true, retry_after: 3 } } } } },
      { steps: happy(['ok']) },
    );
    const clock = new ManualClock({ autoSleep: true });
    expect((await clocked(clock).p).text).toBe('ok');
    expect(clock.slept).toHaveLength(2);
    expect(clock.slept[0]).toBeGreaterThan(18_000);
    expect(clock.slept[0]).toBeLessThanOrEqual(20_000);
    expect(clock.slept[1]).toBe(3_000);
  });

  it('without Retry-After: capped exponential backoff with full jitter', async () => {
    for (let i = 0; i < 3; i++) fake.enqueue({ status: 502, body: 'bad gateway' });
    fake.enqueue({ steps: happy(['up']) });
    const clock = new ManualClock({ autoSleep: true });
    const c = createLlmClient({ clock, retryBaseMs: 500, retryMaxDelayMs: 1_500, random: () => 0.5 });
    const r = await c.chat({ target: target(), body: {}, scrub: SCRUB }).finally(() => c.close());
    expect(r.retries).toBe(3);
    expect(clock.slept).toEqual([250, 500, 750]);
  });

  it('a Retry-After that would outlast the time budget fails at once and says so', async () => {
    fake.enqueue({ status: 429, headers: { 'retry-after': '20' }, body: { error: { message: 'later' } } });
    const clock = new ManualClock({ autoSleep: true });
    const c = createLlmClient({ clock, totalTimeoutMs: 10_000 });
    const e = await failure(c.chat({ target: target(), body: {}, scrub: SCRUB }).finally(() => c.close()));
    expect(e.message).toMatch(/time budget for the call ran out/);
    expect(clock.slept).toEqual([]);
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
    const comments = Array.from({ length: 5 }, () => ({ comment: 'OPENROUTER PROCESSING' }));
    fake.enqueue({ steps: [...comments, { stall: true }] });
    const clock = new ManualClock();
    const fast = createLlmClient({ clock, firstTokenTimeoutMs: 300, maxRetries: 0 });
    const p = failure(fast.chat({ target: target(), body: {}, scrub: SCRUB }));
    // Readiness: the upstream has the request and has sent its comments; only then does (fake) time pass.
    await waitFor(() => fake.requests.length === 1, 5_000);
    clock.advance(299);
    expect(clock.armed()).toContain(300);
    clock.advance(1);
    const e = await p;
    expect(e.message).toMatch(/no token within 0.3 s/);
    await waitFor(() => fake.requests[0]!.aborted, 5_000);
    expect(fake.requests[0]!.aborted).toBe(true);
    await fast.close();
  });

  it('a provider silent past the first-token timeout is tried once more, not until the budget runs out', async () => {
    const silent = { steps: [{ comment: 'OPENROUTER PROCESSING' }, { stall: true as const }] };
    fake.enqueue(silent, silent, silent, silent);
    const clock = new ManualClock();
    const c = createLlmClient({ clock, firstTokenTimeoutMs: 300, retryBaseMs: 1, retryMaxDelayMs: 1, maxRetries: 3 });
    let result: LlmCallError | undefined;
    void failure(c.chat({ target: target(), body: {}, scrub: SCRUB })).then((e) => (result = e));
    // Readiness: the request reached the upstream; then its first-token timer runs out.
    await waitFor(() => fake.requests.length === 1, 5_000);
    clock.advance(300);
    // The retry's back-off sleeps on the same clock: move it on until the second request arrives.
    await waitFor(() => (clock.advance(1), fake.requests.length === 2), 5_000);
    clock.advance(300);
    // No third request: the call fails, whatever the clock does next.
    await waitFor(() => (clock.advance(1), result !== undefined), 5_000);
    expect(result!.message).toMatch(/no token within 0.3 s/);
    expect(result!.retries).toBe(1);
    expect(fake.requests).toHaveLength(2);
    await c.close();
  });

  it('the total budget covers the whole call, retries included', async () => {
    fake.enqueue({ steps: [{ data: chunk('slow') }, { stall: true }] });
    const clock = new ManualClock();
    const c = createLlmClient({ clock, totalTimeoutMs: 5_000, idleTimeoutMs: 60_000 });
    const got = new Promise<void>((resolve) => {
      void failure(c.chat({ target: target(), body: {}, scrub: SCRUB, onText: () => resolve() })).then((e) => (result = e));
    });
    let result: LlmCallError | undefined;
    await got;
    clock.advance(5_000);
    await waitFor(() => result !== undefined, 5_000);
    expect(result!.message).toMatch(/longer than its 5 s budget/);
    expect(result!.partial?.text).toBe('slow');
    await c.close();
  });

  it('an idle stall after tokens fails with the partial text (comments do not reset the idle timer)', async () => {
    const comments = Array.from({ length: 5 }, () => ({ comment: 'OPENROUTER PROCESSING' }));
    fake.enqueue({ steps: [{ data: chunk('half') }, ...comments, { stall: true }] });
    const clock = new ManualClock();
    const c = createLlmClient({ clock, idleTimeoutMs: 800 });
    let result: LlmCallError | undefined;
    const got = new Promise<void>((resolve) => {
      void failure(c.chat({ target: target(), body: {}, scrub: SCRUB, onText: () => resolve() })).then((e) => (result = e));
    });
    // Readiness: the first token arrived, so the idle timer is armed; then fake time passes.
    await got;
    expect(clock.armed()).toContain(800);
    clock.advance(800);
    await waitFor(() => result !== undefined, 5_000);
    expect(result!.message).toMatch(/stalled: nothing for 0.8 s/);
    expect(result!.partial?.text).toBe('half');
    await waitFor(() => fake.requests[0]!.aborted, 5_000);
    expect(fake.requests[0]!.aborted).toBe(true);
    await c.close();
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
    const clock = new ManualClock();
    const { p } = clocked(clock, { signal: ac.signal });
    // Readiness: the client is waiting out the 5 s; fake time never reaches it, so only the abort can end it.
    await waitFor(() => clock.slept.length === 1, 5_000);
    expect(clock.slept).toEqual([5_000]);
    ac.abort();
    const e = await failure(p);
    expect(e.cancelled).toBe(true);
    expect(fake.requests).toHaveLength(1);
  });
});

describe('secrets', () => {
  it('scrubs the key from streamed text even when split across chunks, and from in-band errors', async () => {
    const half = Math.floor(KEY.length / 2);
    fake.enqueue({
      steps: [
        { data: chunk(`key=${KEY.slice(0, half)}`) },
        { data: chunk(`${KEY.slice(half)} end`) },
        { data: { error: { code: 'x', message: `echo Bearer ${KEY}` } } },
      ],
    });
    const { p, deltas } = await call();
    const e = await failure(p);
    expect(deltas.join('')).toBe('key=[redacted] end');
    expect(e.partial?.text).toBe('key=[redacted] end');
    expect(e.message).not.toContain(KEY.slice(10));
  });
});
