// Request building per provider, model id mapping and target resolution.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import { UserInputError } from '../../../src/core/errors.js';
import { parsePassportText } from '../../../src/core/passport/load.js';
import { mistralModelId, openRouterModelId, resolveTarget } from '../../../src/core/llm/provider.js';
import { buildBody, checkInput } from '../../../src/core/llm/request.js';
import type { PreparedImage, Target } from '../../../src/core/llm/types.js';
import { readFileSync } from 'node:fs';
import { SEED } from '../../support/spawn.js';

const seed = parsePassportText(readFileSync(SEED, 'utf8'), 'seed').passports[0]!;
const target = (provider: Target['provider']): Target => ({ provider, label: provider, baseUrl: 'http://x', keyEnv: 'K', model: 'm' });
const img: PreparedImage = { label: 'images[0] (a.png)', url: 'data:image/png;base64,AAAA', bytes: 3, mime: 'image/png' };

describe('model ids', () => {
  it('maps an openrouter.ai/models/{author}~{slug} artifact URL to author/slug', () => {
    expect(openRouterModelId('https://openrouter.ai/models/mistralai~mistral-small-3.1-24b-instruct')).toBe('mistralai/mistral-small-3.1-24b-instruct');
    expect(openRouterModelId('https://openrouter.ai/models/a~b:free')).toBe('a/b:free');
    expect(openRouterModelId('https://evil.example/models/a~b')).toBeUndefined();
    expect(openRouterModelId('http://openrouter.ai/models/a~b')).toBeUndefined();
    expect(openRouterModelId('https://openrouter.ai/models/a~b/../c')).toBeUndefined();
    expect(openRouterModelId(undefined)).toBeUndefined();
  });
  it('pins Mistral Small 3.1 to mistral-small-2503 on Mistral, never -latest', () => {
    expect(mistralModelId('mistralai/mistral-small-3.1-24b-instruct')).toBe('mistral-small-2503');
    expect(mistralModelId('mistralai/other')).toBeUndefined();
  });
});

describe('resolveTarget', () => {
  const cfg = (env: Record<string, string>, argv: string[] = []) => parseConfig(argv, env).llm;
  it('OpenRouter by default, with the seed model id', () => {
    const { target: t } = resolveTarget(cfg({ OPENROUTER_API_KEY: 'sk-or-v1-x', MISTRAL_API_KEY: 'm' }), seed);
    expect(t).toMatchObject({
      provider: 'openrouter',
      model: 'mistralai/mistral-small-3.1-24b-instruct',
      baseUrl: 'https://openrouter.ai/api/v1',
      keyEnv: 'OPENROUTER_API_KEY',
    });
  });
  it("Mistral's API when only MISTRAL_API_KEY is set", () => {
    const { target: t } = resolveTarget(cfg({ MISTRAL_API_KEY: 'mkey-12345678' }), seed);
    expect(t).toMatchObject({ provider: 'mistral', model: 'mistral-small-2503', keyEnv: 'MISTRAL_API_KEY' });
  });
  it('an OpenAI-compatible server takes PASSPORT_MCP_LLM_MODEL and may have no key', () => {
    const { target: t } = resolveTarget(cfg({ PASSPORT_MCP_LLM_BASE_URL: 'http://127.0.0.1:8000/v1', PASSPORT_MCP_LLM_MODEL: 'mistral-small3.1' }), seed);
    expect(t).toMatchObject({ provider: 'openai-compatible', model: 'mistral-small3.1', apiKey: undefined });
  });
  it('says why a call cannot be made', () => {
    expect(() => resolveTarget(cfg({}), seed)).toThrow(/OPENROUTER_API_KEY.*MISTRAL_API_KEY.*PASSPORT_MCP_LLM_BASE_URL/);
    const notModel = {
      ...seed,
      passport: { ...seed.passport, unfragile: { ...seed.passport.unfragile, artifact: { ...seed.passport.unfragile.artifact, type: 'dataset' } } },
    };
    expect(() => resolveTarget(cfg({ OPENROUTER_API_KEY: 'k' }), notModel)).toThrow(/describes a dataset, not a model/);
    for (const [type, said] of [
      ['mcp', 'an mcp'],
      ['extension', 'an extension'],
      ['benchmark', 'a benchmark'],
    ]) {
      const other = {
        ...notModel,
        passport: { ...notModel.passport, unfragile: { ...notModel.passport.unfragile, artifact: { ...notModel.passport.unfragile.artifact, type } } },
      };
      expect(() => resolveTarget(cfg({ OPENROUTER_API_KEY: 'k' }), other)).toThrow(`describes ${said}, not a model`);
    }
    const noUrl = {
      ...seed,
      passport: {
        ...seed.passport,
        unfragile: { ...seed.passport.unfragile, artifact: { ...seed.passport.unfragile.artifact, url: 'https://example.com/x' } },
      },
    };
    expect(() => resolveTarget(cfg({ OPENROUTER_API_KEY: 'k' }), noUrl)).toThrow(/not invocable through OpenRouter/);
    expect(() => resolveTarget(cfg({ MISTRAL_API_KEY: 'k' }), noUrl)).toThrow(/not invocable through Mistral/);
  });
});

describe('buildBody', () => {
  const input = {
    system: 'be brief',
    prompt: 'What is this?',
    max_tokens: 50,
    temperature: 0.2,
    top_k: 40,
    seed: 7,
    stop: ['\n\n'],
    response_format: { type: 'json_schema' as const, json_schema: { name: 'x', schema: { type: 'object' } } },
  };
  it('OpenRouter: all fields, require_parameters with stop/response_format, image {url} after text', () => {
    const { body, warnings } = buildBody(target('openrouter'), input, [img]);
    expect(body).toMatchObject({
      model: 'm',
      stream: true,
      max_tokens: 50,
      temperature: 0.2,
      top_k: 40,
      seed: 7,
      stop: ['\n\n'],
      provider: { require_parameters: true },
    });
    expect(body.stream_options).toBeUndefined();
    const msgs = body.messages as { role: string; content: unknown }[];
    expect(msgs[0]).toEqual({ role: 'system', content: 'be brief' });
    expect(msgs[1]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is this?' },
        { type: 'image_url', image_url: { url: img.url } },
      ],
    });
    expect(warnings).toEqual([]);
  });
  it('always sends max_tokens (default 1024) and no provider block without stop/response_format', () => {
    const { body } = buildBody(target('openrouter'), { prompt: 'hi' }, []);
    expect(body.max_tokens).toBe(1024);
    expect(body.provider).toBeUndefined();
  });
  it('Mistral: whitelisted fields only, seed -> random_seed, top_k dropped with a warning, image as a string', () => {
    const { body, warnings } = buildBody(target('mistral'), input, [img]);
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'model', 'random_seed', 'response_format', 'stop', 'stream', 'temperature'].sort());
    expect(body.random_seed).toBe(7);
    expect(warnings.join()).toMatch(/top_k/);
    expect((body.messages as { content: { image_url?: unknown }[] }[])[1]!.content[1]!.image_url).toBe(img.url);
    expect(() => buildBody(target('mistral'), { prompt: 'x', temperature: 1.8 }, [])).toThrow(/0 to 1.5/);
  });
  it('OpenAI-compatible: stream_options.include_usage', () => {
    const { body } = buildBody(target('openai-compatible'), { prompt: 'x', top_k: 5 }, []);
    expect(body).toMatchObject({ stream_options: { include_usage: true }, top_k: 5 });
  });
  it('messages then prompt; images join the last user turn', () => {
    const { body } = buildBody(
      target('openrouter'),
      {
        messages: [
          { role: 'user', content: 'a' },
          { role: 'assistant', content: 'b' },
        ],
        prompt: 'c',
      },
      [],
    );
    expect((body.messages as { role: string }[]).map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(() => buildBody(target('openrouter'), { messages: [{ role: 'assistant', content: 'b' }] }, [img])).toThrow(UserInputError);
  });
  it('checkInput wants a prompt or messages and bounds the total', () => {
    expect(() => checkInput({})).toThrow(/prompt/);
    expect(() => checkInput({ prompt: 'x'.repeat(600_000), system: 'y'.repeat(600_000) })).toThrow(/exceed/);
    expect(() => checkInput({ prompt: 'x', stop: ['a', 'b', 'c', 'd', 'e'] })).toThrow(/4/);
  });

  it("checkInput wants a user's words to answer, and no system turn last; an assistant turn last is a prefill", () => {
    const turns = (...t: [role: 'user' | 'assistant' | 'system', content: string][]) => ({ messages: t.map(([role, content]) => ({ role, content })) });
    expect(() => checkInput(turns(['assistant', 'hi']))).toThrow(/holds no user turn with text/);
    expect(() => checkInput(turns(['system', 'sys']))).toThrow(/ends with a system turn/);
    expect(() => checkInput(turns(['user', '  ']))).toThrow(/holds no user turn with text/);
    expect(() => checkInput({ prompt: '' })).toThrow(/"prompt" is empty/);
    expect(() => checkInput({ prompt: '  \n' })).toThrow(/"prompt" is empty/);
    // These are fine: the user last; a prefill (the start of the answer, for the model to continue); an empty prompt
    // beside an image; a prompt after an assistant turn.
    expect(() => checkInput(turns(['assistant', 'b'], ['user', 'a']))).not.toThrow();
    expect(() => checkInput(turns(['user', 'a'], ['assistant', '{"answer":']))).not.toThrow();
    expect(() => checkInput({ prompt: '', images: [{ path: 'x.png' }] })).not.toThrow();
    expect(() => checkInput({ prompt: 'describe it', ...turns(['assistant', 'b']) })).not.toThrow();
  });
});
