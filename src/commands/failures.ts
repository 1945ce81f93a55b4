// `passport-mcp failures <slug> [--json]`: the passport's failure modes and each capability's limitations, verbatim.
import type { AppContext } from '../core/app.js';
import { failureModes, type FailureModesReport } from '../core/failure-modes.js';
import { needArg } from './args.js';
import type { CommandIO } from './io.js';

export async function failures(app: AppContext, io: CommandIO): Promise<number> {
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
