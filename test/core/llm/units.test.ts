// Small pure pieces: error body parsing, Retry-After, the streaming scrubber, the progress relay, prices.
import { describe, expect, it } from 'vitest';
import { pricePerToken } from '../../../src/core/llm/invoke.js';
import { createProgressRelay } from '../../../src/core/llm/progress.js';
import { createStreamScrubber } from '../../../src/core/secrets.js';
import { describeHttpError, parseErrorBody, parseRetryAfter } from '../../../src/core/llm/upstream-errors.js';

describe('parseErrorBody', () => {
  it('reads every documented shape, defensively', () => {
    expect(parseErrorBody('{"error":{"code":429,"message":"slow","metadata":{"error_type":"rate_limit_exceeded","raw":{"x":1}}}}')).toMatchObject({
      code: 429,
      message: 'slow',
      errorType: 'rate_limit_exceeded',
      raw: '{"x":1}',
    });
    expect(parseErrorBody('{"object":"error","message":"Invalid model","type":"invalid_model","code":"1500"}')).toMatchObject({
      message: 'Invalid model',
      type: 'invalid_model',
      code: '1500',
    });
    expect(parseErrorBody('{"message":{"detail":[{"type":"extra_forbidden","loc":["body","seed"],"msg":"no"}]}}').fields).toEqual([
      'seed (extra_forbidden: no)',
    ]);
    expect(parseErrorBody('{"detail":"Unauthorized"}').message).toBe('Unauthorized');
    expect(parseErrorBody('{"message":"Requests rate limit exceeded"}').message).toBe('Requests rate limit exceeded');
    expect(parseErrorBody('').message).toMatch(/no details/);
    expect(parseErrorBody(`<html><h1>413</h1>${'x'.repeat(1000)}</html>`).message.length).toBeLessThanOrEqual(201);
    expect(parseErrorBody('{"error":"plain"}').message).toBe('plain');
    expect(
      parseErrorBody('{"error":{"message":"No endpoints","metadata":{"availability":{"retryable":true,"fallback_models":["a"]}}}}').availability,
    ).toMatchObject({ retryable: true });
  });
  it('Retry-After: seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter(new Date(0).toUTCString(), 4_000)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});

describe('createStreamScrubber', () => {
  const KEY = 'sk-or-v1-abcdefghijklmnop';
  it('outputs concatenate to the scrubbed whole, whatever the split', () => {
    const text = `a ${KEY} b s sk sk-or ${KEY}${KEY} end sk-or-v1-abc`;
    for (let step = 1; step < 12; step++) {
      const s = createStreamScrubber([KEY, 'short']);
      let out = '';
      for (let i = 0; i < text.length; i += step) out += s.push(text.slice(i, i + step));
      out += s.end();
      expect(out).toBe(text.split(KEY).join('[redacted]'));
    }
  });
  it('passes text through untouched with no secrets', () => {
    const s = createStreamScrubber([undefined]);
    expect(s.push('sk-')).toBe('sk-');
  });
});

describe('createProgressRelay', () => {
  it('sends the first piece at once, coalesces the rest, progress strictly increases, messages concatenate to the text', async () => {
    const sent: { progress: number; message?: string }[] = [];
    const relay = createProgressRelay(async (progress, message) => void sent.push({ progress, message }), { intervalMs: 30 });
    relay.push('a');
    expect(sent).toHaveLength(1);
    for (let i = 0; i < 50; i++) relay.push('é');
    await new Promise((r) => setTimeout(r, 60));
    relay.push('😀');
    await relay.finish();
    expect(sent.map((s) => s.message).join('')).toBe(`a${'é'.repeat(50)}😀`);
    expect(sent.length).toBeLessThan(6);
    for (let i = 1; i < sent.length; i++) expect(sent[i]!.progress).toBeGreaterThan(sent[i - 1]!.progress);
  });
  it('sends keep-alives (no message) while nothing arrives', async () => {
    const sent: { progress: number; message?: string }[] = [];
    const relay = createProgressRelay(async (progress, message) => void sent.push({ progress, message }), { keepAliveMs: 20 });
    await new Promise((r) => setTimeout(r, 70));
    relay.push('x');
    await relay.finish();
    expect(sent.filter((s) => s.message === undefined).length).toBeGreaterThanOrEqual(1);
    expect(sent.map((s) => s.message ?? '').join('')).toBe('x');
  });
});

describe('pricePerToken', () => {
  it('reads the seed price and a few other spellings', () => {
    expect(pricePerToken('$3.50e-7 per prompt token')).toEqual({ usd: 3.5e-7, per: 'prompt' });
    expect(pricePerToken('$0.10 per 1M tokens')!.usd).toBeCloseTo(1e-7);
    expect(pricePerToken('free')).toBeUndefined();
  });
});

describe('describeHttpError wording', () => {
  const target = (provider: 'openrouter' | 'mistral') => ({ provider, label: provider, baseUrl: 'http://127.0.0.1:1', keyEnv: 'K', model: 'm' }) as never;
  it('gives a small image its size in KB, not "0.0 MB"', () => {
    const m = describeHttpError(413, parseErrorBody('too large'), {
      target: target('openrouter'),
      maxTokens: 64,
      images: [{ label: 'images[0] (photo.png)', bytes: 69 }],
    });
    expect(m).toMatch(/images\[0\] \(photo\.png\) at 1 KB/);
    const big = describeHttpError(413, parseErrorBody('too large'), {
      target: target('openrouter'),
      maxTokens: 64,
      images: [{ label: 'a', bytes: 3.5 * 1024 * 1024 }],
    });
    expect(big).toMatch(/at 3\.5 MB/);
  });
  it('names unsupported parameters on a 404 only for OpenRouter, whose routing filters on them', () => {
    const body = JSON.stringify({ error: { message: 'No endpoints found matching your data policy constraint' } });
    expect(describeHttpError(404, parseErrorBody(body), { target: target('openrouter'), maxTokens: 64, images: [] })).toMatch(/stop or response_format/);
    expect(describeHttpError(404, parseErrorBody(body), { target: target('mistral'), maxTokens: 64, images: [] })).not.toMatch(/stop or response_format/);
  });
});

describe('401 wording', () => {
  it('says the key is missing when none is set, and rejected when one is', () => {
    const t = (apiKey?: string) =>
      ({
        provider: 'openai-compatible',
        label: 'the OpenAI-compatible server',
        baseUrl: 'http://127.0.0.1:1',
        keyEnv: 'PASSPORT_MCP_LLM_API_KEY',
        model: 'm',
        apiKey,
      }) as never;
    expect(describeHttpError(401, parseErrorBody('unauthorized'), { target: t(), maxTokens: 64, images: [] })).toMatch(
      /wants an API key \(401: .*\), and none is set\. Set PASSPORT_MCP_LLM_API_KEY/,
    );
    expect(describeHttpError(401, parseErrorBody('unauthorized'), { target: t('k-123456'), maxTokens: 64, images: [] })).toMatch(/rejected the API key/);
  });
});
