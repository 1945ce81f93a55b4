// One command for every benchmark (`npm run bench`): each compares against a baseline measured in the same run
// and reports ratios. `--write` also rewrites the figures section of BENCHMARKS.md.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';

const suites = {
  startup: () => import('./startup.mjs'),
  verify: () => import('./verify.mjs'),
  search: () => import('./search.mjs'),
  relay: () => import('./relay.mjs'),
};

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const write = process.argv.includes('--write');
const results = {};
for (const [name, load] of Object.entries(suites)) {
  if (only.length && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  const mod = await load();
  results[name] = await mod.run();
  console.log(name, JSON.stringify(results[name], null, 2));
}

if (write) {
  const file = new URL('../BENCHMARKS.md', import.meta.url);
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const block = `<!-- figures:start -->\nLast run: ${new Date().toISOString().slice(0, 10)} on ${machine}.\n\n\`\`\`json\n${JSON.stringify(results, null, 2)}\n\`\`\`\n<!-- figures:end -->`;
  const old = readFileSync(file, 'utf8');
  writeFileSync(file, old.replace(/<!-- figures:start -->[\s\S]*<!-- figures:end -->/, block));
  process.stderr.write('bench: BENCHMARKS.md updated\n');
}
