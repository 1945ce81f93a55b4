// verify_passport: check a passport's Ed25519 signature offline against the configured trusted issuer keys.
import { z } from 'zod';
import { UserInputError } from '../../core/errors.js';
import { MAX_DOCUMENT_BYTES } from '../../core/strict-json.js';
import { ok } from '../results.js';
import { defineTool, READ_ONLY } from '../tool.js';

export const verifyOutputShape = {
  status: z.enum(['valid', 'invalid_signature', 'unknown_key', 'unsigned', 'malformed']),
  valid: z.boolean(),
  slug: z.string().optional(),
  issuer: z.string().optional(),
  signed_at: z.string().optional(),
  key_fingerprint: z.string().optional(),
  key_source: z.enum(['flag', 'env', 'pinned']).optional().describe('Where the key that verified came from: --trust-key, PASSPORT_MCP_TRUST_KEYS, or a pin made with `passport-mcp trust pin`'),
  scope: z.enum(['unfragile', 'passport']).optional().describe('What the signature covered'),
  warnings: z.array(z.string()),
  detail: z.string(),
};

export const verifyPassport = defineTool({
  name: 'verify_passport',
  title: 'Verify a passport signature',
  description:
    "Check, offline, that a passport was signed by its issuer and not altered: verifies the Ed25519 signature over the " +
    'RFC 8785 canonical form against the trusted issuer keys the server was started with. Give a loaded slug ' +
    '(from find_capability_by_intent) or a passport document. status is valid, invalid_signature, unknown_key (no ' +
    'trusted key for the issuer: the detail says how to add one), unsigned or malformed. Only "valid" means the ' +
    "passport's claims come from its issuer. Next: get_failure_modes, then invoke_model.",
  inputSchema: {
    slug: z.string().min(1).max(256).optional().describe('Slug of a loaded (or registry) passport'),
    passport: z
      .union([z.string().max(MAX_DOCUMENT_BYTES), z.record(z.string(), z.unknown())])
      .optional()
      .describe('A passport document: the registry envelope or a bare passport object, as an object or JSON text'),
  },
  outputSchema: verifyOutputShape,
  annotations: { title: 'Verify a passport signature', ...READ_ONLY },
  async handler(args, { app, extra }) {
    if ((args.slug === undefined) === (args.passport === undefined)) {
      throw new UserInputError('give exactly one of "slug" (a loaded passport) or "passport" (a document to check)');
    }
    if (args.slug !== undefined) {
      const p = await app.requirePassport(args.slug, extra.signal);
      return ok(app.verification(p));
    }
    // Ed25519 and canonical JSON load on first use, not at server start.
    const { verifyInline } = await import('../../core/passport/verify.js');
    return ok(verifyInline(args.passport, app.trust));
  },
});
