// The set of loaded passports, by slug. Later sources win over earlier ones (with a warning), and listeners
// (the search index) hear of every addition. A slug that is not loaded can be fetched from the registry.
import type { LoadedPassport } from './schema.js';

export type RemoteFetcher = (slug: string, signal?: AbortSignal) => Promise<LoadedPassport>;

export interface AddOutcome {
  replaced?: LoadedPassport;
}

export class PassportStore {
  private readonly bySlug = new Map<string, LoadedPassport>();
  private readonly listeners: ((p: LoadedPassport, replaced?: LoadedPassport) => void)[] = [];
  private readonly inflight = new Map<string, Promise<LoadedPassport>>();

  constructor(private readonly remote?: RemoteFetcher) {}

  add(p: LoadedPassport): AddOutcome {
    const replaced = this.bySlug.get(p.slug);
    this.bySlug.set(p.slug, p);
    for (const l of this.listeners) l(p, replaced);
    return { replaced };
  }

  onAdd(listener: (p: LoadedPassport, replaced?: LoadedPassport) => void): void {
    this.listeners.push(listener);
  }

  get(slug: string): LoadedPassport | undefined {
    return this.bySlug.get(slug);
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
    let pending = this.inflight.get(slug);
    if (!pending) {
      pending = this.remote(slug, signal).finally(() => this.inflight.delete(slug));
      this.inflight.set(slug, pending);
    }
    const fetched = await pending;
    if (!this.bySlug.has(slug)) this.add(fetched);
    return this.bySlug.get(slug);
  }
}
