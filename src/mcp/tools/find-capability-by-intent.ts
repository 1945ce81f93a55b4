// find_capability_by_intent: free-text intent -> the best matching capabilities across loaded passports.
import { z } from 'zod';
import { ok } from '../results.js';
import { defineTool, READ_ONLY } from '../tool.js';
import type { SearchMatch } from '../../core/search/index.js';

export const MAX_INTENT_CHARS = 2000;

const matchSchema = z.object({
  score: z.number().describe('Relevance, higher is better; comparable only within one answer'),
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

export function shapeMatch(m: SearchMatch): z.infer<typeof matchSchema> {
  const a = m.passport.passport.unfragile.artifact;
  const trust = m.passport.passport.unfragile.trust;
  const c = m.capability;
  return {
    score: Math.round(m.score * 1e4) / 1e4,
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

export const findCapabilityByIntent = defineTool({
  name: 'find_capability_by_intent',
  title: 'Find a capability by intent',
  description:
    'Search the loaded AI-artifact passports for capabilities that serve a task described in plain words ' +
    '(e.g. "describe a screenshot", "transcribe a meeting recording"). Returns the best matches first, each with the ' +
    "artifact's slug, trust score, pricing and the capability's intents, best uses and limitations. " +
    'Next: call get_failure_modes with the slug to read the risks, verify_passport to check the signature, then ' +
    'invoke_model to call the model.',
  inputSchema: {
    intent: z.string().min(1).max(MAX_INTENT_CHARS).describe('What you want to do, in plain words'),
    limit: z.number().int().min(1).max(50).default(5).describe('How many matches to return (1-50, default 5)'),
    input_type: z.string().max(100).optional().describe('Keep capabilities that accept this input, e.g. "image", "audio", "text"'),
    output_type: z.string().max(100).optional().describe('Keep capabilities that produce this output, e.g. "text", "json", "image"'),
    verified_only: z.boolean().optional().describe('Keep only artifacts the issuer marked verified'),
    min_trust_score: z.number().min(0).max(100).optional().describe('Keep only artifacts with a trust score at least this (0-100)'),
  },
  outputSchema: {
    matches: z.array(matchSchema).describe('Best first'),
    searched_passports: z.number().int().describe('How many passports were searched'),
  },
  annotations: { title: 'Find a capability by intent', ...READ_ONLY },
  async handler(args, { app }) {
    const matches = app.index.search(args.intent, {
      limit: args.limit,
      input_type: args.input_type,
      output_type: args.output_type,
      verified_only: args.verified_only,
      min_trust_score: args.min_trust_score,
    });
    return ok({ matches: matches.map(shapeMatch), searched_passports: app.store.size });
  },
});
