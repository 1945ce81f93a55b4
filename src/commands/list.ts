// `passport-mcp list [--json]`: every loaded passport with its verdict; the signatures are checked in bulk
// across cores (core/passport/bulk.ts).
import type { AppContext } from '../core/app.js';
import type { CommandIO } from './io.js';

export async function list(app: AppContext, io: CommandIO): Promise<number> {
  // The cache's background check first (a bad cached passport leaves the store), so nothing is checked twice.
  await app.cacheVerified();
  const passports = app.store.list();
  // Thousands of passports: the signature checks run across cores.
  const verdicts = await app.verifyAll(passports, {
    onStats: (s) => s.workerError && app.logger.warn(`a verification worker failed (${s.workerError}); its passports were checked on the main thread`),
  });
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
