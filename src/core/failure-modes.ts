// The risks of an artifact, read from its passport: every passport-level failure mode and every capability
// limitation verbatim, grouped per capability, plus a summary of the trust signals an agent should weigh.
import { z } from 'zod';
import { UserInputError } from './errors.js';
import type { LoadedPassport } from './passport/schema.js';

/** get_failure_modes' result, defined once: the tool's outputSchema is its shape, the type is derived from it. */
export const failureModesReportSchema = z.object({
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
});

export type FailureModesReport = z.infer<typeof failureModesReportSchema>;

const STALE_AFTER_DAYS = 180;
const DAY_MS = 86_400_000;

export function failureModes(p: LoadedPassport, capabilityId?: string, now = new Date()): FailureModesReport {
  const u = p.passport.unfragile;
  let caps = u.capabilities;
  if (capabilityId !== undefined) {
    caps = caps.filter((c) => c.id === capabilityId);
    if (caps.length === 0) {
      const known = u.capabilities
        .map((c) => c.id)
        .slice(0, 20)
        .join(', ');
      throw new UserInputError(`passport "${p.slug}" has no capability "${capabilityId}". Its capabilities: ${known}`);
    }
  }
  const trust = u.trust ?? {};
  const updatedAt = trust.maintenance?.updated_at ?? null;
  const updatedMs = updatedAt ? Date.parse(updatedAt) : NaN;
  const days = Number.isNaN(updatedMs) ? null : Math.max(0, Math.floor((now.getTime() - updatedMs) / DAY_MS));
  const stale = days === null || days > STALE_AFTER_DAYS;
  const outcomes = trust.observed_outcomes;
  const risk: FailureModesReport['risk'] = {
    trust_score: trust.score ?? null,
    data_access_risk: trust.data_access_risk ?? null,
    artifact_verified: u.artifact.verified ?? null,
    builder_verified: trust.verified ?? null,
    permissions: trust.permissions ?? [],
    observed_outcomes: {
      matches: outcomes?.matches ?? null,
      success_rate: outcomes?.success_rate ?? null,
      last_matched_at: outcomes?.last_matched_at ?? null,
    },
    maintenance_status: trust.maintenance?.status ?? u.artifact.status ?? null,
    updated_at: updatedAt,
    days_since_update: days,
    stale,
    signed: typeof p.passport.signature === 'string' && p.passport.signature.length > 0,
    summary: '',
  };
  risk.summary = summarise(risk, (trust.failure_modes ?? []).length);
  return {
    slug: p.slug,
    name: u.artifact.name,
    failure_modes: trust.failure_modes ?? [],
    capabilities: caps.map((c) => ({ id: c.id, name: c.name, limitations: c.limitations ?? [] })),
    risk,
  };
}

function summarise(r: FailureModesReport['risk'], modes: number): string {
  const parts: string[] = [];
  if (r.trust_score !== null) parts.push(`trust score ${r.trust_score}/100${r.trust_score < 50 ? ' (low)' : ''}`);
  else parts.push('no trust score');
  if (r.data_access_risk) parts.push(`data-access risk ${r.data_access_risk}`);
  if (r.builder_verified === false || r.artifact_verified === false) parts.push('not verified by the issuer');
  if (r.observed_outcomes.matches === 0) parts.push('no observed outcomes yet');
  else if (r.observed_outcomes.success_rate !== null) parts.push(`observed success rate ${r.observed_outcomes.success_rate}`);
  if (r.stale) parts.push(r.days_since_update === null ? 'no maintenance date' : `last updated ${r.days_since_update} days ago`);
  parts.push(`${modes} known failure mode${modes === 1 ? '' : 's'}`);
  return parts.join('; ');
}
