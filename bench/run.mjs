// One command for every benchmark (`npm run bench`): each compares against a baseline measured in the same run
// and reports ratios. Each suite runs in its own process, so one suite's memory never colours another's
// figures. `--write` also rewrites the figures section of BENCHMARKS.md; naming suites runs only those.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const SUITES = ['startup', 'verify', 'search', 'server-scale', 'relay', 'federation'];

const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const write = process.argv.includes('--write');
const results = {};
for (const name of SUITES) {
  if (only.length && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}...\n`);
  const file = fileURLToPath(new URL(`./${name}.mjs`, import.meta.url));
  const out = execFileSync(
    process.execPath,
    ['--input-type=module', '-e', `const m = await import(${JSON.stringify(file)}); process.stdout.write('\\n@@' + JSON.stringify(await m.run()));`],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  results[name] = JSON.parse(out.slice(out.lastIndexOf('\n@@') + 3));
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
