// Discovery through the registry: one /resolve call per intent (remembered for a few minutes), and the one path by
// which any registry passport joins the server (resolve entries and /passport fetches alike): the strict loader,
// the signature check, the store's rules (local wins; a registry copy replaces a cached one only when `valid`),
// then the cache. `invalid_signature` and `malformed` passports are dropped with a warning, never stored or cached;
// `unknown_key` and `unsigned` ones are kept and say so in their verification.
import type { Logger } from '../logger.js';
import { loadResolveTrust } from '../passport/load.js';
import type { Capability, LoadedPassport } from '../passport/schema.js';
import type { PassportStore } from '../passport/store.js';
import type { VerifyResult } from '../passport/verify.js';
import type { PassportCache } from './cache.js';
import type { RegistryClient, ResolveEntry } from './client.js';
import { createSharedWork } from '../shared-work.js';
import { setImmediate as yieldToLoop } from 'node:timers/promises';

/** How long an intent's answer is reused: the registry is rate-limited and learns from every query. */
export const MEMO_TTL_MS = 5 * 60_000;
export const MEMO_MAX = 512;
/** Entries asked of /resolve: enough for a filter or the local merge to leave `limit` behind. */
export const RESOLVE_MIN_LIMIT = 10;

export type RegistryStatus = 'ok' | 'offline' | 'skipped' | 'timeout' | 'rate_limited' | 'error';

export interface RegistryHit {
  slug: string;
  capabilityId: string;
  /** The registry's matchConfidence on our scale (registryConfidence). */
  confidence: number;
  reason: string;
}

export interface DiscoveryOutcome {
  status: Exclude<RegistryStatus, 'offline' | 'skipped'>;
  detail?: string;
  resolveId?: string;
  hits: RegistryHit[];
  /** True when answered from memory, without a request. */
  remembered: boolean;
}

export type IngestResult = { passport: LoadedPassport; verification: VerifyResult } | { dropped: string };

/** How long a /resolve answer's entries may hold the event loop before the server gets a turn. */
export const ENTRY_TURN_MS = 2;

export interface DiscoveryDeps {
  client: RegistryClient;
  store: PassportStore;
  verify(p: LoadedPassport): VerifyResult;
  cache?: PassportCache;
  logger: Logger;
  registryUrl: string;
  now?: () => number;
  memoTtlMs?: number;
  /** Told when the registry re-sent a cached passport unchanged (its cache entry is then fresh again). */
  refreshed?(slug: string): void;
  /**
   * Told when a /resolve answer's entries start (true) and finish (false) being taken in: the app holds its index
   * queue meanwhile, so that new passports are indexed after the answer, not in the turns between its entries.
   */
  takingIn?(busy: boolean): void;
}

export interface Discovery {
  resolve(intent: string, limit: number, signal?: AbortSignal): Promise<DiscoveryOutcome>;
  /** Runs a registry passport through the rules above; `from` names where it came from (a URL). */
  ingest(p: LoadedPassport, from: string): IngestResult;
  /** Resolves once every cache write started so far has finished (tests, shutdown). */
  settled(): Promise<void>;
}

/**
 * The registry's matchConfidence onto our `confidence` scale. Both are "how sure is this a match" in [0, 1], and
 * the registry's own answers treat ~0.5 as the edge of a match, so the mapping is the identity, clamped. A value in
 * (1, 100] is read as a percentage; a missing or unreadable one is 0.5: the registry chose to return the entry,
 * which is the least it vouches for, and a caller's higher min_confidence still filters it out.
 */
export function registryConfidence(v: number | undefined): number {
  if (v === undefined || !Number.isFinite(v)) return 0.5;
  const x = v > 1 && v <= 100 ? v / 100 : v;
  return Math.max(0, Math.min(1, x));
}

/** Intents differing only in case, width or spacing are the same question. */
export function normaliseIntent(intent: string): string {
  return intent.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function findCapability(p: LoadedPassport, id?: string, name?: string): Capability | undefined {
  const caps = p.passport.unfragile.capabilities;
  if (id) {
    const byId = caps.find((c) => c.id === id);
    if (byId) return byId;
  }
  if (name) {
    const n = name.toLowerCase();
    const byName = caps.find((c) => c.name.toLowerCase() === n);
    if (byName) return byName;
  }
  // An entry naming no capability stands for its passport's only one.
  return !id && !name && caps.length === 1 ? caps[0] : undefined;
}

export function createDiscovery(deps: DiscoveryDeps): Discovery {
  const now = deps.now ?? Date.now;
  const ttl = deps.memoTtlMs ?? MEMO_TTL_MS;
  // Per instance (one per app): the memo of recent answers and the requests in flight.
  const memo = new Map<string, { at: number; limit: number; outcome: DiscoveryOutcome }>();
  const inflight = createSharedWork<string, DiscoveryOutcome>();
  const writes = new Set<Promise<void>>();
  const refreshedThisRun = new Set<string>();
  const sameSigned = (a: LoadedPassport, b: LoadedPassport) =>
    typeof a.raw.signature === 'string' && a.raw.signature !== '' && a.raw.signature === b.raw.signature;

  function ingest(p: LoadedPassport, from: string): IngestResult {
    const v = deps.verify(p);
    if (v.status === 'invalid_signature' || v.status === 'malformed') {
      // Security: a passport that fails against a trusted key is never stored, cached or presented.
      deps.logger.warn(`dropped registry passport "${p.slug}": ${v.status} (${v.detail})`);
      return { dropped: `${v.status}: ${v.detail}` };
    }
    const out = deps.store.offer(p, 'registry', v.valid);
    if (out.accepted) writeToCache(p, from);
    else if (sameSigned(out.held, p)) refresh(out.held, from);
    const held = out.held;
    return { passport: held, verification: held === p ? v : deps.verify(held) };
  }

  /** Written just after the answer goes out (serialising is off the answer's path too). */
  function writeToCache(p: LoadedPassport, from: string): void {
    const cache = deps.cache;
    if (!cache) return;
    const w = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => cache.write(p, from))
      .catch((err: unknown) => deps.logger.warn(`could not write "${p.slug}" to the cache: ${(err as Error).message}`))
      .finally(() => writes.delete(w));
    writes.add(w);
  }

  /**
   * The registry sent a cached passport again, unchanged (same signature): its entry is rewritten, once per run, so
   * that it is fresh again and is not refetched or evicted as old. Without a trusted key a changed copy cannot
   * replace the cached one (only a `valid` one may), but the same bytes may always be written again.
   */
  function refresh(held: LoadedPassport, from: string): void {
    if (deps.store.origin(held.slug) !== 'cache' || refreshedThisRun.has(held.slug)) return;
    refreshedThisRun.add(held.slug);
    writeToCache(held, from);
    deps.refreshed?.(held.slug);
  }

  function fromEntry(e: ResolveEntry, problems: string[]): RegistryHit | undefined {
    const name = `"${(e.slug ?? `#${e.index}`).slice(0, 80)}"`;
    let p: LoadedPassport | undefined;
    const held = e.slug ? deps.store.get(e.slug) : undefined;
    const sig = e.trust?.signature;
    if (held && (deps.store.origin(held.slug) === 'local' || (typeof sig === 'string' && sig.length > 0 && held.raw.signature === sig))) {
      // Local wins, and a passport we hold with the same signature is the one we already checked: either way the
      // held copy serves, with no loading, verification or re-indexing (what keeps a registry answer cheap).
      p = held;
      refresh(held, `${deps.registryUrl}/resolve`);
    } else if (e.trust) {
      let loaded: LoadedPassport;
      try {
        loaded = loadResolveTrust(e.trust, `${deps.registryUrl}/resolve#${e.index}`);
      } catch (err) {
        deps.logger.warn(`dropped registry entry ${name}: malformed passport (${(err as Error).message.slice(0, 200)})`);
        problems.push(`${name} (malformed: ${(err as Error).message.slice(0, 120)})`);
        return undefined;
      }
      const r = ingest(loaded, `${deps.registryUrl}/resolve`);
      if ('dropped' in r) {
        problems.push(`${name} (${r.dropped.split(':')[0]})`);
        return undefined;
      }
      p = r.passport;
    } else if (e.slug) {
      p = deps.store.get(e.slug); // an entry without its passport is usable only for one we hold
    }
    if (!p) {
      problems.push(`${name} (no passport in the answer)`);
      return undefined;
    }
    const cap = findCapability(p, e.capabilityId, e.capabilityName);
    if (!cap) {
      problems.push(`${name} (capability "${(e.capabilityId ?? e.capabilityName ?? '?').slice(0, 80)}" is not in its passport)`);
      return undefined;
    }
    const why = e.why?.replace(/\s+/g, ' ').trim().slice(0, 300);
    return {
      slug: p.slug,
      capabilityId: cap.id,
      confidence: registryConfidence(e.matchConfidence),
      reason: why ? `registry: ${why}` : 'registry /resolve match',
    };
  }

  async function ask(intent: string, limit: number, signal?: AbortSignal): Promise<DiscoveryOutcome> {
    const r = await deps.client.resolve(intent, limit, signal);
    if (r.status !== 'ok') return { status: r.status, detail: r.detail, hits: [], remembered: false };
    const problems: string[] = [];
    const hits: RegistryHit[] = [];
    deps.takingIn?.(true);
    try {
      let since = performance.now();
      for (const e of r.entries) {
        const h = fromEntry(e, problems);
        if (h) hits.push(h);
        // Loading and verifying a large passport takes milliseconds: once the entries have held the loop for
        // ENTRY_TURN_MS, the server gets a turn (pings, signals, other requests) before the next one. A turn after
        // every entry cost an answer of ten small new passports ~3 ms of its 5 ms budget (bench/federation.mjs).
        if (performance.now() - since >= ENTRY_TURN_MS) {
          await yieldToLoop();
          since = performance.now();
        }
      }
    } finally {
      deps.takingIn?.(false);
    }
    const details = [
      r.detail,
      problems.length ? `dropped ${problems.length} entr${problems.length === 1 ? 'y' : 'ies'}: ${problems.slice(0, 10).join(', ')}` : undefined,
    ].filter(Boolean);
    return { status: 'ok', detail: details.length ? details.join('; ') : undefined, resolveId: r.resolveId, hits, remembered: false };
  }

  return {
    ingest,
    settled: async () => {
      while (writes.size) await Promise.all([...writes]);
    },
    async resolve(intent, limit, signal) {
      const key = normaliseIntent(intent);
      const want = Math.max(RESOLVE_MIN_LIMIT, limit);
      const t = now();
      const m = memo.get(key);
      if (m && t - m.at < ttl && m.limit >= want) return { ...m.outcome, remembered: true };
      // Shared by concurrent callers of the same intent and size (a smaller answer would not do for a larger ask);
      // one caller's cancel ends only its own wait.
      return inflight(
        `${want}\u0000${key}`,
        async (shared) => {
          const outcome = await ask(intent, want, shared);
          // Only answers are remembered; a fault is retried on the next call (a 429 window stops that itself).
          if (outcome.status === 'ok') {
            memo.delete(key);
            memo.set(key, { at: now(), limit: want, outcome });
            if (memo.size > MEMO_MAX) memo.delete(memo.keys().next().value!);
          }
          return outcome;
        },
        signal,
        () => ({ status: 'error', detail: 'registry request cancelled', hits: [], remembered: false }),
      );
    },
  };
}
