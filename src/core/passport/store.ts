// The set of loaded passports, by slug, with where each came from. Later local sources win over earlier ones
// (with a warning); a registry passport (fresh or cached) never replaces a local one, and replaces a cached or
// earlier registry copy only when it verifies `valid` (CONTRACT, registry rules). Listeners (the search index)
// hear of every addition and removal. A slug that is not loaded can be fetched from the registry.
import type { LoadedPassport } from './schema.js';
import { createSharedWork } from '../shared-work.js';

export type RemoteFetcher = (slug: string, signal?: AbortSignal) => Promise<LoadedPassport>;

/** `local`: a file, a directory or the built-in passport; `cache`: read back from the cache; `registry`: this run. */
export type PassportOrigin = 'local' | 'cache' | 'registry';

export interface AddOutcome {
  replaced?: LoadedPassport;
}

export interface OfferOutcome {
  /** The passport now held for the slug (the offered one, or the one that won). */
  held: LoadedPassport;
  accepted: boolean;
  /** Why the offered passport was not taken. */
  reason?: 'local-wins' | 'not-valid';
}

export class PassportStore {
  private readonly bySlug = new Map<string, LoadedPassport>();
  private readonly origins = new Map<string, PassportOrigin>();
  private readonly listeners: ((p: LoadedPassport, replaced?: LoadedPassport) => void)[] = [];
  private readonly removeListeners: ((p: LoadedPassport) => void)[] = [];
  private readonly inflight = createSharedWork<string, LoadedPassport>();

  constructor(private readonly remote?: RemoteFetcher) {}

  add(p: LoadedPassport, origin: PassportOrigin = 'local'): AddOutcome {
    const replaced = this.bySlug.get(p.slug);
    this.bySlug.set(p.slug, p);
    this.origins.set(p.slug, origin);
    for (const l of this.listeners) l(p, replaced);
    return { replaced };
  }

  /**
   * A passport from the registry or the cache: local ones win; an existing registry/cached copy is replaced only
   * by a `valid` one (`valid` says whether the offered passport verified).
   */
  offer(p: LoadedPassport, origin: Exclude<PassportOrigin, 'local'>, valid: boolean): OfferOutcome {
    const held = this.bySlug.get(p.slug);
    if (held && this.origins.get(p.slug) === 'local') return { held, accepted: false, reason: 'local-wins' };
    if (held && !valid) return { held, accepted: false, reason: 'not-valid' };
    this.add(p, origin);
    return { held: p, accepted: true };
  }

  /** Removes a passport (a cached one found bad on re-verification). */
  delete(slug: string): void {
    const p = this.bySlug.get(slug);
    if (!p) return;
    this.bySlug.delete(slug);
    this.origins.delete(slug);
    for (const l of this.removeListeners) l(p);
  }

  onAdd(listener: (p: LoadedPassport, replaced?: LoadedPassport) => void): void {
    this.listeners.push(listener);
  }

  onRemove(listener: (p: LoadedPassport) => void): void {
    this.removeListeners.push(listener);
  }

  get(slug: string): LoadedPassport | undefined {
    return this.bySlug.get(slug);
  }

  origin(slug: string): PassportOrigin | undefined {
    return this.origins.get(slug);
  }

  has(slug: string): boolean {
    return this.bySlug.has(slug);
  }

  list(): LoadedPassport[] {
    return [...this.bySlug.values()];
  }

  slugs(): string[] {
    return [...this.bySlug.keys()];
  }

  get size(): number {
    return this.bySlug.size;
  }

  get canFetch(): boolean {
    return this.remote !== undefined;
  }

  /** The passport for `slug`, fetching it from the registry (once, even under concurrent asks) if allowed. */
  async resolve(slug: string, signal?: AbortSignal): Promise<LoadedPassport | undefined> {
    const local = this.bySlug.get(slug);
    if (local || !this.remote) return local;
    const fetched = await this.fetch(slug, signal);
    return this.bySlug.get(slug) ?? fetched;
  }

  /** Fetches `slug` from the registry (shared by concurrent asks); the fetcher decides whether it is stored. */
  fetch(slug: string, signal?: AbortSignal): Promise<LoadedPassport> {
    const remote = this.remote;
    if (!remote) return Promise.reject(new Error('the registry is not used (offline)'));
    // One caller's cancel ends its own wait; the fetch stops only when every caller has cancelled.
    return this.inflight(
      slug,
      (shared) => remote(slug, shared),
      signal,
      () => {
        throw new Error('registry request cancelled');
      },
    );
  }
}
