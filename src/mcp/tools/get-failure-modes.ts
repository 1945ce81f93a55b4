// get_failure_modes: the risks of an artifact before using it, verbatim from its passport, plus a risk summary.
import { z } from 'zod';
import { failureModes } from '../../core/failure-modes.js';
import { ok } from '../results.js';
import { defineTool, READ_ONLY } from '../tool.js';

export const failureModesShape = {
  slug: z.string(),
  name: z.string(),
  failure_modes: z.array(z.string()).describe('Passport-level failure modes, verbatim'),
  capabilities: z.array(z.object({ id: z.string(), name: z.string(), limitations: z.array(z.string()).describe('Verbatim') })),
  risk: z.object({
    trust_score: z.number().nullable(),
    data_access_risk: z.string().nullable(),
    artifact_verified: z.boolean().nullable(),
    builder_verified: z.boolean().nullable(),
    permissions: z.array(z.string()),
    observed_outcomes: z.object({ matches: z.number().nullable(), success_rate: z.number().nullable(), last_matched_at: z.string().nullable() }),
    maintenance_status: z.string().nullable(),
    updated_at: z.string().nullable(),
    days_since_update: z.number().nullable(),
    stale: z.boolean(),
    signed: z.boolean(),
    summary: z.string(),
  }),
};

export const getFailureModes = defineTool({
  name: 'get_failure_modes',
  title: 'Read failure modes and risks',
  description:
    "Read an artifact's known failure modes and each capability's limitations, verbatim from its passport, with a " +
    'risk summary (trust score, data-access risk, verification flags, permissions, observed outcomes, staleness). ' +
    'Call it before relying on a model found with find_capability_by_intent; pass capability_id to narrow it to one ' +
    'capability. Next: verify_passport, then invoke_model.',
  inputSchema: {
    slug: z.string().min(1).max(256).describe('Passport slug, e.g. from find_capability_by_intent'),
    capability_id: z.string().min(1).max(256).optional().describe('Only this capability'),
  },
  outputSchema: failureModesShape,
  annotations: { title: 'Read failure modes and risks', ...READ_ONLY },
  async handler(args, { app, signal, logger }) {
    const p = await app.requirePassport(args.slug, signal, logger);
    return ok(failureModes(p, args.capability_id));
  },
});
