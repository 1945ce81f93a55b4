// `passport-mcp invoke` as a human runs it: tokens on stdout as they arrive, a summary on stderr, --json. The
// streaming run spawns the built CLI (tokens reaching a real stdout, an image relative to its cwd); the other
// cases are the subcommand's behaviour and run in process (runCli: the same argv -> app path).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunk, happy, startFakeUpstream, type FakeUpstream } from '../support/fake-upstream.js';
import { runCli } from '../support/in-process.js';
import { CLI, cleanEnv } from '../support/spawn.js';

const KEY = 'sk-or-v1-DISTINCTIVE-cli-00112233445566778899aabbccddeeff';
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201a1f3c1e90000000049454e44ae426082',
  'hex',
);

let fake: FakeUpstream;
let dir: string;
beforeAll(async () => {
  fake = await startFakeUpstream();
  dir = mkdtempSync(path.join(tmpdir(), 'pmcp-cli-'));
  writeFileSync(path.join(dir, 'photo.png'), PNG);
});
afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function run(args: string[], env: Record<string, string>, onStdout?: (s: string, t: number) => void) {
  return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(env), cwd: dir });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      onStdout?.(d.toString('utf8'), performance.now());
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('passport-mcp invoke', () => {
  it('streams tokens to stdout as they arrive, with an image named on the command line (relative to cwd)', async () => {
    // The upstream sends the second token only once the first is on stdout: streaming, proven without a pause.
    let firstOnStdout!: () => void;
    const gate = new Promise<void>((r) => (firstOnStdout = r));
    fake.enqueue({
      steps: [
        { data: chunk('A tiny ') },
        { gate },
        { data: chunk('red pixel.', { finish: 'stop' }) },
        { data: chunk(null, { choices: [], usage: { prompt_tokens: 5, completion_tokens: 4, total_tokens: 9, cost: 0.00001 } }) },
        { data: '[DONE]' },
      ],
    });
    const seen: { s: string; t: number }[] = [];
    const r = await run(
      ['invoke', 'What is in this picture?', '--image', 'photo.png'],
      { OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: fake.baseUrl },
      (s, t) => {
        seen.push({ s, t });
        if (
          seen
            .map((x) => x.s)
            .join('')
            .includes('A tiny ')
        )
          firstOnStdout();
      },
    );
    expect(r.code).toBe(0);
    expect(r.out).toBe('A tiny red pixel.\n');
    // The first token reached stdout well before the second was sent.
    expect(seen[0]!.s).toBe('A tiny ');
    expect(seen.length).toBeGreaterThan(1);
    expect(r.err).toMatch(/mistralai\/mistral-small-3.1-24b-instruct via openrouter/);
    const content = fake.requests.at(-1)!.body.messages.at(-1).content;
    expect(content[1].image_url.url.startsWith('data:image/png;base64,')).toBe(true);
    expect(r.out + r.err).not.toContain(KEY);
  });

  it('--json prints the result object', async () => {
    fake.enqueue({ steps: happy(['json me']) });
    // In process.
    const r = await runCli(['invoke', 'hi', '--json'], { env: { OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: fake.baseUrl } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ text: 'json me', provider: 'openrouter', finish_reason: 'stop' });
  });

  it('says which env vars to set when no key is configured', async () => {
    // In process.
    const r = await runCli(['invoke', 'hi']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/OPENROUTER_API_KEY.*MISTRAL_API_KEY.*PASSPORT_MCP_LLM_BASE_URL/);
  });

  it('an upstream error exits non-zero with the reason and without the key', async () => {
    fake.enqueue({ status: 401, echoHeaders: true });
    // In process: the same scrubbed output path as the binary's (its own process output is checked for the key above).
    const r = await runCli(['invoke', 'hi'], { env: { OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: fake.baseUrl } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/401.*OPENROUTER_API_KEY/);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });
});
