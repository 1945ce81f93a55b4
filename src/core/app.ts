// The application context: config -> core objects (trust store, passport store, intent index, verification
// cache, the one secret scrubber, and per-app objects the lazy layers share, such as the LLM client's pool).
// The MCP server, the CLI subcommands and the tests all use this.
// Everything the handshake does not need (schema, loader, index, Ed25519, canonical JSON, registry client)
// is imported on first use: cold start is measured against a bare SDK server.
import { lstat, stat } from 'node:fs/promises';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import path from 'node:path';
import type { Config } from '../config/config.js';
import { UserInputError } from './errors.js';
import type { Logger } from './logger.js';
import type { BulkOptions } from './passport/bulk.js';
import type { LoadProgress } from './passport/load.js';
import type { LoadedPassport } from './passport/schema.js';
import { PassportStore, type RemoteFetcher } from './passport/store.js';
import type { TrustedKey, TrustStore } from './passport/trust.js';
import type { PassportCache } from './registry/cache.js';
import type { Discovery } from './registry/discovery.js';
import type { VerifyResult } from './passport/verify.js';
import type { IntentIndex, IntentIndexOptions } from './search/index.js';
import { configuredSecrets, createScrubber, type Scrubber } from './secrets.js';
import { USER_AGENT } from './version.js';

// Kept importable from here: the MCP server and main.ts name the version through the app module.
export { PACKAGE_VERSION } from './version.js';

export interface AppContext {
  config: Config;
  logger: Logger;
  trust: TrustStore;
  store: PassportStore;
  /** The intent index (available once loadAll has started). */
  readonly index: IntentIndex;
  /** Verification of a loaded passport, cached per loaded object (available once loadAll has started). */
  verification(p: LoadedPassport): VerifyResult;
  /** `verification` for many passports: those not checked yet are checked in bulk, across cores (bulk.ts). */
  verifyAll(ps: readonly LoadedPassport[], opts?: BulkOptions): Promise<VerifyResult[]>;
  /**
   * A passport by slug, fetched from the registry when allowed; throws a UserInputError naming the slug.
   * `log` is the caller's logger (over HTTP, the request's own); default the app's.
   */
  requirePassport(slug: string, signal?: AbortSignal, log?: Logger): Promise<LoadedPassport>;
  /** Security: the one scrubber, built once from the configured keys; every output path passes text through it. */
  readonly scrub: Scrubber;
  /**
   * A per-app object that a lazily loaded layer creates on first use and shares from then on (the LLM client's
   * connection pool). The app does not know those layers: they find the app, not the reverse.
   */
  shared<T extends { close(): Promise<void> }>(key: string, create: () => T): T;
  /** Closes what `shared` created (the LLM pool's sockets). */
  close(): Promise<void>;
  /** Registry discovery (/resolve, memo, ingest, cache); undefined with --offline. Created on first use. */
  registry(): Promise<Discovery | undefined>;
  /**
   * Resolves when registry passports received so far are indexed and their cache writes are on disk. With
   * `{ shuttingDown: true }`, only the cache writes: passports not indexed yet are dropped from the queue (the
   * process is ending, and indexing a large answer could outlast the 1 s a signal gives).
   */
  settled(opts?: { shuttingDown?: boolean }): Promise<void>;
  /** Resolves when the background re-verification of the cache, started by loadAll, is over. */
  cacheVerified(): Promise<void>;
  /** Removes a registry or cached passport that fails verification (returns true); local ones are never removed. */
  rejectIfBad(p: LoadedPassport): boolean;
  /** Loads the built-in passport and every configured source. */
  loadAll(onProgress?: LoadProgress): Promise<{ loaded: number; problems: number }>;
}

const NO_KEYS: TrustStore = { keysFor: () => [], issuers: () => [] };

/** Passports indexed between two turns of the event loop while loading (a few milliseconds of work). */
export const ADD_BATCH = 128;

export interface AppOptions {
  /** The process's scrubber when the caller built it first (main.ts, for its own lines); else built here. */
  scrub?: Scrubber;
  /** Tests: options of the intent index (one word-vector table shared by the many apps of a test process). */
  index?: IntentIndexOptions;
}

/**
 * Builds the context; throws ConfigError for a bad trust key. Loads no passport yet (see loadAll).
 * The Ed25519 and canonical-JSON modules load only when needed, to keep the MCP handshake fast.
 */
export async function createApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<AppContext> {
  const scrub = options.scrub ?? createScrubber(configuredSecrets(config));
  const shared = new Map<string, { close(): Promise<void> }>();
  let trust = NO_KEYS;
  const keys: TrustedKey[] = [];
  if (config.trustKeys.length) {
    const { parseTrustKeySpec } = await import('./passport/trust.js');
    for (const spec of config.trustKeys) keys.push(parseTrustKeySpec(spec, config.trustKeySource ?? 'flag'));
  }
  // Keys pinned with `trust pin` are trusted next to --trust-key (both, for the same issuer). The pins module
  // (and Ed25519) is imported only when a pins file exists. A bad pins file costs the pins, never the server.
  if (
    await lstat(path.join(config.configDir, 'pins.json')).then(
      () => true,
      () => false,
    )
  ) {
    const { loadPinnedKeys } = await import('./registry/pins.js');
    try {
      const pinned = await loadPinnedKeys(config.configDir);
      keys.push(...pinned);
      if (pinned.length) logger.debug(`trusting ${pinned.length} pinned issuer key(s) from ${config.configDir}`);
    } catch (err) {
      logger.warn(`${(err as Error).message}. No pinned key is trusted until it is fixed.`);
    }
  }
  // A typo in an image root would otherwise only show as every image being refused later: say it at start.
  for (const root of config.imageRoots) {
    const st = await stat(root).catch((err: NodeJS.ErrnoException) => err);
    if (st instanceof Error) logger.warn(`image root ${root}: ${st.code === 'ENOENT' ? 'no such directory' : st.message}; no image is read from it`);
    else if (!st.isDirectory()) logger.warn(`image root ${root} is not a directory; no image is read from it`);
  }
  if (keys.length) {
    const { createTrustStore } = await import('./passport/trust.js');
    trust = createTrustStore(keys);
  }
  let verifyPassportObject: typeof import('./passport/verify.js').verifyPassportObject | undefined;
  let fetchRemote: RemoteFetcher | undefined;
  let discovery: Promise<Discovery> | undefined;
  let passportCache: PassportCache | undefined;
  /** Cached passports older than the cache's refresh age: refetched when asked for by slug while online. */
  const stale = new Set<string>();
  /** The background re-verification of the cache (loadCache). */
  let cacheChecked: Promise<void> = Promise.resolve();
  /** Cache entries being deleted (bad on re-verification). */
  const removals = new Set<Promise<void>>();
  const registry = (): Promise<Discovery | undefined> => {
    if (config.offline) return Promise.resolve(undefined);
    discovery ??= (async () => {
      const [{ createRegistryClient }, { createDiscovery }] = await Promise.all([import('./registry/client.js'), import('./registry/discovery.js')]);
      verifyPassportObject ??= (await import('./passport/verify.js')).verifyPassportObject;
      const client = createRegistryClient({
        baseUrl: config.registryUrl,
        apiKey: config.registryApiKey,
        userAgent: USER_AGENT,
        timeoutMs: config.registryTimeoutMs,
      });
      if (config.cacheDir && !passportCache) passportCache = new (await import('./registry/cache.js')).PassportCache({ dir: config.cacheDir });
      const d = createDiscovery({
        client,
        store,
        verify: (p) => app.verification(p),
        cache: passportCache,
        logger,
        registryUrl: config.registryUrl,
        refreshed: (slug) => stale.delete(slug),
        takingIn: (busy) => holdIndexing(busy),
      });
      // /passport/{slug} goes through the same rate limit, deadline and ingest rules as /resolve.
      const fetchOne = (await import('./passport/remote.js')).createRegistryFetcher({
        baseUrl: config.registryUrl,
        http: client.exchange,
        timeoutMs: config.registryTimeoutMs,
      });
      fetchRemote = async (slug, signal) => {
        const r = d.ingest(await fetchOne(slug, signal), `${config.registryUrl}/passport/${slug}`);
        if ('dropped' in r) throw new UserInputError(`the registry's passport "${slug}" was dropped: ${r.dropped}`);
        stale.delete(slug);
        return r.passport;
      };
      return d;
    })();
    return discovery;
  };
  const fetcher: RemoteFetcher | undefined = config.offline
    ? undefined
    : async (slug, signal) => {
        await registry();
        return fetchRemote!(slug, signal);
      };
  const store = new PassportStore(fetcher);
  let index: IntentIndex | undefined;
  const cache = new WeakMap<LoadedPassport, VerifyResult>();
  store.onAdd((p, replaced) => {
    if (replaced && store.origin(p.slug) === 'local') logger.warn(`passport "${p.slug}" from ${p.source} replaces the one from ${replaced.source}`);
    else if (replaced) logger.info(`passport "${p.slug}" refreshed from ${p.source}`);
    if (store.origin(p.slug) !== 'registry') return void index?.add(p);
    // A passport from a /resolve answer is indexed just after the answer goes out: that answer uses the registry's
    // match directly, and indexing is most of what a new passport costs (the added-time budget, BENCHMARKS.md).
    // One passport per turn of the event loop: a large answer (dozens of big passports) must not hold the server
    // (pings, signals, other requests) for seconds.
    toIndex.push(p);
    void drainIndexQueue();
  });
  const toIndex: LoadedPassport[] = [];
  let draining: Promise<void> | undefined;
  // While a /resolve answer's entries are taken in (a large answer over several turns), the queue waits: indexed in
  // those turns, ten new passports added ~10 ms to the answer instead of following it (bench/federation.mjs).
  let answersTakingIn = 0;
  let held: { until: Promise<void>; release(): void } | undefined;
  const holdIndexing = (busy: boolean): void => {
    if (busy && answersTakingIn++ === 0) {
      let release!: () => void;
      held = { until: new Promise<void>((r) => (release = r)), release: () => release() };
    } else if (!busy && --answersTakingIn === 0) {
      held?.release();
      held = undefined;
    }
  };
  const drainIndexQueue = (): Promise<void> =>
    (draining ??= (async () => {
      while (toIndex.length) {
        await yieldToLoop();
        if (held) {
          await held.until;
          continue;
        }
        const p = toIndex.shift()!;
        if (store.get(p.slug) === p) index?.add(p);
      }
      draining = undefined;
    })());
  store.onRemove((p) => index?.remove(p.slug));

  const app: AppContext = {
    config,
    logger,
    scrub,
    trust,
    store,
    shared<T extends { close(): Promise<void> }>(key: string, create: () => T): T {
      let v = shared.get(key) as T | undefined;
      if (!v) shared.set(key, (v = create()));
      return v;
    },
    async close() {
      const all = [...shared.values()];
      shared.clear();
      await Promise.all(all.map((v) => v.close().catch(() => undefined)));
    },
    registry,
    async settled(opts) {
      if (opts?.shuttingDown) toIndex.length = 0;
      // Registry passports indexed "just after the answer", one per turn.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (draining) await draining;
      await (await discovery?.catch(() => undefined))?.settled();
    },
    async cacheVerified() {
      await cacheChecked;
      await Promise.all([...removals]);
    },
    rejectIfBad: (p) => rejectIfBad(p),
    get index() {
      if (!index) throw new Error('the index is used before loadAll()');
      return index;
    },
    async verifyAll(ps, opts) {
      const { verifyMany } = await import('./passport/bulk.js');
      const todo = ps.filter((p) => !cache.has(p));
      const verdicts = await verifyMany(
        todo.map((p) => p.raw),
        trust,
        opts,
      );
      // A verdict reached meanwhile (on use) stands: each object is verified once.
      todo.forEach((p, i) => cache.has(p) || cache.set(p, verdicts[i]!));
      return ps.map((p) => cache.get(p)!);
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
    async requirePassport(slug, signal, log = logger) {
      let p: LoadedPassport | undefined;
      if (!store.has(slug) && store.canFetch) log.info(`fetching passport "${slug}" from ${config.registryUrl}`);
      if (stale.has(slug) && store.canFetch && store.origin(slug) === 'cache') {
        // Refresh policy (README): a stale cached passport is refetched when asked for; on any failure the cached
        // copy serves, and it is replaced only by a `valid` one.
        stale.delete(slug);
        await store.fetch(slug, signal).catch((err: unknown) => log.info(`kept the cached "${slug}": refresh failed (${(err as Error).message})`));
      }
      try {
        p = await store.resolve(slug, signal);
      } catch (err) {
        if (err instanceof UserInputError) throw err;
        throw new UserInputError(`no passport "${slug}" is loaded, and the registry fetch failed: ${(err as Error).message}`);
      }
      if (p && store.origin(slug) !== 'local' && rejectIfBad(p)) {
        throw new UserInputError(`the cached passport "${slug}" failed verification and was dropped; ask find_capability_by_intent again`);
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
        index = new IntentIndex(options.index);
        for (const p of store.list()) index.add(p);
      }
      const { loadPassportPath, BUILTIN_PASSPORT_PATH } = await import('./passport/load.js');
      const sources = [...(config.builtin ? [BUILTIN_PASSPORT_PATH] : []), ...config.passports];
      let loaded = 0;
      let problems = 0;
      for (const src of sources) {
        const r = await loadPassportPath(src, onProgress);
        for (const p of r.passports) {
          store.add(src === BUILTIN_PASSPORT_PATH ? { ...p, source: 'builtin' } : p);
          // Indexing 10,000 passports takes about a second: the server keeps answering (pings, signals) meanwhile.
          if (++loaded % ADD_BATCH === 0) await yieldToLoop();
        }
        for (const pr of r.problems) logger.warn(`skipped ${pr.source}: ${pr.message}`);
        problems += r.problems.length;
      }
      if (config.cacheDir) {
        const c = await loadCache();
        loaded += c.loaded;
        problems += c.problems;
      }
      return { loaded, problems };
    },
  };
  /**
   * Indexes the cache: every entry through the strict loader (cache.ts) joins the store as `cache` (local passports
   * win), as fast as loading the same passports from files. Signatures are then re-checked in the background, in
   * bulk (bulk.ts, across cores), slice by slice so the server keeps answering; `invalid_signature` and `malformed`
   * entries are removed from the store and the cache with a warning. Nothing is trusted before its check: a cached
   * passport used before its bulk verdict is verified on the spot (app.verification), and a bad one is never
   * presented (federation.ts, requirePassport).
   */
  async function loadCache(): Promise<{ loaded: number; problems: number }> {
    const { PassportCache } = await import('./registry/cache.js');
    passportCache ??= new PassportCache({ dir: config.cacheDir! });
    const { passports, problems } = await passportCache.readAll();
    for (const pr of problems) logger.warn(`cache: skipped ${pr.source}: ${pr.message}`);
    const added: LoadedPassport[] = [];
    for (const c of passports) {
      if (store.origin(c.passport.slug) === 'local') continue; // local wins
      store.add(c.passport, 'cache');
      if (c.stale) stale.add(c.passport.slug);
      added.push(c.passport);
      if (added.length % ADD_BATCH === 0) await yieldToLoop();
    }
    cacheChecked = checkCached(added).catch((err: unknown) => logger.warn(`cache: background verification failed: ${(err as Error).message}`));
    return { loaded: added.length, problems: problems.length };
  }

  async function checkCached(list: LoadedPassport[]): Promise<void> {
    const { MIN_PARALLEL_BATCH } = await import('./passport/bulk.js');
    for (let i = 0; i < list.length; i += MIN_PARALLEL_BATCH) {
      await yieldToLoop();
      // Skip what was replaced meanwhile (verifyAll skips what was verified on use).
      const slice = list.slice(i, i + MIN_PARALLEL_BATCH).filter((p) => store.get(p.slug) === p);
      await app.verifyAll(slice);
      slice.forEach((p) => rejectIfBad(p));
    }
  }

  /** True when a registry or cached passport fails verification; it then leaves the store and the cache. */
  function rejectIfBad(p: LoadedPassport): boolean {
    const origin = store.origin(p.slug);
    if (origin === 'local' && store.get(p.slug) === p) return false;
    const v = app.verification(p);
    if (v.status !== 'invalid_signature' && v.status !== 'malformed') return false;
    if (store.get(p.slug) === p) {
      logger.warn(`${origin === 'cache' ? 'cache' : 'registry'}: dropped "${p.slug}": ${v.status} (${v.detail})`);
      store.delete(p.slug);
      const r = passportCache?.remove(p.slug);
      if (r) {
        removals.add(r);
        void r.finally(() => removals.delete(r));
      }
    }
    return true;
  }

  return app;
}
