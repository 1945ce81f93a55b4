// `npm run build`, second step. tsc has compiled src/ into build/, a module tree (what the benchmarks, scripts and a
// few tests import). This bundles that tree into dist/, what ships and runs:
//   dist/cli.js                  the entry, still import-free (its signal handlers come first; src/cli.ts)
//   dist/chunks/*.js             everything it loads lazily, the dependencies' code included, tree-shaken
//   dist/chunks/bulk-worker.js   the bulk verification worker (bulk.ts finds it next to itself)
//   dist/THIRD_PARTY_LICENSES.md the licence of every package whose code is in the bundle
// Why: started from ~280 modules (the SDK, zod and ajv, file by file), the server spends most of its start-up
// resolving, reading and compiling them; bundled, a cold start takes about two thirds of the CPU time (BENCHMARKS.md),
// and the npm package and the .mcpb need no node_modules at all.
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
const starters = chunks.filter((c) => c.code.includes("'./bulk-worker.js'") || c.code.includes('"./bulk-worker.js"'));
if (starters.length === 0) fail('no chunk starts ./bulk-worker.js any more; update this check with bulk.ts');
for (const c of starters) if (dirname(c.fileName) !== 'chunks') fail(`${c.fileName} starts ./bulk-worker.js but is not in dist/chunks/`);
const files = new Set(chunks.map((c) => c.fileName));
if (!files.has('chunks/bulk-worker.js')) fail('no dist/chunks/bulk-worker.js');
// Self-contained: whatever is not one of our chunks must be a Node built-in, never a package from node_modules.
for (const c of chunks) {
  // CommonJS code inside the bundle (undici) loads built-ins through the bundler's require helper: those calls count.
  const required = [...c.code.matchAll(/\b__require\(\s*(["'])([^"']+)\1\s*\)/g)].map((m) => m[2]);
  for (const spec of [...c.imports, ...c.dynamicImports, ...required])
    // A `node:` name is Node's own even where this version lacks it (undici loads node:sqlite only on Node 22+).
    if (!files.has(spec) && !isBuiltin(spec) && !spec.startsWith('node:')) fail(`${c.fileName} loads ${spec}, which the bundle does not contain`);
  if (/\b(require|__require)\.resolve\(|import\.meta\.resolve\(/.test(c.code)) fail(`${c.fileName} resolves a module at run time`);
}

// Licences: every package a bundled module came from, with its licence text, plus any licence file a package keeps
// beside the bundled code deeper in its tree (undici's fetch), and the notices no file carries (below).
const MIT = (holder) =>
  `MIT License\n\nCopyright (c) ${holder}\n\nPermission is hereby granted, free of charge, to any person obtaining a copy of this software and associated documentation files (the "Software"), to deal in the Software without restriction, including without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the following conditions:\n\nThe above copyright notice and this permission notice shall be included in all copies or substantial portions of the Software.\n\nTHE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;
/** Code in the bundle whose licence is in no file next to it: [module id pattern, heading, text]. */
const NOTICES = [
  [/\/undici\/lib\/llhttp\//, 'llhttp (compiled to WebAssembly inside undici)', () => MIT('Fedor Indutny, 2018')],
  [/^\0rolldown\/runtime/, 'rolldown runtime helpers', () => readFileSync(join(ROOT, 'node_modules/rolldown/LICENSE'), 'utf8')],
];
const LICENCE_FILE = /^(licen[cs]e|copying)([.-]|$)/i;
const packages = new Map(); // package dir -> { name, files: Set of licence files }
const notices = new Map();
const scanned = new Set(); // folders already searched for licence files
for (const c of chunks)
  for (const raw of c.moduleIds) {
    // Module ids are absolute paths (backslashes on Windows); the innermost node_modules names the package.
    const id = raw.replaceAll('\\', '/');
    for (const [pattern, heading, text] of NOTICES) if (!notices.has(heading) && pattern.test(id)) notices.set(heading, text());
    const i = id.lastIndexOf('/node_modules/');
    if (i < 0) {
      if (!id.startsWith('\0') && !id.startsWith(BUILD.replaceAll('\\', '/'))) fail(`${raw} is bundled from outside node_modules; its licence cannot be found`);
      continue;
    }
    const rest = id.slice(i + '/node_modules/'.length).split('/');
    const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    const dir = `${id.slice(0, i)}/node_modules/${name}`;
    const entry = packages.get(dir) ?? { name, files: new Set() };
    packages.set(dir, entry);
    // Licence files from the module's own folder up to the package's, each folder read once.
    for (let d = dirname(id); d.length > dir.length && !scanned.has(d); d = dirname(d)) {
      scanned.add(d);
      for (const f of readdirSync(d)) if (LICENCE_FILE.test(f)) entry.files.add(`${d}/${f}`);
    }
  }
const sections = [...packages]
  .map(([dir, { name, files }]) => {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const top = readdirSync(dir).find((f) => LICENCE_FILE.test(f));
    if (!top) fail(`${name} ships no licence file (${relative(ROOT, dir)}); add its licence text to NOTICES by hand`);
    const licence = typeof pkg.license === 'string' ? pkg.license : 'licence: see the text';
    const texts = [`${dir}/${top}`, ...[...files].sort()].map((f) => {
      const where = f === `${dir}/${top}` ? '' : `\n\n${relative(dir, f).replaceAll('\\', '/')}, for the code in that folder:`;
      return `${where}\n\n${readFileSync(f, 'utf8').trim()}`;
    });
    return { key: `${name}@${pkg.version}`, text: `## ${name} ${pkg.version} (${licence})${texts.join('')}\n` };
  })
  .concat([...notices].map(([heading, text]) => ({ key: heading, text: `## ${heading}\n\n${text.trim()}\n` })))
  .sort((a, b) => a.key.localeCompare(b.key));
writeFileSync(
  join(DIST, 'THIRD_PARTY_LICENSES.md'),
  `# Third-party licences\n\ndist/ bundles the code of these packages (scripts/postbuild.mjs writes this file).\n\n${sections.map((s) => s.text).join('\n')}`,
);
