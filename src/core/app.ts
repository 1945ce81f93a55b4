// The application context: config -> core objects (trust store, passport store, intent index, verification
// cache, and a lazily created LLM client). The MCP server, the CLI subcommands and the tests all use this.
// Everything the handshake does not need (schema, loader, index, Ed25519, canonical JSON, registry client)
// is imported on first use: cold start is measured against a bare SDK server.
import { lstat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/config.js';
import { UserInputError } from './errors.js';
import type { Logger } from './logger.js';
import type { LoadProgress } from './passport/load.js';
import type { LoadedPassport } from './passport/schema.js';
import { PassportStore, type RemoteFetcher } from './passport/store.js';
import type { TrustedKey, TrustStore } from './passport/trust.js';
import type { VerifyResult } from './passport/verify.js';
import type { IntentIndex } from './search/index.js';

const BUILTIN_PASSPORT_PATH = fileURLToPath(new URL('../../passports/mistral-small-3.1.passport.json', import.meta.url));

export const PACKAGE_VERSION = '0.1.0';

export interface AppContext {
  config: Config;
  logger: Logger;
  trust: TrustStore;
  store: PassportStore;
  /** The intent index (available once loadAll has started). */
  readonly index: IntentIndex;
  /** Verification of a loaded passport, cached per loaded object (available once loadAll has started). */
  verification(p: LoadedPassport): VerifyResult;
  /** A passport by slug, fetched from the registry when allowed; throws a UserInputError naming the slug. */
  requirePassport(slug: string, signal?: AbortSignal): Promise<LoadedPassport>;
  /** The pooled LLM client, created on the first invoke_model call (src/core/llm/invoke.ts). */
  llm?: import('./llm/client.js').LlmClient;
  /** Loads the built-in passport and every configured source. */
  loadAll(onProgress?: LoadProgress): Promise<{ loaded: number; problems: number }>;
}

const NO_KEYS: TrustStore = { keysFor: () => [], issuers: () => [] };

/**
 * Builds the context; throws ConfigError for a bad trust key. Loads no passport yet (see loadAll).
 * The Ed25519 and canonical-JSON modules load only when needed, to keep the MCP handshake fast.
 */
export async function createApp(config: Config, logger: Logger): Promise<AppContext> {
  let trust = NO_KEYS;
  const keys: TrustedKey[] = [];
  if (config.trustKeys.length) {
    const { parseTrustKeySpec } = await import('./passport/trust.js');
    for (const spec of config.trustKeys) keys.push(parseTrustKeySpec(spec, config.trustKeySource ?? 'flag'));
  }
  // Keys pinned with `trust pin` are trusted next to --trust-key (both, for the same issuer). The pins module
  // (and Ed25519) is imported only when a pins file exists. A bad pins file costs the pins, never the server.
  if (await lstat(path.join(config.configDir, 'pins.json')).then(() => true, () => false)) {
    const { loadPinnedKeys } = await import('./registry/pins.js');
    try {
      const pinned = await loadPinnedKeys(config.configDir);
      keys.push(...pinned);
      if (pinned.length) logger.debug(`trusting ${pinned.length} pinned issuer key(s) from ${config.configDir}`);
    } catch (err) {
      logger.warn(`${(err as Error).message}. No pinned key is trusted until it is fixed.`);
    }
  }
  if (keys.length) {
    const { createTrustStore } = await import('./passport/trust.js');
    trust = createTrustStore(keys);
  }
  let verifyPassportObject: typeof import('./passport/verify.js').verifyPassportObject | undefined;
  let fetchRemote: RemoteFetcher | undefined;
  const fetcher: RemoteFetcher | undefined = config.offline
    ? undefined
    : async (slug, signal) => {
        fetchRemote ??= (await import('./passport/remote.js')).createRegistryFetcher({ baseUrl: config.registryUrl, apiKey: config.registryApiKey, userAgent: `passport-mcp/${PACKAGE_VERSION}` });
        return fetchRemote(slug, signal);
      };
  const store = new PassportStore(fetcher);
  let index: IntentIndex | undefined;
  const cache = new WeakMap<LoadedPassport, VerifyResult>();
  store.onAdd((p, replaced) => {
    if (replaced) logger.warn(`passport "${p.slug}" from ${p.source} replaces the one from ${replaced.source}`);
    index?.add(p);
  });

  const app: AppContext = {
    config,
    logger,
    trust,
    store,
    get index() {
      if (!index) throw new Error('the index is used before loadAll()');
      return index;
    },
    verification(p) {
      let r = cache.get(p);
      if (!r) {
        if (!verifyPassportObject) throw new Error('verification used before loadAll()');
        r = verifyPassportObject(p.raw, { trust });
        cache.set(p, r);
      }
      return r;
    },
    async requirePassport(slug, signal) {
      let p: LoadedPassport | undefined;
      // Over HTTP each request sees the app through its own logger (mcp/http.ts requestApp): use the caller's.
      const log = (this as AppContext | undefined)?.logger ?? logger;
      if (!store.has(slug) && store.canFetch) log.info(`fetching passport "${slug}" from ${config.registryUrl}`);
      try {
        p = await store.resolve(slug, signal);
      } catch (err) {
        throw new UserInputError(`no passport "${slug}" is loaded, and the registry fetch failed: ${(err as Error).message}`);
      }
      if (!p) {
        const known = store.slugs().slice(0, 10).join(', ') || '(none)';
        throw new UserInputError(
          `no passport "${slug}" is loaded${config.offline ? ' (offline: the registry is not asked)' : ''}. Loaded: ${known}. ` +
            'Use find_capability_by_intent to discover slugs, or load passports with --passports.',
        );
      }
      return p;
    },
    async loadAll(onProgress) {
      verifyPassportObject ??= (await import('./passport/verify.js')).verifyPassportObject;
      if (!index) {
        const { IntentIndex } = await import('./search/index.js');
        index = new IntentIndex();
        for (const p of store.list()) index.add(p);
      }
      const { loadPassportPath } = await import('./passport/load.js');
      const sources = [...(config.builtin ? [BUILTIN_PASSPORT_PATH] : []), ...config.passports];
      let loaded = 0;
      let problems = 0;
      for (const src of sources) {
        const r = await loadPassportPath(src, onProgress);
        for (const p of r.passports) {
          store.add(src === BUILTIN_PASSPORT_PATH ? { ...p, source: 'builtin' } : p);
          loaded++;
        }
        for (const pr of r.problems) logger.warn(`skipped ${pr.source}: ${pr.message}`);
        problems += r.problems.length;
      }
      return { loaded, problems };
    },
  };
  return app;
}
