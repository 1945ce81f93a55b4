// The MCP Inspector's CLI (@modelcontextprotocol/inspector 2.x, what people test MCP servers with) drives the built
// server over stdio: list tools, call find_capability_by_intent, read a passport resource, and see an isError result.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, SEED_SLUG } from '../support/spawn.js';

const require = createRequire(import.meta.url);
const inspectorPkgPath = require.resolve('@modelcontextprotocol/inspector/package.json');
const inspectorPkg = JSON.parse(readFileSync(inspectorPkgPath, 'utf8'));
const INSPECTOR = join(dirname(inspectorPkgPath), inspectorPkg.bin['mcp-inspector']);
function inspector(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // The inspector keeps a catalog under $HOME: a throwaway one per run, as the runs go at the same time.
  const HOME = mkdtempSync(join(tmpdir(), 'passport-inspector-'));
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [INSPECTOR, '--cli', process.execPath, CLI, '-e', 'PASSPORT_MCP_OFFLINE=1', '--format', 'json', ...args],
      { env: { PATH: process.env.PATH, HOME, MCP_CATALOG_PATH: join(HOME, 'mcp.json') }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

// Four independent inspector runs (each its own inspector process and spawned server): at the same time, not one
// after the other.
describe.concurrent('MCP Inspector CLI', () => {
  it('lists the tools', async () => {
    const r = await inspector(['--method', 'tools/list']);
    expect(r.code, r.stderr).toBe(0);
    const names = (JSON.parse(r.stdout).result.tools as { name: string }[]).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['find_capability_by_intent', 'verify_passport', 'get_failure_modes']));
  });

  it('calls find_capability_by_intent', async () => {
    const r = await inspector([
      '--method',
      'tools/call',
      '--tool-name',
      'find_capability_by_intent',
      '--tool-args-json',
      '{"intent":"image understanding","limit":3}',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout).result;
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent.matches[0].artifact.slug).toBe(SEED_SLUG);
    expect(JSON.parse(result.content[0].text)).toEqual(result.structuredContent);
  });

  it('reads the passport resource', async () => {
    const r = await inspector(['--method', 'resources/read', '--uri', `passport://${SEED_SLUG}`]);
    expect(r.code, r.stderr).toBe(0);
    const content = JSON.parse(r.stdout).result.contents[0];
    expect(content.mimeType).toBe('application/json');
    expect(JSON.parse(content.text).passport.unfragile.artifact.slug).toBe(SEED_SLUG);
  });

  it('exits 5 when a tool returns isError (an unknown slug)', async () => {
    const r = await inspector(['--method', 'tools/call', '--tool-name', 'get_failure_modes', '--tool-arg', 'slug=no-such-model']);
    expect(r.code).toBe(5);
    expect(r.stdout + r.stderr).toContain('no-such-model');
  });
});
