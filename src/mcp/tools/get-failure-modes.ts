// get_failure_modes: the risks of an artifact before using it, verbatim from its passport, plus a risk summary.
import { z } from 'zod';
import { failureModes, failureModesReportSchema } from '../../core/failure-modes.js';
import { ok } from '../results.js';
import { defineTool, READ_ONLY } from '../tool.js';

// Defined once in core (the result type is derived from it).
export const failureModesShape = failureModesReportSchema.shape;

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
