#!/usr/bin/env node
// `npm run bundle`: builds passport-mcp-<version>.mcpb, the Claude Desktop extension. dist/ is self-contained (the
// build bundles the dependencies' code into it: scripts/postbuild.mjs), so the extension needs no node_modules.
// `mcpb pack` zips whatever it finds, so we stage a copy of exactly the shipped files and pack the stage.
// Usage: node scripts/bundle.mjs [--out-dir DIR]   (default: the repository root)
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { packExtension } from '@anthropic-ai/mcpb';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SHIPPED = ['dist', 'passports', 'data', 'manifest.json', 'icon.png', 'package.json', 'README.md', 'LICENSE'];

const { values } = parseArgs({ options: { 'out-dir': { type: 'string' } } });
const outDir = resolve(values['out-dir'] ?? ROOT);

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8'));
if (manifest.version !== pkg.version) {
  console.error(`manifest.json version ${manifest.version} differs from package.json ${pkg.version}; update manifest.json`);
  process.exit(1);
}
if (!existsSync(join(ROOT, manifest.server.entry_point))) {
  console.error(`${manifest.server.entry_point} is missing: run npm run build first`);
  process.exit(1);
}

const stage = mkdtempSync(join(tmpdir(), 'passport-mcp-bundle-'));
try {
  for (const f of SHIPPED) if (existsSync(join(ROOT, f))) cpSync(join(ROOT, f), join(stage, f), { recursive: true });
  const output = join(outDir, `${pkg.name}-${pkg.version}.mcpb`);
  const ok = await packExtension({ extensionPath: stage, outputPath: output, silent: true });
  if (!ok) {
    console.error('mcpb pack failed (run npx mcpb validate manifest.json for details)');
    process.exit(1);
  }
  console.log(`${output} (${(statSync(output).size / 1024).toFixed(0)} KiB)`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
