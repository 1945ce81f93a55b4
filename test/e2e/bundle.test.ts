// `npm run bundle` end to end: build the .mcpb, unpack it, check it ships production dependencies only, then start
// the server exactly as Claude Desktop would (mcpb's own ${__dirname} / ${user_config.X} substitution) and talk MCP.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMcpConfigForManifest, unpackExtension } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cleanEnv, ROOT, SEED_SLUG } from '../support/spawn.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };

describe('npm run bundle (.mcpb for Claude Desktop)', () => {
  let work: string;
  let unpacked: string;
  let bundle: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'passport-bundle-test-'));
    // The script's `npm ci` takes the locked tarballs from npm's cache when they are there (prefer-offline) instead
    // of revalidating each with the registry first: the same files by their lockfile integrity, seconds less.
    execFileSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), '--out-dir', work], {
      cwd: ROOT,
      stdio: 'pipe',
      env: { ...process.env, npm_config_prefer_offline: 'true' },
    });
    bundle = join(work, `${pkg.name}-${pkg.version}.mcpb`);
    unpacked = join(work, 'unpacked');
    expect(await unpackExtension({ mcpbPath: bundle, outputDir: unpacked, silent: true })).toBe(true);
  }, 180_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('contains the manifest, icon, built code, built-in passport and production dependencies only', () => {
    expect(existsSync(bundle)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
    expect(manifest).toEqual(JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')));
    for (const f of ['icon.png', 'dist/cli.js', 'passports/mistral-small-3.1.passport.json', 'package.json'])
      expect(existsSync(join(unpacked, f)), f).toBe(true);
    for (const dep of Object.keys(pkg.dependencies)) expect(existsSync(join(unpacked, 'node_modules', dep)), dep).toBe(true);
    for (const dev of Object.keys(pkg.devDependencies)) {
      if (dev in pkg.dependencies) continue;
      // A dev dependency that a production dependency also needs (ajv, for the SDK) ships as that one's.
      if (lock.packages[`node_modules/${dev}`]?.dev !== true) continue;
      expect(existsSync(join(unpacked, 'node_modules', dev)), `dev dependency ${dev} shipped`).toBe(false);
    }
    expect(existsSync(join(unpacked, 'src'))).toBe(false);
    expect(existsSync(join(unpacked, 'test'))).toBe(false);
  });

  it('starts the way Claude Desktop starts it and lists the manifest tools over MCP', async () => {
    const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
    const images = mkdtempSync(join(work, 'images-'));
    const cfg = (await getMcpConfigForManifest({
      manifest,
      extensionPath: unpacked,
      systemDirs: { HOME: work, DESKTOP: work, DOCUMENTS: work, DOWNLOADS: work },
      userConfig: { image_dirs: [images], offline: true },
      pathSeparator: '/',
    })) as { command: string; args: string[]; env: Record<string, string> };
    expect(cfg.command).toBe('node');
    expect(cfg.args[0]).toBe(join(unpacked, 'dist/cli.js'));
    // Claude Desktop runs "node" with its bundled runtime; here that is the Node running the tests. The working
    // directory is somewhere else entirely, so nothing may depend on it.
    const transport = new StdioClientTransport({ command: process.execPath, args: cfg.args, env: { ...cleanEnv(), ...cfg.env }, cwd: work, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const client = new Client({ name: 'claude-desktop-like', version: '0' });
    try {
      await client.connect(transport);
      expect(client.getServerVersion()).toMatchObject({ name: 'passport-mcp', version: pkg.version });
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual((manifest.tools as { name: string }[]).map((t) => t.name).sort());
      const found = await client.callTool({ name: 'find_capability_by_intent', arguments: { intent: 'image understanding' } });
      expect((found.structuredContent as { matches: { artifact: { slug: string } }[] }).matches[0]?.artifact.slug).toBe(SEED_SLUG);
    } finally {
      await client.close();
    }
    expect(stderr).not.toMatch(/error/i);
  });
});
