// The result of find_capability_by_intent, defined once (zod; the TS types derive from it): the MCP tool's
// outputSchema, the CLI and the federation all use it. Light on purpose: tools/list shows this schema, so it
// loads at start-up and may import nothing at run time but zod and the (import-free) confidence constants.
import { z } from 'zod';
import { VERIFY_STATUSES } from '../passport/verify-result.js';
import type { RegistryStatus } from '../registry/discovery.js';
import { DEFAULT_MIN_CONFIDENCE } from './confidence.js';

/** CONTRACT: >= 0.5 means "serves the intent"; find's default min_confidence. */
export const FIND_DEFAULT_MIN_CONFIDENCE = DEFAULT_MIN_CONFIDENCE;
export const SCOPES = ['all', 'local', 'registry'] as const;
export type Scope = (typeof SCOPES)[number];

const REGISTRY_STATUSES = ['ok', 'offline', 'skipped', 'timeout', 'rate_limited', 'error'] as const satisfies readonly RegistryStatus[];

export const MatchSchema = z.object({
  score: z.number().describe('Relevance within this answer, higher is better (a registry match scores its confidence)'),
  confidence: z.number().min(0).max(1).describe('How sure this capability serves the intent, 0-1; 0.5 and above: it does'),
  source: z.enum(['local', 'registry']).describe('Where the passport came from: a local file or directory, or the registry (fresh or cached)'),
  verification: z.enum(VERIFY_STATUSES).describe('verify_passport status of the passport; only "valid" means its signature checks out'),
  reason: z.string().describe('Why this capability matched, in a few words'),
  artifact: z.object({
    slug: z.string(),
    name: z.string(),
    type: z.string().nullable(),
    verified: z.boolean().nullable(),
    trust_score: z.number().nullable(),
    pricing: z.record(z.string(), z.unknown()).nullable(),
  }),
  capability: z.object({
    id: z.string(),
    name: z.string(),
    uri: z.string().nullable(),
    description: z.string().nullable(),
    intents: z.array(z.string()),
    best_for: z.array(z.string()),
    limitations: z.array(z.string()),
  }),
});

export const RegistryReportSchema = z.object({
  status: z
    .enum(REGISTRY_STATUSES)
    .describe('ok, offline (--offline), skipped (scope local), timeout, rate_limited (429; no request until Retry-After passes) or error'),
  detail: z.string().optional().describe('What happened, e.g. which registry entries were dropped and why'),
  resolve_id: z.string().optional().describe("The registry's id for this /resolve answer"),
});

export const FindResultSchema = z.object({
  matches: z.array(MatchSchema).describe('Best first; only matches at or above min_confidence'),
  searched_passports: z.number().int().describe('How many passports were searched locally (cached registry passports included)'),
  registry: RegistryReportSchema,
  note: z.string().optional().describe('When nothing reached min_confidence: the nearest capability and its confidence'),
});

export type FoundMatch = z.infer<typeof MatchSchema>;
export type FindResult = z.infer<typeof FindResultSchema>;
