import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/config.js';

describe('parseConfig', () => {
  it('defaults: serve, built-in on, registry, no provider', () => {
    const c = parseConfig([], {});
    expect(c.command).toBe('serve');
    expect(c.builtin).toBe(true);
    expect(c.offline).toBe(false);
    expect(c.registryUrl).toBe('https://unfragile.ai/api/v1');
    expect(c.llm.provider).toBeUndefined();
    expect(c.llm.openrouter.baseUrl).toBe('https://openrouter.ai/api/v1');
  });
  it('reads env lists and flags, flags winning', () => {
    const env = {
      PASSPORT_MCP_PASSPORTS: 'a.json:dir',
      PASSPORT_MCP_TRUST_KEYS: 'x=AAA=,y=BBB',
      PASSPORT_MCP_IMAGE_ROOTS: '/a:/b',
      PASSPORT_MCP_NO_BUILTIN: '1',
      PASSPORT_MCP_OFFLINE: 'true',
    };
    const c = parseConfig([], env);
    expect(c.passports).toEqual(['a.json', 'dir']);
    expect(c.trustKeys).toEqual(['x=AAA=', 'y=BBB']);
    expect(c.imageRoots).toEqual(['/a', '/b']);
    expect(c.builtin).toBe(false);
    expect(c.offline).toBe(true);
    const f = parseConfig(['--passports', 'z.json', '--image-root', '/c'], env);
    expect(f.passports).toEqual(['z.json']);
    expect(f.imageRoots).toEqual(['/c']);
  });
  it('picks the provider: compatible base URL, then OpenRouter, then Mistral', () => {
    expect(parseConfig([], { MISTRAL_API_KEY: 'm-key-12345678' }).llm.provider).toBe('mistral');
    expect(parseConfig([], { MISTRAL_API_KEY: 'm', OPENROUTER_API_KEY: 'o' }).llm.provider).toBe('openrouter');
    expect(parseConfig([], { OPENROUTER_API_KEY: 'o', PASSPORT_MCP_LLM_BASE_URL: 'http://127.0.0.1:8000/v1' }).llm.provider).toBe('openai-compatible');
    expect(parseConfig(['--provider', 'mistral'], { OPENROUTER_API_KEY: 'o' }).llm.provider).toBe('mistral');
  });
  it('treats an unfilled Claude Desktop user_config placeholder as unset', () => {
    const c = parseConfig([], {
      OPENROUTER_API_KEY: '${user_config.openrouter_api_key}',
      PASSPORT_MCP_OFFLINE: '${user_config.offline}',
      PASSPORT_MCP_IMAGE_ROOTS: '${user_config.image_dirs}',
    });
    expect(c.llm.openrouter.apiKey).toBeUndefined();
    expect(c.llm.provider).toBeUndefined();
    expect(c.offline).toBe(false);
    expect(c.imageRoots).toEqual([]);
  });
  it('serve DIR... adds image roots (how the Claude Desktop bundle passes folders), dropping unfilled placeholders', () => {
    expect(parseConfig(['serve', '/a', '/b', '--image-root', '/c'], {}).imageRoots).toEqual(['/c', '/a', '/b']);
    expect(parseConfig(['serve', '${user_config.image_dirs}'], {}).imageRoots).toEqual([]);
    expect(parseConfig(['serve', '/a'], {}).args).toEqual([]);
  });
  it('parses subcommands and their options', () => {
    const c = parseConfig(['find', 'describe', 'a photo', '--limit', '3', '--json'], {});
    expect(c.command).toBe('find');
    expect(c.args).toEqual(['describe', 'a photo']);
    expect(c.limit).toBe(3);
    expect(c.json).toBe(true);
    expect(parseConfig(['serve', '--http', '127.0.0.1:8080'], {}).http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseConfig(['serve', '--http', '9000'], {}).http).toEqual({ host: '127.0.0.1', port: 9000 });
  });
  it.each([
    [['--bogus'], {}, /Unknown option '--bogus'/],
    [['frobnicate'], {}, /unknown command "frobnicate"/],
    [['--provider', 'acme'], {}, /--provider must be one of/],
    [['--registry-url', 'ftp://x'], {}, /http\(s\) URL/],
    [['--registry-url', 'https://user:pw@x'], {}, /credentials/],
    [[], { PASSPORT_MCP_OFFLINE: 'maybe' }, /PASSPORT_MCP_OFFLINE must be 1 or 0 \(or true\/false, yes\/no, on\/off; got "maybe"\)/],
    // A bad value from the environment is named by its variable, not by a flag the user never typed.
    [[], { PASSPORT_MCP_PROVIDER: 'xx' }, /^PASSPORT_MCP_PROVIDER must be one of/],
    [[], { PASSPORT_MCP_LOG_LEVEL: 'warn' }, /^PASSPORT_MCP_LOG_LEVEL must be debug, info, warning or error \(got "warn"\)/],
    [['--log-level', 'warn'], {}, /^--log-level must be/],
    [[], { PASSPORT_MCP_REGISTRY_TIMEOUT: 'soon' }, /^PASSPORT_MCP_REGISTRY_TIMEOUT takes milliseconds/],
    [[], { PASSPORT_MCP_REGISTRY_URL: 'ftp://x' }, /^PASSPORT_MCP_REGISTRY_URL must be an http\(s\) URL/],
    [['find', '--limit', '0'], {}, /--limit/],
    [['--provider', 'openai-compatible'], {}, /PASSPORT_MCP_LLM_BASE_URL/],
    [['serve', '--http', 'host:99999'], {}, /out of range/],
  ] as const)('refuses %j %j with a clear message', (argv, env, re) => {
    expect(() => parseConfig(argv, env)).toThrow(re);
  });
});
