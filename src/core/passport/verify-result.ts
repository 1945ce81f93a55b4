// The verdict of a signature check, defined once (zod; the TS types derive from it): verify.ts returns it, the
// verify_passport tool's outputSchema and the find result's `verification` use it. Light on purpose: tools/list
// shows this schema, so it may import nothing at run time but zod.
import { z } from 'zod';
import type { KeySource } from './trust.js';

export const VERIFY_STATUSES = ['valid', 'invalid_signature', 'unknown_key', 'unsigned', 'malformed'] as const;
const KEY_SOURCES = ['flag', 'env', 'pinned'] as const satisfies readonly KeySource[];

export const VerifyResultSchema = z.object({
  status: z.enum(VERIFY_STATUSES),
  valid: z.boolean(),
  slug: z.string().optional(),
  issuer: z.string().optional(),
  signed_at: z.string().optional(),
  key_fingerprint: z.string().optional(),
  key_source: z
    .enum(KEY_SOURCES)
    .optional()
    .describe('Where the key that verified came from: --trust-key, PASSPORT_MCP_TRUST_KEYS, or a pin made with `passport-mcp trust pin`'),
  scope: z.enum(['unfragile', 'passport']).optional().describe('What the signature covered'),
  warnings: z.array(z.string()),
  detail: z.string(),
});

export type VerifyResult = z.infer<typeof VerifyResultSchema>;
export type VerifyStatus = VerifyResult['status'];
export type SignatureScope = NonNullable<VerifyResult['scope']>;
