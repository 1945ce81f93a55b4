// Spawns the built server over stdio with the SDK's own Client, the way MCP hosts do.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
export const SEED = fileURLToPath(new URL('../../passports/mistral-small-3.1.passport.json', import.meta.url));
export const SEED_SLUG = 'mistralai-mistral-small-3.1-24b-instruct';

export interface Spawned {
  client: Client;
  transport: StdioClientTransport;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  close(): Promise<void>;
}

/** A clean environment: no keys or settings leak in from the machine running the tests. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT']) if (process.env[k]) env[k] = process.env[k]!;
  // A fresh passport cache and config dir per server: the user's own cache and pinned keys never leak into (or out
  // of) a test.
  const cache = extra.PASSPORT_MCP_CACHE_DIR ?? mkdtempSync(path.join(tmpdir(), 'passport-mcp-cache-'));
  const config = extra.PASSPORT_MCP_CONFIG_DIR ?? mkdtempSync(path.join(tmpdir(), 'passport-mcp-config-'));
  return { ...env, PASSPORT_MCP_OFFLINE: '1', PASSPORT_MCP_CACHE_DIR: cache, PASSPORT_MCP_CONFIG_DIR: config, ...extra };
}

export async function startServer(opts: { args?: string[]; env?: Record<string, string>; capabilities?: Record<string, unknown> } = {}): Promise<Spawned> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...(opts.args ?? [])],
    env: cleanEnv(opts.env),
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  const client = new Client({ name: 'passport-mcp-tests', version: '0.0.0' }, { capabilities: opts.capabilities ?? {} });
  await client.connect(transport);
  return {
    client,
    transport,
    stderr: () => err,
    close: () => client.close(),
  };
}

/** The text parts of a tool result, joined: what a model reading the result sees. */
export function textOf(result: object): string {
  return (((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[])
    .filter((c) => c.type === 'text')
    .map((c) => c.text ?? '')
    .join('\n');
}
