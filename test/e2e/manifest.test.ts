// manifest.json, the Claude Desktop (MCP Bundle) manifest: valid under the mcpb package's own v0.3 schema, pointing
// at the built entry point, declaring every ${user_config.X} it uses, and listing exactly the server's tools.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { v0_3 } from '@anthropic-ai/mcpb/schemas';
import { getMcpConfigForManifest } from '@anthropic-ai/mcpb/node';
import { parseConfig } from '../../src/config/config.js';
import { startInProcess } from '../support/in-process.js';
import { ROOT } from '../support/spawn.js';

const manifest = JSON.parse(readFileSync(join(ROOT, 'manifest.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

/** What Claude Desktop runs for this manifest and these user settings (the mcpb library's own substitution). */
async function desktopConfig(userConfig: Record<string, unknown>) {
  const cfg = await getMcpConfigForManifest({
    manifest,
    extensionPath: '/ext/passport-mcp',
    systemDirs: { HOME: '/home/u', DESKTOP: '/home/u/Desktop', DOCUMENTS: '/home/u/Documents', DOWNLOADS: '/home/u/Downloads' },
    userConfig: userConfig as never,
    pathSeparator: '/',
  });
  if (!cfg) throw new Error('mcpb produced no config');
  return cfg as { command: string; args: string[]; env: Record<string, string> };
}

describe('manifest.json', () => {
  it('is valid under the @anthropic-ai/mcpb v0.3 schema (strict: no unknown keys)', () => {
    const r = v0_3.McpbManifestSchema.safeParse(manifest);
    expect(r.success ? [] : r.error.issues).toEqual([]);
    expect(manifest.manifest_version).toBe('0.3');
    expect(v0_3.McpbManifestSchema.safeParse({ ...manifest, surprise: 1 }).success).toBe(false);
  });

  it('matches package.json and points at the built entry point with node', () => {
    expect(manifest.name).toBe(pkg.name);
    expect(manifest.version).toBe(pkg.version);
    expect(manifest.server.type).toBe('node');
    expect(manifest.server.entry_point).toBe('dist/cli.js');
    expect(pkg.bin['passport-mcp']).toBe(manifest.server.entry_point);
    expect(existsSync(join(ROOT, manifest.server.entry_point))).toBe(true);
    expect(manifest.server.mcp_config.command).toBe('node');
    expect(manifest.server.mcp_config.args[0]).toBe('${__dirname}/dist/cli.js');
    expect(manifest.compatibility.runtimes.node).toBe('>=20.18');
    expect(pkg.engines.node).toBe(manifest.compatibility.runtimes.node);
  });

  it('has a real PNG icon', () => {
    const png = readFileSync(join(ROOT, manifest.icon));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    expect(w).toBe(h);
    expect(w).toBeGreaterThanOrEqual(128);
  });

  it('declares every ${user_config.X} it uses, uses every one it declares, and marks keys sensitive', () => {
    const used = new Set([...JSON.stringify(manifest.server.mcp_config).matchAll(/\$\{user_config\.([A-Za-z0-9_]+)\}/g)].map((m) => m[1]));
    const declared = new Set(Object.keys(manifest.user_config));
    expect([...used].sort()).toEqual([...declared].sort());
    for (const [k, v] of Object.entries(manifest.user_config as Record<string, { sensitive?: boolean; type: string; multiple?: boolean }>)) {
      expect(v.sensitive ?? false, k).toBe(/api_key/.test(k));
    }
    expect(manifest.user_config.image_dirs).toMatchObject({ type: 'directory', multiple: true });
    // Only the ones the server accepts: every env name is one passport-mcp reads.
    const help = readFileSync(join(ROOT, 'src/commands/help.ts'), 'utf8');
    for (const name of Object.keys(manifest.server.mcp_config.env)) expect(help, name).toContain(name);
  });

  it('starts cleanly when the user fills in nothing: empty optional values reach us as ${user_config.X} literals', async () => {
    const cfg = await desktopConfig({});
    expect(cfg.env.OPENROUTER_API_KEY).toBe('${user_config.openrouter_api_key}');
    const c = parseConfig(cfg.args.slice(1), cfg.env);
    expect(c.command).toBe('serve');
    expect(c.llm.openrouter.apiKey).toBeUndefined();
    expect(c.llm.mistral.apiKey).toBeUndefined();
    expect(c.llm.provider).toBeUndefined();
    expect(c.trustKeys).toEqual([]);
    expect(c.offline).toBe(false);
    expect(c.requireVerified).toBe(false);
  });

  it('passes filled-in values through: keys, trust keys, booleans, several image folders as separate arguments', async () => {
    const cfg = await desktopConfig({
      openrouter_api_key: 'sk-or-test',
      trusted_issuer_keys: 'unfragile.ai=AAAA',
      require_verified: true,
      offline: true,
      image_dirs: ['/home/u/Pictures', '/home/u/My Screenshots'],
    });
    expect(cfg.command).toBe('node');
    expect(cfg.args).toEqual(['/ext/passport-mcp/dist/cli.js', 'serve', '/home/u/Pictures', '/home/u/My Screenshots']);
    const c = parseConfig(cfg.args.slice(1), cfg.env);
    expect(c.command).toBe('serve');
    expect(c.llm.provider).toBe('openrouter');
    expect(c.llm.openrouter.apiKey).toBe('sk-or-test');
    expect(c.trustKeys).toEqual(['unfragile.ai=AAAA']);
    expect(c.offline).toBe(true);
    expect(c.requireVerified).toBe(true);
    // mcpb expands a multiple-valued ${user_config.image_dirs} into separate arguments only when it stands alone
    // in args, so the folders arrive as positionals after `serve`, which config.ts reads as image roots.
    expect(c.imageRoots).toEqual(['/home/u/Pictures', '/home/u/My Screenshots']);
    const cleared = await desktopConfig({ image_dirs: [] });
    expect(parseConfig(cleared.args.slice(1), cleared.env).command).toBe('serve');
    expect(parseConfig(cleared.args.slice(1), cleared.env).imageRoots).toEqual([]);
  });

  // In process: the server main.ts builds, which in-process-parity.test.ts holds to the built binary's tools/list;
  // bundle.test.ts compares this list with the tools of the server started from the packed .mcpb.
  it('lists exactly the tools the server exposes', async () => {
    const s = await startInProcess();
    try {
      const { tools } = await s.client.listTools();
      expect((manifest.tools as { name: string }[]).map((t) => t.name).sort()).toEqual(tools.map((t) => t.name).sort());
      for (const t of manifest.tools as { name: string; description: string }[]) expect(t.description, t.name).toBeTruthy();
    } finally {
      await s.close();
    }
  });
});
