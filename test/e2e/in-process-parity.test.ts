// The in-process harness (test/support/in-process.ts) is only worth its speed if it runs what the built CLI runs:
// the same answers, byte for byte, from a subcommand and from a tool call, in process and spawned.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startInProcess, type InProcess } from '../support/in-process.js';
import { CLI, cleanEnv, startServer, type Spawned } from '../support/spawn.js';

const exec = promisify(execFile);

async function spawnCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, [CLI, ...args], { env: cleanEnv() });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('in-process harness matches the built CLI', () => {
  it.each([[['find', 'describe a photo', '--json']], [['failures', 'mistralai-mistral-small-3.1-24b-instruct']], [['--bogus-flag']]])(
    'passport-mcp %j',
    async (args) => {
      const [inProc, spawned] = await Promise.all([runCli(args), spawnCli(args)]);
      expect(inProc.code).toBe(spawned.code);
      expect(inProc.stdout).toBe(spawned.stdout);
      expect(inProc.stdout.length + inProc.stderr.length).toBeGreaterThan(0);
    },
  );

  let a: InProcess;
  let b: Spawned;
  beforeAll(async () => {
    [a, b] = await Promise.all([startInProcess(), startServer()]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('lists the same tools and finds the same matches', async () => {
    const [ta, tb] = await Promise.all([a.client.listTools(), b.client.listTools()]);
    expect(ta).toEqual(tb);
    const args = { name: 'find_capability_by_intent', arguments: { intent: 'read the text in a scanned receipt' } };
    const [fa, fb] = await Promise.all([a.client.callTool(args), b.client.callTool(args)]);
    expect(fa.isError).toBeFalsy();
    expect(fa).toEqual(fb);
  });
});
