// Command line and environment -> one validated Config. Pure: argv and env are passed in, never read here.
// Flags win over environment variables. Every bad value is a ConfigError with one clear line.
import { homedir, platform } from 'node:os';
import path from 'node:path';
import { parseArgs as nodeParseArgs } from 'node:util';
import { ConfigError } from '../core/errors.js';
import { LOG_LEVELS, type LogLevel } from '../core/logger.js';

export const COMMANDS = ['serve', 'find', 'verify', 'failures', 'invoke', 'list', 'trust'] as const;
export type Command = (typeof COMMANDS)[number];
export type ProviderName = 'openrouter' | 'mistral' | 'openai-compatible';
export const PROVIDERS: readonly ProviderName[] = ['openrouter', 'mistral', 'openai-compatible'];

export const DEFAULT_REGISTRY_URL = 'https://unfragile.ai/api/v1';
export const DEFAULT_OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';
export const DEFAULT_MISTRAL_BASE_URL = 'https://api.mistral.ai/v1';
export const DEFAULT_COMPATIBLE_MODEL = 'mistralai/Mistral-Small-3.1-24B-Instruct-2503';
/** How long find_capability_by_intent waits for the registry before answering with local matches. */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 3_000;
export const MAX_REGISTRY_TIMEOUT_MS = 60_000;

export interface LlmConfig {
  /** Chosen provider, or undefined when nothing is configured. */
  provider: ProviderName | undefined;
  openrouter: { apiKey?: string; baseUrl: string };
  mistral: { apiKey?: string; baseUrl: string };
  compatible: { baseUrl?: string; apiKey?: string; model: string };
}

/** Environment variables that hold API keys: never printed, scrubbed from everything the process writes. */
export const SECRET_ENV = ['OPENROUTER_API_KEY', 'MISTRAL_API_KEY', 'PASSPORT_MCP_LLM_API_KEY', 'PASSPORT_MCP_REGISTRY_API_KEY'] as const;

export interface Config {
  command: Command;
  /** Positional arguments after the subcommand. */
  args: string[];
  help: boolean;
  version: boolean;
  json: boolean;
  passports: string[];
  builtin: boolean;
  /** Raw `ISSUER=KEY` specs; parsed and validated by the core at startup. */
  trustKeys: string[];
  /** Where trustKeys came from (flags win over the environment): verify_passport's `key_source`. */
  trustKeySource?: 'flag' | 'env';
  offline: boolean;
  registryUrl: string;
  /** `PASSPORT_MCP_REGISTRY_API_KEY` (env only): sent as `Authorization: Bearer`, never shown. */
  registryApiKey?: string;
  /** How long find waits for the registry (ms). */
  registryTimeoutMs: number;
  /** Where registry passports are cached between runs; undefined with --no-cache. */
  cacheDir?: string;
  /** Where pinned issuer keys live. */
  configDir: string;
  /** `trust pin --yes`: pin without asking. */
  yes: boolean;
  /** `trust pin --replace`: replace a pin whose key changed. */
  replace: boolean;
  imageRoots: string[];
  requireVerified: boolean;
  /** `serve --http HOST:PORT` */
  http?: { host: string; port: number };
  /** `invoke --image FILE` */
  images: string[];
  limit?: number;
  logLevel: LogLevel;
  llm: LlmConfig;
}

const OPTIONS = {
  passports: { type: 'string', multiple: true },
  'no-builtin': { type: 'boolean' },
  'trust-key': { type: 'string', multiple: true },
  offline: { type: 'boolean' },
  'registry-url': { type: 'string' },
  'registry-timeout': { type: 'string' },
  'cache-dir': { type: 'string' },
  'no-cache': { type: 'boolean' },
  'config-dir': { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  replace: { type: 'boolean' },
  'image-root': { type: 'string', multiple: true },
  provider: { type: 'string' },
  'require-verified': { type: 'boolean' },
  http: { type: 'string' },
  image: { type: 'string', multiple: true },
  limit: { type: 'string' },
  json: { type: 'boolean' },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const;

/**
 * Claude Desktop passes an optional user_config the user left empty as the literal text
 * `${user_config.NAME}`; such a value, like an empty one, means "unset".
 */
export function envValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const v = env[name]?.trim();
  if (!v || /^\$\{user_config\.[A-Za-z0-9_]+\}$/.test(v)) return undefined;
  return v;
}

function envFlag(env: Record<string, string | undefined>, name: string): boolean {
  const v = envValue(env, name)?.toLowerCase();
  if (v === undefined) return false;
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(`${name} must be 1 or 0 (or true/false, yes/no, on/off; got "${v.slice(0, 20)}")`);
}

function envList(env: Record<string, string | undefined>, name: string, sep: string | RegExp): string[] {
  const v = envValue(env, name);
  if (!v) return [];
  return v
    .split(sep)
    .map((s) => s.trim())
    .filter((s) => s && !/^\$\{user_config\.[A-Za-z0-9_]+\}$/.test(s));
}

function httpUrl(value: string, what: string): string {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw new ConfigError(`${what} must be an http(s) URL (got "${value.slice(0, 80)}")`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(`${what} must be an http(s) URL`);
  if (u.username || u.password) throw new ConfigError(`${what} must not carry credentials`);
  return value.replace(/\/+$/, '');
}

function parseHostPort(v: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(v) ?? /^()()(\d{1,5})$/.exec(v);
  if (!m) throw new ConfigError(`--http takes HOST:PORT or PORT (got "${v.slice(0, 60)}")`);
  const port = Number(m[3]);
  if (port > 65535) throw new ConfigError(`--http port ${port} is out of range`);
  return { host: m[1] || m[2] || '127.0.0.1', port };
}

/**
 * The user's cache or config directory for passport-mcp, by platform convention: XDG on Linux and the BSDs,
 * ~/Library on macOS, %LOCALAPPDATA% / %APPDATA% on Windows. Pure: the environment is passed in.
 */
export function userDir(kind: 'cache' | 'config', env: Record<string, string | undefined>, os: string = platform()): string {
  // The platform's own variables, read as they are (not passport-mcp settings, so not in --help).
  const osVar = (name: string) => env[name]?.trim() || undefined;
  const home = osVar('HOME') ?? osVar('USERPROFILE') ?? homedir();
  if (os === 'win32') {
    const base =
      kind === 'cache' ? (osVar('LOCALAPPDATA') ?? path.join(home, 'AppData', 'Local')) : (osVar('APPDATA') ?? path.join(home, 'AppData', 'Roaming'));
    return path.join(base, 'passport-mcp', kind === 'cache' ? 'Cache' : 'Config');
  }
  if (os === 'darwin') return path.join(home, 'Library', kind === 'cache' ? 'Caches' : 'Application Support', 'passport-mcp');
  const xdg = osVar(kind === 'cache' ? 'XDG_CACHE_HOME' : 'XDG_CONFIG_HOME');
  // XDG: a relative value is invalid and must be ignored.
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, kind === 'cache' ? '.cache' : '.config');
  return path.join(base, 'passport-mcp');
}

function dirValue(value: string, what: string): string {
  if (value.includes('\0')) throw new ConfigError(`${what} must be a directory path`);
  return path.resolve(value);
}

/** Parses argv (without node and script) and env into a Config; throws ConfigError on the first problem. */
export function parseConfig(argv: readonly string[], env: Record<string, string | undefined>): Config {
  let parsed;
  try {
    parsed = nodeParseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new ConfigError(`${(err as Error).message.replace(/\. To specify a positional.*$/, '')}. Run passport-mcp --help.`);
  }
  const v = parsed.values;
  const positionals = [...parsed.positionals];
  let command: Command = 'serve';
  if (positionals.length && (COMMANDS as readonly string[]).includes(positionals[0]!)) command = positionals.shift() as Command;
  else if (positionals.length) throw new ConfigError(`unknown command "${positionals[0]!.slice(0, 40)}"; commands: ${COMMANDS.join(', ')}`);

  // Errors name where a bad value came from: the flag, or the variable the user set.
  const from = (flag: string, value: string | undefined, name: string) => (value !== undefined ? `--${flag}` : name);
  const providerRaw = v.provider ?? envValue(env, 'PASSPORT_MCP_PROVIDER');
  if (providerRaw !== undefined && !PROVIDERS.includes(providerRaw as ProviderName)) {
    throw new ConfigError(
      `${from('provider', v.provider, 'PASSPORT_MCP_PROVIDER')} must be one of ${PROVIDERS.join(', ')} (got "${providerRaw.slice(0, 40)}")`,
    );
  }
  const openrouterKey = envValue(env, 'OPENROUTER_API_KEY');
  const mistralKey = envValue(env, 'MISTRAL_API_KEY');
  const compatibleBase = envValue(env, 'PASSPORT_MCP_LLM_BASE_URL');
  const provider: ProviderName | undefined =
    (providerRaw as ProviderName | undefined) ?? (compatibleBase ? 'openai-compatible' : openrouterKey ? 'openrouter' : mistralKey ? 'mistral' : undefined);

  const llm: LlmConfig = {
    provider,
    openrouter: { apiKey: openrouterKey, baseUrl: httpUrl(envValue(env, 'OPENROUTER_BASE_URL') ?? DEFAULT_OPENROUTER_BASE_URL, 'OPENROUTER_BASE_URL') },
    mistral: { apiKey: mistralKey, baseUrl: httpUrl(envValue(env, 'MISTRAL_BASE_URL') ?? DEFAULT_MISTRAL_BASE_URL, 'MISTRAL_BASE_URL') },
    compatible: {
      baseUrl: compatibleBase ? httpUrl(compatibleBase, 'PASSPORT_MCP_LLM_BASE_URL') : undefined,
      apiKey: envValue(env, 'PASSPORT_MCP_LLM_API_KEY'),
      model: envValue(env, 'PASSPORT_MCP_LLM_MODEL') ?? DEFAULT_COMPATIBLE_MODEL,
    },
  };
  if (provider === 'openai-compatible' && !llm.compatible.baseUrl) {
    throw new ConfigError('--provider openai-compatible needs PASSPORT_MCP_LLM_BASE_URL');
  }

  let limit: number | undefined;
  if (v.limit !== undefined) {
    limit = Number(v.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 50) throw new ConfigError('--limit takes a whole number from 1 to 50');
  }
  const logLevel = v['log-level'] ?? envValue(env, 'PASSPORT_MCP_LOG_LEVEL') ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel))
    throw new ConfigError(
      `${from('log-level', v['log-level'], 'PASSPORT_MCP_LOG_LEVEL')} must be debug, info, warning or error (got "${logLevel.slice(0, 20)}")`,
    );

  const timeoutRaw = v['registry-timeout'] ?? envValue(env, 'PASSPORT_MCP_REGISTRY_TIMEOUT');
  let registryTimeoutMs = DEFAULT_REGISTRY_TIMEOUT_MS;
  if (timeoutRaw !== undefined) {
    registryTimeoutMs = Number(timeoutRaw);
    if (!/^\d+$/.test(timeoutRaw) || registryTimeoutMs < 1 || registryTimeoutMs > MAX_REGISTRY_TIMEOUT_MS) {
      throw new ConfigError(
        `${from('registry-timeout', v['registry-timeout'], 'PASSPORT_MCP_REGISTRY_TIMEOUT')} takes milliseconds from 1 to ${MAX_REGISTRY_TIMEOUT_MS} (got "${timeoutRaw.slice(0, 20)}")`,
      );
    }
  }
  const cacheDirRaw = v['cache-dir'] ?? envValue(env, 'PASSPORT_MCP_CACHE_DIR');
  const noCache = v['no-cache'] ?? false;
  const cacheDir = noCache
    ? undefined
    : cacheDirRaw !== undefined
      ? dirValue(cacheDirRaw, from('cache-dir', v['cache-dir'], 'PASSPORT_MCP_CACHE_DIR'))
      : userDir('cache', env);
  const configDirRaw = v['config-dir'] ?? envValue(env, 'PASSPORT_MCP_CONFIG_DIR');
  const configDir =
    configDirRaw !== undefined ? dirValue(configDirRaw, from('config-dir', v['config-dir'], 'PASSPORT_MCP_CONFIG_DIR')) : userDir('config', env);

  const registryUrl = httpUrl(
    v['registry-url'] ?? envValue(env, 'PASSPORT_MCP_REGISTRY_URL') ?? DEFAULT_REGISTRY_URL,
    from('registry-url', v['registry-url'], 'PASSPORT_MCP_REGISTRY_URL'),
  );

  // `serve DIR...` adds image roots: Claude Desktop expands a multi-directory user_config into separate
  // arguments only when it stands alone in `args`, so the bundle passes image folders this way.
  const serveImageRoots = command === 'serve' ? positionals.filter((p) => !/^\$\{user_config\.[A-Za-z0-9_]+\}$/.test(p)) : [];

  return {
    command,
    args: command === 'serve' ? [] : positionals,
    help: v.help ?? false,
    version: v.version ?? false,
    json: v.json ?? false,
    passports: v.passports ?? envList(env, 'PASSPORT_MCP_PASSPORTS', ':'),
    builtin: !(v['no-builtin'] ?? envFlag(env, 'PASSPORT_MCP_NO_BUILTIN')),
    trustKeys: v['trust-key'] ?? envList(env, 'PASSPORT_MCP_TRUST_KEYS', ','),
    trustKeySource: v['trust-key'] !== undefined ? 'flag' : 'env',
    offline: v.offline ?? envFlag(env, 'PASSPORT_MCP_OFFLINE'),
    registryUrl,
    registryApiKey: envValue(env, 'PASSPORT_MCP_REGISTRY_API_KEY'),
    registryTimeoutMs,
    cacheDir,
    configDir,
    yes: v.yes ?? false,
    replace: v.replace ?? false,
    imageRoots: [...(v['image-root'] ?? envList(env, 'PASSPORT_MCP_IMAGE_ROOTS', ':')), ...serveImageRoots],
    requireVerified: v['require-verified'] ?? envFlag(env, 'PASSPORT_MCP_REQUIRE_VERIFIED'),
    http: v.http !== undefined ? parseHostPort(v.http) : undefined,
    images: v.image ?? [],
    limit,
    logLevel: logLevel as Config['logLevel'],
    llm,
  };
}
