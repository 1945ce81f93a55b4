// Human subcommands over the same core as the MCP tools: readable text by default, JSON with --json.
import { stat } from 'node:fs/promises';
import type { AppContext } from '../core/app.js';
import { PassportMcpError, UserInputError } from '../core/errors.js';
import { failureModes, type FailureModesReport } from '../core/failure-modes.js';
import { MAX_ARRAY_FILE_BYTES } from '../core/passport/load.js';
import { verifyInline, type VerifyResult } from '../core/passport/verify.js';
import { readRegularFile } from '../core/safe-file.js';
import type { CommandIO } from './io.js';

export type { CommandIO } from './io.js';

export async function runCommand(app: AppContext, io: CommandIO): Promise<number> {
  try {
    if (app.config.command === 'trust') return await (await import('./trust.js')).trustCommand(app, io); // needs no passport
    const progress = io.isTTY ? (d: number, t: number) => io.err(d === t ? '\r\x1b[K' : `\rloading passports ${d}/${t}`) : undefined;
    await app.loadAll(progress);
    const code = await dispatch(app, io);
    await app.settled(); // registry passports fetched on the way are in the cache before the process ends
    return code;
  } catch (err) {
    if (err instanceof PassportMcpError) {
      io.err(`passport-mcp: ${err.message}\n`);
      return 1;
    }
    io.err(`passport-mcp: internal error: ${(err as Error).message}\n`);
    return 1;
  }
}

async function dispatch(app: AppContext, io: CommandIO): Promise<number> {
  const { config } = app;
  switch (config.command) {
    case 'find':
      return await find(app, io);
    case 'verify':
      return await verify(app, io);
    case 'failures':
      return await failures(app, io);
    case 'list':
      return await list(app, io);
    case 'invoke': {
      const { invokeCommand } = await import('./invoke.js');
      return await invokeCommand(app, io);
    }
    default:
      throw new UserInputError(`unknown command ${config.command}`);
  }
}

function needArg(app: AppContext, what: string): string {
  const a = app.config.args.join(' ').trim();
  if (!a) throw new UserInputError(`${app.config.command} needs ${what}`);
  return a;
}

async function find(app: AppContext, io: CommandIO): Promise<number> {
  const intent = needArg(app, 'an intent, e.g. passport-mcp find "describe a screenshot"');
  // The same federated find as the MCP tool: local passports plus the registry (unless --offline).
  const { federatedFind } = await import('../core/search/federation.js');
  const r = await federatedFind(app, { intent, limit: app.config.limit ?? 5 });
  await app.settled();
  const { matches } = r;
  if (app.config.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  const reg = `registry: ${r.registry.status}${r.registry.detail ? ` (${r.registry.detail})` : ''}`;
  if (!matches.length) {
    io.out(`No capability matches "${intent}" among ${r.searched_passports} passport(s); ${reg}.\n`);
    if (r.note) io.out(`${r.note}\n`);
    return 0;
  }
  io.out(`Best matches for "${intent}" (${r.searched_passports} passport${r.searched_passports === 1 ? '' : 's'} searched; ${reg}):\n\n`);
  matches.forEach((m, i) => {
    const a = m.artifact;
    io.out(`${i + 1}. ${m.capability.name}  [confidence ${m.confidence.toFixed(2)}, ${m.source}]\n`);
    io.out(
      `   artifact:   ${a.name} (${a.slug})${a.trust_score !== null ? `, trust ${a.trust_score}/100` : ''}${a.verified ? ', verified' : ', not verified'}\n`,
    );
    io.out(
      `   signature:  ${m.verification}${m.verification === 'valid' ? '' : m.source === 'registry' ? ' (check with passport-mcp verify before relying on it)' : ''}\n`,
    );
    io.out(`   capability: ${m.capability.id}\n`);
    io.out(`   why:        ${m.reason}\n`);
    if (m.capability.best_for[0]) io.out(`   best for:   ${m.capability.best_for[0]}\n`);
    if (m.capability.limitations[0]) io.out(`   watch out:  ${m.capability.limitations[0]}\n`);
    io.out('\n');
  });
  io.out(`Next: passport-mcp failures ${matches[0]!.artifact.slug}   |   passport-mcp verify ${matches[0]!.artifact.slug}\n`);
  return 0;
}

const KEY_SOURCE_TEXT = { flag: 'from --trust-key', env: 'from PASSPORT_MCP_TRUST_KEYS', pinned: 'pinned with "trust pin"' } as const;

async function verify(app: AppContext, io: CommandIO): Promise<number> {
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
    result = verifyInline(bytes.toString('utf8'), app.trust);
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

async function failures(app: AppContext, io: CommandIO): Promise<number> {
  const slug = needArg(app, 'a slug');
  const r: FailureModesReport = failureModes(await app.requirePassport(slug));
  if (app.config.json) {
    io.out(`${JSON.stringify(r, null, 2)}\n`);
    return 0;
  }
  io.out(`${r.name} (${r.slug})\nRisk: ${r.risk.summary}\n\nFailure modes:\n`);
  for (const f of r.failure_modes) io.out(`  - ${f}\n`);
  for (const c of r.capabilities) {
    io.out(`\n${c.name} (${c.id}):\n`);
    for (const l of c.limitations) io.out(`  - ${l}\n`);
  }
  return 0;
}

async function list(app: AppContext, io: CommandIO): Promise<number> {
  const passports = app.store.list();
  // Thousands of passports: the signature checks run across cores.
  const { verifyMany } = await import('../core/passport/bulk.js');
  const verdicts = await verifyMany(
    passports.map((p) => p.raw),
    app.trust,
    { onStats: (s) => s.workerError && app.logger.warn(`a verification worker failed (${s.workerError}); its passports were checked on the main thread`) },
  );
  const rows = passports.map((p, i) => {
    const u = p.passport.unfragile;
    return {
      slug: p.slug,
      name: u.artifact.name,
      capabilities: u.capabilities.length,
      trust_score: u.trust?.score ?? null,
      signed_by: p.passport.signedBy ?? null,
      verification: verdicts[i]!.status,
      source: p.source,
    };
  });
  if (app.config.json) io.out(`${JSON.stringify({ passports: rows }, null, 2)}\n`);
  else {
    io.out(`${rows.length} passport${rows.length === 1 ? '' : 's'} loaded:\n`);
    for (const r of rows) io.out(`  ${r.slug}  ${r.name}  (${r.capabilities} capabilities, trust ${r.trust_score ?? '?'}, ${r.verification})\n`);
  }
  return 0;
}
