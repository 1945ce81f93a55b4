// The package's own files: where package.json, passports/ and data/ live, and the version package.json states (the
// one place it is written; manifest.json is checked against it by a test). Both ship with the npm package and the
// .mcpb bundle. The code that asks sits at a different depth in each form it runs in (the sources, src/core/; the
// compiled tree, build/core/; the bundle, dist/chunks/), so the root is found by walking up to the package.json
// that names this package, never by a fixed `../..`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'passport-mcp';

function findPackage(): { root: string; version: string } {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++, dir = dirname(dir)) {
    let pkg: { name?: unknown; version?: unknown };
    try {
      pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    } catch {
      continue; // no package.json at this level (src/, build/, dist/)
    }
    if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return { root: dir, version: pkg.version };
  }
  throw new Error(`${PACKAGE_NAME}: package.json not found above ${fileURLToPath(import.meta.url)}; the installation is damaged`);
}

const found = findPackage();

export const PACKAGE_VERSION: string = found.version;

/** A file shipped with the package, by its path from the package root. */
export const packageFile = (relative: string): string => join(found.root, relative);

/** The User-Agent every outgoing request sends (LLM upstreams and the registry). */
export const USER_AGENT = `passport-mcp/${PACKAGE_VERSION}`;
