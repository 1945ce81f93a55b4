// The intent index: capabilities of every loaded passport, searchable by a free-text intent.
// PLACEHOLDER scoring (plain term overlap) — to be replaced by the real index (issue 3). The public surface
// below (IntentIndex, SearchOptions, SearchMatch) is what the tool and CLI depend on.
import type { Capability, LoadedPassport } from '../passport/schema.js';

export interface SearchFilters {
  /** Keep capabilities whose input_types mention this (case-insensitive substring, e.g. "image"). */
  input_type?: string;
  /** Keep capabilities whose output_types mention this. */
  output_type?: string;
  /** Keep only artifacts whose passport says verified (artifact.verified or trust.verified). */
  verified_only?: boolean;
  /** Keep only artifacts with trust.score >= this (0..100). */
  min_trust_score?: number;
}

export interface SearchOptions extends SearchFilters {
  limit?: number;
}

export interface SearchMatch {
  score: number;
  /** A short human reason, e.g. 'intent "describe a photo" ~ "image", "describe"'. */
  reason: string;
  passport: LoadedPassport;
  capability: Capability;
}

export class IntentIndex {
  private readonly bySlug = new Map<string, LoadedPassport>();

  add(p: LoadedPassport): void {
    this.bySlug.set(p.slug, p);
  }

  remove(slug: string): void {
    this.bySlug.delete(slug);
  }

  get size(): number {
    return this.bySlug.size;
  }

  search(intent: string, opts: SearchOptions = {}): SearchMatch[] {
    const terms = tokenize(intent);
    const out: SearchMatch[] = [];
    for (const p of this.bySlug.values()) {
      for (const cap of p.passport.unfragile.capabilities) {
        const text = new Set(tokenize([cap.name, cap.description, ...(cap.intents ?? [])].join(' ')));
        const hits = terms.filter((t) => text.has(t));
        if (hits.length) out.push({ score: hits.length / terms.length, reason: `matched ${hits.join(', ')}`, passport: p, capability: cap });
      }
    }
    out.sort((a, b) => b.score - a.score);
    return out.slice(0, opts.limit ?? 5);
  }
}

function tokenize(s: string): string[] {
  return s.toLowerCase().split(/[^a-z0-9]+/).filter((t) => t.length > 2);
}
