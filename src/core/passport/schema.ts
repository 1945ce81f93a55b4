// The passport format (zod). It accepts every shape the registry really writes and tolerates unknown fields
// (registries add fields over time); every string and array is bounded so a hostile document cannot balloon
// memory or the index. The registry writes `null` for "not known" almost anywhere (prices, stars, dates,
// optional lists): the schema is applied to a null-free copy (envelope.ts withoutNulls), so the parsed view and
// the types derived from it never carry `null`; the raw object kept for verification is untouched.
import { z } from 'zod';
import { MAX_DEPTH } from '../strict-json.js';
import { decodeSignature, withoutNulls } from './envelope.js';

/** A passport slug: safe in a URL path segment and a resource URI, at most 256 characters. */
export const SLUG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,255}$/;

/** Ids (artifact and capability): no whitespace, control or invisible format characters, at most 256. */
export const ID_PATTERN = /^[^\s\p{Cc}\p{Cf}]{1,256}$/u;

const S = (max = 4096) => z.string().max(max);
const ID = () => S(256).regex(ID_PATTERN, 'ids may not hold whitespace, control or invisible characters');
const list = <T extends z.ZodType>(item: T, max = 256) => z.array(item).max(max);

export const CapabilitySchema = z.looseObject({
  id: ID(),
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
  id: ID().optional(),
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
      last_matched_at: S(64).optional(),
    })
    .optional(),
  maintenance: z
    .looseObject({
      status: S(64).optional(),
      updated_at: S(64).optional(),
      last_scraped_at: S(64).optional(),
      last_commit: S(256).optional(),
    })
    .optional(),
  community: z.record(z.string(), z.unknown()).optional(),
});

export const UnfragileSchema = z.looseObject({
  '@version': S(32).optional(),
  version: S(64).optional(),
  artifact: ArtifactSchema,
  // An artifact the registry knows nothing about yet may come without capabilities: it loads, and matches nothing.
  capabilities: list(CapabilitySchema, 512).default([]),
  trust: TrustSchema.optional(),
  distribution: z.record(z.string(), z.unknown()).optional(),
});

export const PassportSchema = z.looseObject({
  unfragile: UnfragileSchema,
  // Security: a signature is canonical base64 of exactly 64 bytes, or empty (unsigned); anything else is refused
  // at load time rather than kept as a passport that can never verify.
  signature: z
    .string()
    .max(128)
    .refine((sig) => sig === '' || decodeSignature(sig) !== undefined, 'signature must be canonical base64 of exactly 64 bytes')
    .optional(),
  signedAt: S(64).optional(),
  signedBy: S(256).optional(),
  version: z.union([z.number(), z.string().max(64)]).optional(),
});

export type Capability = z.infer<typeof CapabilitySchema>;
export type Artifact = z.infer<typeof ArtifactSchema>;
export type Unfragile = z.infer<typeof UnfragileSchema>;
export type Passport = z.infer<typeof PassportSchema>;

/**
 * Validates a passport object (unwrapped) into the null-free parsed view; `raw` is never modified.
 * Throws RangeError when the object nests deeper than MAX_DEPTH (text is bounded earlier, by the JSON reader).
 */
export function parsePassportView(raw: Record<string, unknown>): ReturnType<typeof PassportSchema.safeParse> {
  return PassportSchema.safeParse(withoutNulls(raw, MAX_DEPTH));
}

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

export { isObject, unwrapPassport, withoutNulls } from './envelope.js';
