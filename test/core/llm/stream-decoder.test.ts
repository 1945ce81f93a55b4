// The pure stream decoder on wire data as providers write it (shared/UPSTREAMS.md §3): OpenRouter's keep-alive
// comments, CRLF, multi-byte characters split across reads, a usage chunk after the stop chunk, [DONE], in-band
// errors (a)(b)(c) and vLLM's bare {error}, Mistral's shape. Every stream is also fed split at every byte, and one
// byte at a time: the events never depend on how the bytes were cut.
import { describe, expect, it } from 'vitest';
import { createStreamDecoder, decodeCompletion, type StreamEvent, type StreamMeta } from '../../../src/core/llm/stream-decoder.js';

// Recorded OpenRouter wire data (UPSTREAMS.md §3), byte for byte.
const OPENROUTER_HAPPY = [
  ': OPENROUTER PROCESSING',
  '',
  ': OPENROUTER PROCESSING',
  '',
  'data: {"id":"gen-1","provider":"Cloudflare","model":"mistralai/mistral-small-3.1-24b-instruct","object":"chat.completion.chunk","created":1764000000,"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
  '',
  'data: {"id":"gen-1","provider":"Cloudflare","model":"mistralai/mistral-small-3.1-24b-instruct","object":"chat.completion.chunk","created":1764000000,"choices":[{"index":0,"delta":{"content":"Héllo 😀 日本"},"finish_reason":"stop","native_finish_reason":"stop"}]}',
  '',
  ': OPENROUTER PROCESSING',
  '',
  'data: {"id":"gen-1","provider":"Cloudflare","model":"mistralai/mistral-small-3.1-24b-instruct","object":"chat.completion.chunk","created":1764000000,"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":2,"total_tokens":14,"cost":0.0000053}}',
  '',
  'data: [DONE]',
  '',
  '',
].join('\n');

// The older variant: usage on a chunk with an empty delta and finish_reason null, after the stop chunk.
const OPENROUTER_LATE_USAGE = [
  'data: {"id":"gen-2","model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"length"}]}',
  '',
  'data: {"id":"gen-2","model":"m","choices":[{"index":0,"delta":{"content":""},"finish_reason":null}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}',
  '',
  'data: [DONE]',
  '',
  '',
].join('\r\n');

// Mistral: typed content chunks, finish_reason and usage in the same last chunk, no comments, no cost.
const MISTRAL = [
  'data: {"id":"cmpl-9","object":"chat.completion.chunk","created":1764000000,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
  '',
  'data: {"id":"cmpl-9","object":"chat.completion.chunk","created":1764000000,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"content":[{"type":"text","text":"Bon"},{"type":"text","text":"jour"}]},"finish_reason":null}]}',
  '',
  'data: {"id":"cmpl-9","object":"chat.completion.chunk","created":1764000000,"model":"mistral-small-latest","choices":[{"index":0,"delta":{"content":"."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}',
  '',
  'data: [DONE]',
  '',
  '',
].join('\n');

const IN_BAND_A = [
  'data: {"id":"gen-3","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}',
  '',
  'data: {"id":"gen-3","error":{"code":502,"message":"Provider disconnected unexpectedly","metadata":{"error_type":"provider_unavailable"}},"choices":[{"index":0,"delta":{"content":"never shown"},"finish_reason":"error"}]}',
  '',
  'data: {"id":"gen-3","choices":[{"index":0,"delta":{"content":"after the error"},"finish_reason":null}]}',
  '',
  'data: [DONE]',
  '',
  '',
].join('\n');
const IN_BAND_B =
  'data: {"id":"gen-4","choices":[{"index":0,"delta":{"content":"x"}}]}\n\ndata: {"id":"gen-4","error":{"code":"server_error","message":"boom"}}\n\n';
const IN_BAND_C =
  ': OPENROUTER PROCESSING\n\ndata: {"id":"gen-5","choices":[],"error":{"code":429,"message":"Provider returned error","metadata":{"error_type":"rate_limit_exceeded"}}}\n\n';
const VLLM_BARE = 'data: {"error":{"object":"error","message":"The model is overloaded","type":"ServiceUnavailable","code":503}}\n\n';

interface Decoded {
  events: StreamEvent[];
  meta: StreamMeta;
}

function decode(wire: string | Buffer, cuts: number[] = []): Decoded {
  const bytes = Buffer.isBuffer(wire) ? wire : Buffer.from(wire, 'utf8');
  const d = createStreamDecoder();
  const events: StreamEvent[] = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    events.push(...d.push(new Uint8Array(bytes.subarray(at, c))));
    at = c;
  }
  events.push(...d.end());
  return { events, meta: { ...d.meta } };
}

const textOf = (r: Decoded) => r.events.flatMap((e) => (e.type === 'text' ? [e.text] : [])).join('');
const kinds = (r: Decoded) => r.events.map((e) => e.type);

/** The same result whatever the cut: every single split point, and one byte per read. */
function expectSplitInvariant(wire: string): Decoded {
  const whole = decode(wire);
  const n = Buffer.byteLength(wire);
  const want = JSON.stringify(whole.events) + JSON.stringify(whole.meta);
  const differ: number[] = [];
  for (let i = 1; i < n; i++) {
    const r = decode(wire, [i]);
    if (JSON.stringify(r.events) + JSON.stringify(r.meta) !== want) differ.push(i);
  }
  expect(differ, 'split points where the events differ').toEqual([]);
  const bytewise = decode(
    wire,
    Array.from({ length: n - 1 }, (_, i) => i + 1),
  );
  expect(bytewise.events).toEqual(whole.events);
  return whole;
}

describe('stream decoder on recorded wire data', () => {
  it('OpenRouter happy stream: comments yield nothing, text with multi-byte characters, usage after stop, [DONE]', () => {
    const r = expectSplitInvariant(OPENROUTER_HAPPY);
    expect(textOf(r)).toBe('Héllo 😀 日本');
    expect(textOf(r)).not.toContain('\uFFFD');
    // Three JSON data events (comments are not events), one text, then done.
    expect(kinds(r)).toEqual(['data', 'data', 'text', 'data', 'done']);
    expect(r.meta).toEqual({
      finishReason: 'stop',
      model: 'mistralai/mistral-small-3.1-24b-instruct',
      upstreamProvider: 'Cloudflare',
      generationId: 'gen-1',
      usage: { prompt_tokens: 12, completion_tokens: 2, total_tokens: 14, cost: 0.0000053 },
    });
  });

  it('CRLF line endings; a later usage chunk with finish_reason null keeps the earlier "length"', () => {
    const r = expectSplitInvariant(OPENROUTER_LATE_USAGE);
    expect(textOf(r)).toBe('a');
    expect(r.meta.finishReason).toBe('length');
    expect(r.meta.usage).toEqual({ prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 });
  });

  it('Mistral: typed content chunks are joined; finish_reason and usage in one last chunk', () => {
    const r = expectSplitInvariant(MISTRAL);
    expect(textOf(r)).toBe('Bonjour.');
    expect(r.meta).toMatchObject({ finishReason: 'stop', model: 'mistral-small-latest', generationId: 'cmpl-9', usage: { total_tokens: 8 } });
    expect(r.meta.upstreamProvider).toBeUndefined();
  });

  it('(a) an error after tokens ends the stream: its content is not text, nothing after it is read', () => {
    const r = expectSplitInvariant(IN_BAND_A);
    expect(textOf(r)).toBe('Hi');
    expect(kinds(r)).toEqual(['data', 'text', 'data', 'error']);
    const err = r.events.at(-1) as Extract<StreamEvent, { type: 'error' }>;
    expect(err.error.code).toBe(502);
    expect(err.error.parsed).toMatchObject({ message: 'Provider disconnected unexpectedly', errorType: 'provider_unavailable' });
  });

  it('(b) a string code, no [DONE]', () => {
    const r = expectSplitInvariant(IN_BAND_B);
    expect(kinds(r)).toEqual(['data', 'text', 'data', 'error']);
    expect((r.events.at(-1) as Extract<StreamEvent, { type: 'error' }>).error).toMatchObject({ code: 'server_error', parsed: { message: 'boom' } });
  });

  it('(c) before any token, choices: [] and code 429: an error and no text', () => {
    const r = expectSplitInvariant(IN_BAND_C);
    expect(kinds(r)).toEqual(['data', 'error']);
    expect((r.events.at(-1) as Extract<StreamEvent, { type: 'error' }>).error).toMatchObject({ code: 429, parsed: { errorType: 'rate_limit_exceeded' } });
  });

  it("vLLM's bare {error} with no choices key", () => {
    const r = expectSplitInvariant(VLLM_BARE);
    expect((r.events.at(-1) as Extract<StreamEvent, { type: 'error' }>).error).toMatchObject({ code: 503, parsed: { message: 'The model is overloaded' } });
  });

  it('non-JSON data is skipped; an event cut off before its blank line is dropped at EOF, as the SSE spec says', () => {
    const r = decode(
      'data: not json\n\ndata: 42\n\ndata: {"choices":[{"delta":{"content":"ok"}}]}\n\ndata: {"choices":[{"delta":{"content":"tail"},"finish_reason":"stop"}]}\n',
    );
    // The client then sees no finish_reason and no [DONE], and reports the answer as truncated.
    expect(textOf(r)).toBe('ok');
    expect(r.meta.finishReason).toBeNull();
    expect(kinds(r)).toEqual(['data', 'text']);
  });

  it('data: without a space, multi-line data fields, and a UTF-8 BOM-free stream cut inside a 4-byte character', () => {
    const wire =
      'data:{"choices":[{"delta":{"content":"😀"}}]}\n\ndata: {"choices":\ndata: [{"delta":{"content":"!"},"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n';
    const r = expectSplitInvariant(wire);
    expect(textOf(r)).toBe('😀!');
  });
});

describe('one-piece JSON completion', () => {
  it('reads message content, finish_reason, model, usage and id; an error body; unreadable text', () => {
    expect(
      decodeCompletion('{"id":"c-1","model":"local","choices":[{"message":{"content":"whole"},"finish_reason":"stop"}],"usage":{"total_tokens":2}}'),
    ).toEqual({
      text: 'whole',
      meta: { finishReason: 'stop', model: 'local', usage: { total_tokens: 2 }, generationId: 'c-1' },
    });
    expect(decodeCompletion('{"error":{"code":"rate_limited","message":"later"}}')?.error).toMatchObject({
      code: 'rate_limited',
      parsed: { message: 'later' },
    });
    expect(decodeCompletion('<html>502</html>')).toBeUndefined();
  });
});
