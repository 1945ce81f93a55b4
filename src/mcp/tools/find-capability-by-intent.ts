// find_capability_by_intent: free-text intent -> the best matching capabilities, from the local passports and the
// registry's /resolve in one ranked list (core/search/federation.ts holds the logic and the result's schema).
import { z } from 'zod';
import { FIND_DEFAULT_MIN_CONFIDENCE, FindResultSchema, SCOPES } from '../../core/search/find-result.js';
import { ok } from '../results.js';
import { defineTool, READ_ONLY } from '../tool.js';

export const MAX_INTENT_CHARS = 2000;

export const findCapabilityByIntent = defineTool({
  name: 'find_capability_by_intent',
  title: 'Find a capability by intent',
  description:
    'Find AI capabilities that serve a task described in plain words (e.g. "describe a screenshot", "transcribe a ' +
    'meeting recording"), searching the local passports and, unless the server is offline or scope is "local", the ' +
    "unfragile.ai registry (the intent text is sent to it). Returns one list, best first, each match with the artifact's " +
    'slug, a calibrated confidence (0.5 and above: serves the intent), source ("local" or "registry"), the passport\'s ' +
    "verification status, trust score, pricing and the capability's intents, best uses and limitations; `registry.status` " +
    'says whether the registry answered. When nothing is confident enough, `matches` is empty and `note` names the nearest. ' +
    'Registry results are claims until checked: call verify_passport (only "valid" is verified) and get_failure_modes with ' +
    'the slug before relying on one, then invoke_model to call the model.',
  inputSchema: {
    intent: z.string().min(1).max(MAX_INTENT_CHARS).describe('What you want to do, in plain words'),
    limit: z.number().int().min(1).max(50).default(5).describe('How many matches to return (1-50, default 5)'),
    input_type: z.string().max(100).optional().describe('Keep capabilities that accept this input, e.g. "image", "audio", "text"'),
    output_type: z.string().max(100).optional().describe('Keep capabilities that produce this output, e.g. "text", "json", "image"'),
    verified_only: z.boolean().optional().describe('Keep only artifacts the issuer marked verified'),
    min_trust_score: z.number().min(0).max(100).optional().describe('Keep only artifacts with a trust score at least this (0-100)'),
    min_confidence: z
      .number()
      .min(0)
      .max(1)
      .default(FIND_DEFAULT_MIN_CONFIDENCE)
      .describe('Keep only matches at least this confident (0-1, default 0.5: the level at which a match serves the intent)'),
    scope: z
      .enum(SCOPES)
      .default('all')
      .describe('"all" (default): local passports and the registry; "local": never ask the registry; "registry": only the registry\'s answer'),
  },
  outputSchema: FindResultSchema.shape,
  // openWorldHint: with scope "all" or "registry" the call reaches the registry.
  annotations: { title: 'Find a capability by intent', ...READ_ONLY, openWorldHint: true },
  async handler(args, { app, signal }) {
    // Loaded on the first call: the federation, like the index it drives, is no part of the handshake.
    const { federatedFind } = await import('../../core/search/federation.js');
    return ok(await federatedFind(app, args, signal));
  },
});
