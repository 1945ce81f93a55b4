// verify_passport: check a passport's Ed25519 signature offline against the configured trusted issuer keys.
import { z } from 'zod';
import { UserInputError } from '../../core/errors.js';
import { VerifyResultSchema } from '../../core/passport/verify-result.js';
import { MAX_DOCUMENT_BYTES } from '../../core/strict-json.js';
import { ok } from '../results.js';
import { defineTool, READ_ONLY } from '../tool.js';

/** Stands in for an object too deep or too large to turn into text; it gets the `malformed` verdict. */
const UNSERIALISABLE = '\u0000passport object not serialisable';

/** An object becomes its JSON text (bounded like text); anything else is left for the string check to judge. */
function asJsonText(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  try {
    const text = JSON.stringify(v);
    // Security: the same bound as a document sent as text; a deeper or larger object is a verdict, not a crash.
    return text.length <= MAX_DOCUMENT_BYTES ? text : UNSERIALISABLE;
  } catch {
    return UNSERIALISABLE;
  }
}

export const verifyPassport = defineTool({
  name: 'verify_passport',
  title: 'Verify a passport signature',
  description:
    'Check, offline, that a passport was signed by its issuer and not altered: verifies the Ed25519 signature over the ' +
    'RFC 8785 canonical form against the trusted issuer keys the server was started with. Give a loaded slug ' +
    '(from find_capability_by_intent) or a passport document. status is valid, invalid_signature, unknown_key (no ' +
    'trusted key for the issuer: the detail says how to add one), unsigned or malformed. Only "valid" means the ' +
    "passport's claims come from its issuer. Next: get_failure_modes, then invoke_model.",
  inputSchema: {
    slug: z.string().min(1).max(256).optional().describe('Slug of a loaded (or registry) passport'),
    // Advertised as JSON text (strict-mode and Gemini tool schemas cannot express an arbitrary object); an object
    // is still accepted, as the contract says, and checked through the same bounded parser.
    passport: z
      .preprocess(asJsonText, z.string().max(MAX_DOCUMENT_BYTES))
      .optional()
      .describe('A passport document as JSON text (a JSON object is accepted too): the registry envelope or a bare passport object'),
  },
  outputSchema: VerifyResultSchema.shape,
  annotations: { title: 'Verify a passport signature', ...READ_ONLY },
  async handler(args, { app, signal, logger }) {
    if ((args.slug === undefined) === (args.passport === undefined)) {
      throw new UserInputError('give exactly one of "slug" (a loaded passport) or "passport" (a document to check)');
    }
    if (args.slug !== undefined) {
      const p = await app.requirePassport(args.slug, signal, logger);
      return ok(app.verification(p));
    }
    if (args.passport === UNSERIALISABLE) {
      return ok({ status: 'malformed', valid: false, warnings: [], detail: `passport object is nested too deeply or larger than ${MAX_DOCUMENT_BYTES} bytes` });
    }
    // Ed25519 and canonical JSON load on first use, not at server start.
    const { verifyInline } = await import('../../core/passport/verify.js');
    return ok(verifyInline(args.passport, app.trust));
  },
});
