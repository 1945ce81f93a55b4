// `npm run build`, second step. tsc has compiled src/ into build/, a module tree (what the benchmarks, scripts and a
// few tests import). This bundles that tree into dist/, what ships and runs:
//   dist/cli.js                  the entry, still import-free (its signal handlers come first; src/cli.ts)
//   dist/chunks/*.js             everything it loads lazily, the dependencies' code included, tree-shaken
//   dist/chunks/bulk-worker.js   the bulk verification worker (bulk.ts finds it next to itself)
//   dist/THIRD_PARTY_LICENSES.md the licence of every package whose code is in the bundle
// Why: started from ~280 modules (the SDK, zod and ajv, file by file), the server spends most of its start-up
// resolving, reading and compiling them; bundled, a cold start takes about two thirds of the CPU time (BENCHMARKS.md),
// and the npm package and the .mcpb need no node_modules at all.
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isBuiltin } from 'node:module';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD = join(ROOT, 'build');
const DIST = join(ROOT, 'dist');

rmSync(DIST, { recursive: true, force: true });
const bundle = await rolldown({
  input: { cli: join(BUILD, 'cli.js'), 'chunks/bulk-worker': join(BUILD, 'core/passport/bulk-worker.js') },
  platform: 'node',
  // The built tree is already what tsc made of our sources; nothing else to transform.
  logLevel: 'warn',
});
const { output } = await bundle.write({ dir: DIST, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' });
await bundle.close();
const chunks = output.filter((o) => o.type === 'chunk');

const fail = (msg) => {
  console.error(`postbuild: ${msg}`);
  process.exit(1);
};
// The entry must stay import-free (src/cli.ts) and executable (npx, the package's bin).
const entry = chunks.find((c) => c.fileName === 'cli.js');
if (!entry) fail('no dist/cli.js');
if (entry.imports.length > 0) fail(`dist/cli.js imports ${entry.imports.join(', ')} statically; src/cli.ts must stay import-free`);
if (!entry.code.startsWith('#!/usr/bin/env node\n')) fail('dist/cli.js lost its #! line');
chmodSync(join(DIST, 'cli.js'), 0o755);
// bulk.ts starts its worker from new URL('./bulk-worker.js', import.meta.url): the chunk holding that code must sit
// next to the worker. (A missing worker would not fail verification, only slow it: bulk.ts falls back to one thread.)
for (const c of chunks)
  if (c.code.includes("'./bulk-worker.js'") || c.code.includes('"./bulk-worker.js"'))
    if (dirname(c.fileName) !== 'chunks') fail(`${c.fileName} starts ./bulk-worker.js but is not in dist/chunks/`);
if (!existsSync(join(DIST, 'chunks/bulk-worker.js'))) fail('no dist/chunks/bulk-worker.js');
// Self-contained: whatever is not one of our chunks must be a Node built-in, never a package from node_modules.
const files = new Set(chunks.map((c) => c.fileName));
for (const c of chunks)
  for (const spec of [...c.imports, ...c.dynamicImports])
    if (!files.has(spec) && !isBuiltin(spec)) fail(`${c.fileName} imports ${spec}, which the bundle does not contain`);

// Licences: every package a bundled module came from, with its licence text.
const packages = new Map();
for (const c of chunks)
  for (const raw of c.moduleIds) {
    // Module ids are absolute paths (backslashes on Windows); the innermost node_modules names the package.
    const id = raw.replaceAll('\\', '/');
    const i = id.lastIndexOf('/node_modules/');
    if (i < 0) continue;
    const rest = id.slice(i + '/node_modules/'.length).split('/');
    const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    const dir = `${id.slice(0, i)}/node_modules/${name}`;
    if (!packages.has(dir)) packages.set(dir, name);
  }
const sections = [...packages]
  .map(([dir, name]) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const file = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
    if (!file) fail(`${name} ships no licence file (${relative(ROOT, dir)}); add its licence text here by hand`);
    return { key: `${name}@${pkg.version}`, text: `## ${name} ${pkg.version} (${pkg.license})\n\n${readFileSync(join(dir, file), 'utf8').trim()}\n` };
  })
  .sort((a, b) => a.key.localeCompare(b.key));
writeFileSync(
  join(DIST, 'THIRD_PARTY_LICENSES.md'),
  `# Third-party licences\n\ndist/ bundles the code of these packages (scripts/postbuild.mjs writes this file).\n\n${sections.map((s) => s.text).join('\n')}`,
);
