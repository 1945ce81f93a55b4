// `passport-mcp verify <slug|file> [--json]`: the offline signature check of a loaded passport or a file; exit 3
// when the verdict is not `valid`.
import { stat } from 'node:fs/promises';
import type { AppContext } from '../core/app.js';
import { UserInputError } from '../core/errors.js';
import { MAX_ARRAY_FILE_BYTES } from '../core/passport/load.js';
import { verifyInline, type VerifyResult } from '../core/passport/verify.js';
import { readRegularFile } from '../core/safe-file.js';
import { decodeUtf8 } from '../core/strict-json.js';
import { needArg } from './args.js';
import type { CommandIO } from './io.js';

const KEY_SOURCE_TEXT = { flag: 'from --trust-key', env: 'from PASSPORT_MCP_TRUST_KEYS', pinned: 'pinned with "trust pin"' } as const;

export async function verify(app: AppContext, io: CommandIO): Promise<number> {
  const target = needArg(app, 'a slug or a passport file');
  let result: VerifyResult;
  const isFile = await stat(target).then(
    (s) => s.isFile(),
    () => false,
  );
  if (isFile) {
    // Security: the one safe reader (size cap on what is opened, no FIFO or device).
    const bytes = await readRegularFile(target, { maxBytes: MAX_ARRAY_FILE_BYTES }).catch((err: Error) => {
      throw new UserInputError(`cannot read ${target}: ${err.message}`);
    });
    let text: string;
    try {
      text = decodeUtf8(bytes);
    } catch (err) {
      throw new UserInputError(`cannot read ${target}: ${(err as Error).message}`);
    }
    result = verifyInline(text, app.trust);
  } else {
    result = app.verification(await app.requirePassport(target));
  }
  if (app.config.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
  else {
    const mark = result.valid ? 'VALID' : result.status.toUpperCase().replace('_', ' ');
    io.out(`${mark}: ${result.slug ?? target}\n`);
    if (result.issuer) io.out(`  issuer:      ${result.issuer}\n`);
    if (result.signed_at) io.out(`  signed at:   ${result.signed_at}\n`);
    if (result.key_fingerprint) io.out(`  key:         ${result.key_fingerprint}${result.key_source ? ` (${KEY_SOURCE_TEXT[result.key_source]})` : ''}\n`);
    if (result.scope) io.out(`  covers:      ${result.scope === 'unfragile' ? 'the "unfragile" object' : 'the whole passport'}\n`);
    io.out(`  ${result.detail}\n`);
    for (const w of result.warnings) io.out(`  warning: ${w}\n`);
  }
  return result.valid ? 0 : 3;
}
