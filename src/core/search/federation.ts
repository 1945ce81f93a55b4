// Federated find: one call answers from the local index (files, the built-in passport, the cache) and, unless
// --offline or scope "local", from the registry's /resolve, merged into one list ranked on the one `confidence`
// scale, deduplicated by capability (slug + capability id; the local match wins), filtered alike, and cut at
// min_confidence. The result's schema is find-result.ts. The tool imports this module on its first call.
import type { AppContext } from '../app.js';
import type { Capability, LoadedPassport } from '../passport/schema.js';
import type { VerifyStatus } from '../passport/verify.js';
import type { DiscoveryOutcome } from '../registry/discovery.js';
import { FIND_DEFAULT_MIN_CONFIDENCE, type FindResult, type FoundMatch, type Scope } from './find-result.js';
import { filterFacts, filterPredicate, type SearchFilters, type SearchMatch } from './index.js';

export {
  FIND_DEFAULT_MIN_CONFIDENCE,
  FindResultSchema,
  MatchSchema,
  RegistryReportSchema,
  SCOPES,
  type FindResult,
  type FoundMatch,
  type Scope,
} from './find-result.js';

export interface FindOptions extends SearchFilters {
  intent: string;
  limit?: number;
  min_confidence?: number;
  scope?: Scope;
}

type Source = FoundMatch['source'];

interface Candidate {
  score: number;
  confidence: number;
  source: Source;
  reason: string;
  passport: LoadedPassport;
  capability: Capability;
}

const round = (x: number) => Math.round(x * 1e4) / 1e4;

/** A match in the contract's shape. */
export function shapeMatch(
  m: Pick<SearchMatch, 'score' | 'confidence' | 'reason' | 'passport' | 'capability'>,
  extra: { source: Source; verification: VerifyStatus },
): FoundMatch {
  const a = m.passport.passport.unfragile.artifact;
  const trust = m.passport.passport.unfragile.trust;
  const c = m.capability;
  return {
    score: round(m.score),
    confidence: round(Math.max(0, Math.min(1, m.confidence))),
    source: extra.source,
    verification: extra.verification,
    reason: m.reason,
    artifact: {
      slug: a.slug,
      name: a.name,
      type: a.type ?? null,
      verified: a.verified ?? trust?.verified ?? null,
      trust_score: trust?.score ?? null,
      pricing: (a.pricing as Record<string, unknown> | undefined) ?? null,
    },
    capability: {
      id: c.id,
      name: c.name,
      uri: c.uri ?? null,
      description: c.description ?? null,
      intents: c.intents ?? [],
      best_for: c.best_for ?? [],
      limitations: c.limitations ?? [],
    },
  };
}

export type FindApp = Pick<AppContext, 'index' | 'store' | 'verification' | 'config' | 'registry' | 'rejectIfBad'>;

/** One federated find. Never throws for a registry fault: that is `registry.status`. */
export async function federatedFind(app: FindApp, opts: FindOptions, signal?: AbortSignal): Promise<FindResult> {
  const limit = Math.max(1, Math.min(50, Math.floor(opts.limit ?? 5)));
  const minConfidence = opts.min_confidence ?? FIND_DEFAULT_MIN_CONFIDENCE;
  const scope = opts.scope ?? 'all';
  const filters: SearchFilters = {
    input_type: opts.input_type,
    output_type: opts.output_type,
    verified_only: opts.verified_only,
    min_trust_score: opts.min_trust_score,
  };
  // The index's own filters, applied to the registry's matches too.
  const pass = filterPredicate(filters);
  const sourceOf = (slug: string): Source => (app.store.origin(slug) === 'local' || app.store.origin(slug) === undefined ? 'local' : 'registry');

  // The local answer first, synchronously: it never waits on the registry. What it searched is counted now, before
  // the registry's passports join the store.
  const searched = scope === 'registry' ? 0 : app.store.size;
  const candidates: Candidate[] = [];
  const seen = new Set<string>();
  const keyOf = (slug: string, id: string) => `${slug}\u0000${id}`;
  if (scope !== 'registry') {
    // A few more than asked: the confidence cut and the merge may drop some.
    for (const m of app.index.search(opts.intent, { ...filters, limit: Math.min(100, limit * 2) })) {
      const key = keyOf(m.passport.slug, m.capability.id);
      if (seen.has(key)) continue;
      seen.add(key);
      candidates.push({
        score: m.score,
        confidence: m.confidence,
        source: sourceOf(m.passport.slug),
        reason: m.reason,
        passport: m.passport,
        capability: m.capability,
      });
    }
  }

  let registry: FindResult['registry'];
  if (scope === 'local') registry = { status: 'skipped' };
  else if (app.config.offline) registry = { status: 'offline' };
  else {
    const discovery = await app.registry();
    const outcome: DiscoveryOutcome = discovery
      ? await discovery.resolve(opts.intent, limit, signal)
      : { status: 'error', detail: 'the registry client is not available', hits: [], remembered: false };
    registry = {
      status: outcome.status,
      ...(outcome.detail ? { detail: outcome.detail } : {}),
      ...(outcome.resolveId ? { resolve_id: outcome.resolveId } : {}),
    };
    for (const h of outcome.hits) {
      const key = keyOf(h.slug, h.capabilityId);
      const p = app.store.get(h.slug);
      const cap = p?.passport.unfragile.capabilities.find((c) => c.id === h.capabilityId);
      if (!p || !cap) continue;
      if (seen.has(key)) {
        // Already found locally: the local match wins, but the registry's view of a registry passport counts.
        const c = candidates.find((x) => x.passport === p && x.capability === cap);
        if (c && c.source === 'registry' && h.confidence > c.confidence) c.confidence = h.confidence;
        continue;
      }
      if (pass && !pass(filterFacts(p, cap))) continue;
      seen.add(key);
      candidates.push({ score: h.confidence, confidence: h.confidence, source: sourceOf(h.slug), reason: h.reason, passport: p, capability: cap });
    }
  }

  candidates.sort((a, b) => b.confidence - a.confidence || (a.source === b.source ? 0 : a.source === 'local' ? -1 : 1) || b.score - a.score);
  // Security: a registry or cached passport is checked before it is presented (the cache's bulk check may not have
  // reached it yet); one that fails leaves the store and is never shown. Local ones are shown with their verdict.
  const presentable = candidates.filter((c) => c.source === 'local' || !app.rejectIfBad(c.passport));
  candidates.length = 0;
  candidates.push(...presentable);
  const passing = candidates.filter((c) => c.confidence >= minConfidence).slice(0, limit);
  const matches = passing.map((c) => shapeMatch(c, { source: c.source, verification: app.verification(c.passport).status }));
  const result: FindResult = { matches, searched_passports: searched, registry };
  if (!matches.length) {
    const best = candidates[0];
    const filtered = Object.entries(filters).filter(([, v]) => v !== undefined && v !== false && (typeof v !== 'string' || v.trim() !== ''));
    // Nothing at all under filters: say whether the filters are what removed the matches, and what they removed
    // (a registry or cached passport only once it passed its check, as for any match shown).
    const unfiltered =
      !best && pass && scope !== 'registry'
        ? app.index.search(opts.intent, { limit: 5 }).find((m) => sourceOf(m.passport.slug) === 'local' || !app.rejectIfBad(m.passport))
        : undefined;
    result.note = best
      ? `No capability reached confidence ${minConfidence}. The nearest is "${best.capability.name}" (${best.passport.slug} / ${best.capability.id}) at ${round(best.confidence)}.`
      : unfiltered
        ? `No capability passes the filters (${filtered.map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}). Without them the nearest is "${unfiltered.capability.name}" (${unfiltered.passport.slug} / ${unfiltered.capability.id}) at ${round(unfiltered.confidence)}.`
        : `No capability matches this intent among ${searched} passport(s)${registry.status === 'ok' ? ' or in the registry' : ''}.`;
  }
  return result;
}
