// `npm run bundle` end to end: build the .mcpb, unpack it, check it ships the self-contained build and nothing else
// (no node_modules, no sources), then start the server exactly as Claude Desktop would (mcpb's own ${__dirname} /
// ${user_config.X} substitution, a working directory elsewhere, no node_modules anywhere above it) and talk MCP.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getMcpConfigForManifest, unpackExtension } from '@anthropic-ai/mcpb';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { cleanEnv, ROOT, SEED_SLUG } from '../support/spawn.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

describe('npm run bundle (.mcpb for Claude Desktop)', () => {
  let work: string;
  let unpacked: string;
  let bundle: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'passport-bundle-test-'));
    execFileSync(process.execPath, [join(ROOT, 'scripts/bundle.mjs'), '--out-dir', work], { cwd: ROOT, stdio: 'pipe' });
    bundle = join(work, `${pkg.name}-${pkg.version}.mcpb`);
    unpacked = join(work, 'unpacked');
    expect(await unpackExtension({ mcpbPath: bundle, outputDir: unpacked, silent: true })).toBe(true);
  }, 180_000);
  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('contains the manifest, icon, the self-contained build with its licences, the built-in passport and word vectors; no node_modules, no sources', () => {
    expect(existsSync(bundle)).toBe(true);
    const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8'));
    expect(manifest).toEqual(JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8')));
    for (const f of [
      'icon.png',
      'LICENSE',
      'dist/cli.js',
      'dist/chunks/bulk-worker.js',
      'passports/mistral-small-3.1.passport.json',
      'data/word-vectors.bin',
      'data/more-words.txt',
      'package.json',
    ])
      expect(existsSync(join(unpacked, f)), f).toBe(true);
    // Every runtime dependency's code is in dist/, so its licence is too.
    const licences = readFileSync(join(unpacked, 'dist/THIRD_PARTY_LICENSES.md'), 'utf8');
    for (const dep of ['@modelcontextprotocol/sdk', '@noble/ed25519', 'eventsource-parser', 'stemmer', 'undici', 'zod'])
      expect(licences, dep).toMatch(new RegExp(`^## ${dep.replace('/', '\\/')} \\d`, 'm'));
    for (const f of ['node_modules', 'src', 'test', 'build', 'package-lock.json']) expect(existsSync(join(unpacked, f)), f).toBe(false);
  });

  it('starts the bundled bulk-verification worker from its chunk and gets an answer (a missing one would only slow `list`)', async () => {
    // The worker protocol of core/passport/bulk-chunk.ts: an empty chunk, claimed and answered with no matches.
    const worker = new Worker(join(unpacked, 'dist/chunks/bulk-worker.js'), { workerData: { issuers: [], claims: new SharedArrayBuffer(4) }, execArgv: [] });
    try {
      const reply = await new Promise<{ id: number; matches: Int32Array }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`worker exited with code ${code}`)));
        worker.postMessage({ id: 0, buf: new SharedArrayBuffer(0), meta: new Int32Array(0) });
      });
      expect(reply.id).toBe(0);
      expect(reply.matches).toHaveLength(0);
    } finally {
      await worker.terminate();
    }
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
