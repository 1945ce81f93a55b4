// `passport-mcp find "<intent>" [--limit N] [--json]`: the same federated find as the MCP tool (local passports plus
// the registry unless --offline), printed with each match's confidence, source and signature status.
import type { AppContext } from '../core/app.js';
import { needArg } from './args.js';
import type { CommandIO } from './io.js';

export async function find(app: AppContext, io: CommandIO): Promise<number> {
  const intent = needArg(app, 'an intent, e.g. passport-mcp find "describe a screenshot"');
  // The same federated find as the MCP tool: local passports plus the registry (unless --offline).
  const { federatedFind } = await import('../core/search/federation.js');
  const r = await federatedFind(app, { intent, limit: app.config.limit ?? 5 });
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
