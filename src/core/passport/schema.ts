// The passport format (zod). It accepts the seed exactly and tolerates unknown fields (registries add fields
// over time); every string and array is bounded so a hostile document cannot balloon memory or the index.
import { z } from 'zod';

/** A passport slug: safe in a URL path segment and a resource URI, at most 256 characters. */
export const SLUG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,255}$/;

const S = (max = 4096) => z.string().max(max);
const list = <T extends z.ZodType>(item: T, max = 256) => z.array(item).max(max);

export const CapabilitySchema = z.looseObject({
  id: S(256).min(1),
  uri: S(1024).optional(),
  name: S(512).min(1),
  description: S(16_384).optional(),
  intents: list(S()).optional(),
  best_for: list(S()).optional(),
  limitations: list(S()).optional(),
  requires: list(S()).optional(),
  input_types: list(S()).optional(),
  output_types: list(S()).optional(),
  categories: list(S(256)).optional(),
  confidence: z.number().optional(),
  matches: z.number().optional(),
  success_rate: z.number().optional(),
});

export const ArtifactSchema = z.looseObject({
  id: S(256).optional(),
  slug: S(256).regex(SLUG_PATTERN, 'slug may hold only letters, digits, ".", "_", "~" and "-"'),
  name: S(512).min(1),
  type: S(64).optional(),
  url: S(2048).optional(),
  page_url: S(2048).optional(),
  categories: list(S(256)).optional(),
  tags: list(S(256)).optional(),
  pricing: z
    .looseObject({
      model: S(64).optional(),
      free: z.boolean().optional(),
      starting_price: S(256).optional(),
    })
    .optional(),
  status: S(64).optional(),
  verified: z.boolean().optional(),
});

export const TrustSchema = z.looseObject({
  score: z.number().optional(),
  verified: z.boolean().optional(),
  data_access_risk: S(64).optional(),
  permissions: list(S()).optional(),
  failure_modes: list(S()).optional(),
  rank_breakdown: z.record(z.string(), z.unknown()).optional(),
  observed_outcomes: z
    .looseObject({
      matches: z.number().optional(),
      success_rate: z.number().optional(),
      avg_confidence: z.number().optional(),
      top_intents: list(z.unknown()).optional(),
      last_matched_at: S(64).nullable().optional(),
    })
    .optional(),
  maintenance: z
    .looseObject({
      status: S(64).optional(),
      updated_at: S(64).nullable().optional(),
      last_scraped_at: S(64).nullable().optional(),
      last_commit: S(256).nullable().optional(),
    })
    .optional(),
  community: z.record(z.string(), z.unknown()).optional(),
});

export const UnfragileSchema = z.looseObject({
  '@version': S(32).optional(),
  version: S(64).optional(),
  artifact: ArtifactSchema,
  capabilities: list(CapabilitySchema, 512),
  trust: TrustSchema.optional(),
  distribution: z.record(z.string(), z.unknown()).optional(),
});

export const PassportSchema = z.looseObject({
  unfragile: UnfragileSchema,
  signature: S(512).optional(),
  signedAt: S(64).optional(),
  signedBy: S(256).optional(),
  version: z.union([z.number(), z.string().max(64)]).optional(),
});

export type Capability = z.infer<typeof CapabilitySchema>;
export type Artifact = z.infer<typeof ArtifactSchema>;
export type Unfragile = z.infer<typeof UnfragileSchema>;
export type Passport = z.infer<typeof PassportSchema>;

/** A passport as the server holds it: validated, with the exact parsed JSON kept for verification. */
export interface LoadedPassport {
  slug: string;
  /** The validated view (unknown fields kept by looseObject). */
  passport: Passport;
  /** The parsed `passport` object exactly as in the document, for canonicalisation. */
  raw: Record<string, unknown>;
  /** Where it came from: a file path, `builtin`, or a registry URL. */
  source: string;
}

export { isObject, unwrapPassport } from './envelope.js';
