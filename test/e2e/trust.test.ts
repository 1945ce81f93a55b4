// `trust pin / list / remove` through the CLI, and pinned keys through the stdio server, against a loopback
// registry on 127.0.0.1 that serves its public key in the forms REGISTRY.md lists and can change it. Subcommand and
// tool behaviour runs in process (test/support/in-process.ts, the same argv -> app path as the binary); the built
// binary is spawned where only its process shows something: its whole output never carrying the key, the question
// on a real terminal, and one stdio server trusting a pin.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeKey, seedDocument, signPassport, type TestKey } from '../support/keys.js';
import { runCli, startInProcess } from '../support/in-process.js';
import { CLI, cleanEnv, startServer } from '../support/spawn.js';

const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'trust-e2e-')));
let n = 0;
const configDir = () => path.join(root, `config-${n++}`);
const API_KEY = 'reg-key-CANARY-0123456789';

/** What the loopback registry serves at /trust-passport-public-key, changeable between tests. */
let serving: { type: string; body: string } = { type: 'text/plain', body: '' };
const seen: IncomingHttpHeaders[] = [];
/** Fixed answers under /form-N/api/v1/..., so that the forms can be pinned in parallel. */
const perForm = new Map<string, { type: string; body: string }>();
const registry = createServer((req, res) => {
  if (req.url?.endsWith('/trust-passport-public-key')) {
    seen.push(req.headers);
    const answer = perForm.get(req.url.split('/')[1]!) ?? serving;
    res.writeHead(200, { 'content-type': answer.type }).end(answer.body);
  } else res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
});
let base = '';
beforeAll(async () => {
  await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/api/v1`;
});
afterAll(async () => {
  await new Promise<void>((r) => registry.close(() => r()));
  rmSync(root, { recursive: true, force: true });
});

const A = makeKey();
const B = makeKey();
const jwkOf = (k: TestKey) => k.publicKey.export({ format: 'jwk' });
const FORMS: [string, (k: TestKey) => { type: string; body: string }][] = [
  ['raw base64, text/plain', (k) => ({ type: 'text/plain', body: `${k.rawBase64}\n` })],
  ['raw hex', (k) => ({ type: 'text/plain; charset=utf-8', body: k.rawHex })],
  ['SPKI PEM', (k) => ({ type: 'application/x-pem-file', body: k.pem })],
  ['JWK', (k) => ({ type: 'application/jwk+json', body: JSON.stringify(jwkOf(k)) })],
  ['JWKS', (k) => ({ type: 'application/json', body: JSON.stringify({ keys: [jwkOf(k)] }) })],
  ['JSON wrapper', (k) => ({ type: 'application/json', body: JSON.stringify({ issuer: 'unfragile.ai', algorithm: 'Ed25519', public_key_b64: k.rawBase64 }) })],
];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}
const cliEnv = (env: Record<string, string>) => ({ PASSPORT_MCP_OFFLINE: '0', PASSPORT_MCP_REGISTRY_API_KEY: API_KEY, ...env });
/** `passport-mcp <args> --config-dir <dir> --registry-url <url>`, in this process (runCli): what the subcommand does. */
function cli(args: string[], dir: string, env: Record<string, string> = {}, registryUrl = base): Promise<Run> {
  return runCli([...args, '--config-dir', dir, '--registry-url', registryUrl], { env: cliEnv(env) });
}
/** The same command line through the built CLI, in its own process: what that process writes, all of it. */
function spawnCli(args: string[], dir: string, env: Record<string, string> = {}, registryUrl = base): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--config-dir', dir, '--registry-url', registryUrl],
      { env: cleanEnv(cliEnv(env)), timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}
const fpOf = (out: string) => /Fingerprint: (SHA256:\S+)/.exec(out)?.[1];
const pinsOf = (dir: string) => JSON.parse(readFileSync(path.join(dir, 'pins.json'), 'utf8')).pins as { issuer: string; fingerprint: string; key: string }[];

describe('trust pin through the CLI', () => {
  it(`pins a key served in each form (${FORMS.map(([f]) => f).join('; ')}), showing issuer, fingerprint and origin`, async () => {
    const origin = new URL(base).origin;
    await Promise.all(
      FORMS.map(async ([name, form], i) => {
        perForm.set(`form-${i}`, form(A));
        const url = `${origin}/form-${i}/api/v1`;
        const dir = configDir();
        const r = await cli(['trust', 'pin', 'unfragile.ai', '--yes'], dir, {}, url);
        expect(r.stderr, name).toBe('');
        expect(r.code, name).toBe(0);
        expect(r.stdout).toContain('Issuer:      unfragile.ai');
        expect(r.stdout).toContain(`From:        ${url}/trust-passport-public-key`);
        const fp = fpOf(r.stdout)!;
        expect(fp).toMatch(/^SHA256:[A-Za-z0-9_-]{43}$/);
        expect(pinsOf(dir), name).toMatchObject([{ issuer: 'unfragile.ai', fingerprint: fp, key: A.rawBase64, origin: `${url}/trust-passport-public-key` }]);
        if (i === 0) {
          const list = await cli(['trust', 'list', '--json'], dir);
          expect(JSON.parse(list.stdout).pins).toEqual([
            { issuer: 'unfragile.ai', fingerprint: fp, origin: `${url}/trust-passport-public-key`, pinned_at: expect.any(String) },
          ]);
          const text = await cli(['trust', 'list'], dir);
          expect(text.stdout).toContain(`unfragile.ai  ${fp}`);
        }
      }),
    );
  }, 120_000);

  it('sends the registry key as a Bearer token and never prints it (the built CLI: all its process writes)', async () => {
    serving = FORMS[0]![1](A);
    seen.length = 0;
    const dir = configDir();
    const r = await spawnCli(['trust', 'pin', 'unfragile.ai', '--yes'], dir);
    expect(r.code).toBe(0);
    expect(seen[0]!.authorization).toBe(`Bearer ${API_KEY}`);
    expect(r.stdout + r.stderr).not.toContain(API_KEY);
    expect(pinsOf(dir)).toMatchObject([{ issuer: 'unfragile.ai', key: A.rawBase64 }]);
  });

  it('without a terminal and without --yes, shows the key, pins nothing, and says to pass --yes', async () => {
    serving = FORMS[0]![1](A);
    const dir = configDir();
    const r = await cli(['trust', 'pin', 'unfragile.ai'], dir);
    expect(r.code).toBe(1);
    expect(fpOf(r.stdout)).toBeDefined();
    expect(r.stderr).toMatch(/not pinned.*stdin is not a terminal.*--yes/s);
    const list = await cli(['trust', 'list', '--json'], dir);
    expect(JSON.parse(list.stdout).pins).toEqual([]);
  });

  it('when the registry serves a different key: loud refusal, old pin kept; --replace replaces it', async () => {
    const dir = configDir();
    serving = FORMS[2]![1](A);
    const first = await cli(['trust', 'pin', 'unfragile.ai', '--yes'], dir);
    const fpA = fpOf(first.stdout)!;
    serving = FORMS[3]![1](B);
    const changed = await cli(['trust', 'pin', 'unfragile.ai', '--yes'], dir);
    const fpB = fpOf(changed.stdout)!;
    expect(fpB).not.toBe(fpA);
    expect(changed.code).toBe(4);
    expect(changed.stderr).toContain('THE KEY CHANGED');
    expect(changed.stderr).toContain(`pinned:   ${fpA}`);
    expect(changed.stderr).toContain(`now:      ${fpB}`);
    expect(changed.stderr).toMatch(/The pin was kept/);
    expect(pinsOf(dir)).toMatchObject([{ fingerprint: fpA }]);
    const replaced = await cli(['trust', 'pin', 'unfragile.ai', '--yes', '--replace'], dir);
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain(`REPLACES the key pinned for unfragile.ai: ${fpA}`);
    expect(pinsOf(dir)).toMatchObject([{ fingerprint: fpB, key: B.rawBase64 }]);
    // The same key again is a no-op, not a change.
    const again = await cli(['trust', 'pin', 'unfragile.ai'], dir);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/Already pinned/);
  }, 60_000);

  it('refuses a bad key, a key named for another issuer, --offline, and an unknown subcommand', async () => {
    const dir = configDir();
    serving = { type: 'text/plain', body: '0100000000000000000000000000000000000000000000000000000000000000' };
    const small = await cli(['trust', 'pin', 'unfragile.ai', '--yes'], dir);
    expect(small.code).toBe(1);
    expect(small.stderr).toMatch(/small-order/);
    serving = { type: 'application/json', body: JSON.stringify({ issuer: 'someone.else', publicKey: A.rawBase64 }) };
    const named = await cli(['trust', 'pin', 'unfragile.ai', '--yes'], dir);
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/key of "someone.else", not of "unfragile.ai"/);
    const offline = await cli(['trust', 'pin', 'unfragile.ai', '--yes', '--offline'], dir);
    expect(offline.code).toBe(1);
    expect(offline.stderr).toMatch(/needs the network.*without --offline/s);
    expect((await cli(['trust', 'frobnicate'], dir)).stderr).toMatch(/unknown trust command/);
    expect((await cli(['trust', 'list', '--json'], dir)).stdout).toContain('"pins": []');
  }, 60_000);

  it('trust remove drops a pin and refuses an unknown one', async () => {
    serving = FORMS[0]![1](A);
    const dir = configDir();
    await cli(['trust', 'pin', 'unfragile.ai', '--yes'], dir);
    const gone = await cli(['trust', 'remove', 'unfragile.ai'], dir);
    expect(gone.code).toBe(0);
    expect(gone.stdout).toMatch(/Removed the pin for unfragile.ai/);
    expect(pinsOf(dir)).toEqual([]);
    const none = await cli(['trust', 'remove', 'unfragile.ai'], dir);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/no key is pinned for unfragile.ai/);
  });

  it('a corrupt pins file: list and pin fail with a clear message and leave it alone', async () => {
    const dir = configDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'pins.json'), '{"version":1,"pins":[{"issuer":', { mode: 0o600 });
    const list = await cli(['trust', 'list'], dir);
    expect(list.code).toBe(1);
    expect(list.stderr).toMatch(/pins file .*pins\.json is unusable \(not JSON.*delete it and pin again/s);
    expect(list.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    serving = FORMS[0]![1](A);
    const pin = await cli(['trust', 'pin', 'unfragile.ai', '--yes'], dir);
    expect(pin.code).toBe(1);
    expect(readFileSync(path.join(dir, 'pins.json'), 'utf8')).toBe('{"version":1,"pins":[{"issuer":');
  });

  it.skipIf(process.platform === 'win32')(
    'on a terminal, asks y/N and pins only on yes',
    async () => {
      serving = FORMS[0]![1](A);
      const ask = (answer: string, dir: string) =>
        new Promise<string>((resolve) => {
          // util-linux `script` gives the command a pseudo-terminal; the answer is typed on its stdin.
          const cmd = `${process.execPath} ${CLI} trust pin unfragile.ai --config-dir ${dir} --registry-url ${base}`;
          const child = spawn('script', ['-qec', cmd, '/dev/null'], { env: cleanEnv({ PASSPORT_MCP_OFFLINE: '0' }) });
          let out = '';
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('[y/N]')) child.stdin.end(`${answer}\n`);
          });
          child.on('close', () => resolve(out));
        });
      const yesDir = configDir();
      const noDir = configDir();
      // Two independent terminals: asked at the same time.
      const [yes, no] = await Promise.all([ask('y', yesDir), ask('n', noDir)]);
      expect(yes).toMatch(/Trust this key for passports signed by unfragile.ai\? \[y\/N\][\s\S]*Pinned SHA256:/);
      expect(pinsOf(yesDir)).toHaveLength(1);
      expect(no).toMatch(/Not pinned/);
      expect(() => pinsOf(noDir)).toThrow();
    },
    60_000,
  );

  it("two commands at once each keep the other command's change (pins are changed under a lock, never from a stale read)", async () => {
    serving = FORMS[0]![1](A);
    // The first command waits at its question (it read the pins before fetching and asking); meanwhile a second
    // one pins another issuer, then a third pins the first one's issuer. The first must keep the second's pin and
    // must not overwrite the third's without having seen it.
    const pinWhileAsking = async (dir: string, meanwhile: () => Promise<void>) => {
      let asked!: () => void;
      const atQuestion = new Promise<void>((r) => (asked = r));
      let answer!: (a: string) => void;
      const answered = new Promise<string>((r) => (answer = r));
      const first = runCli(['trust', 'pin', 'a.example', '--config-dir', dir, '--registry-url', base], {
        env: cliEnv({}),
        ask: async () => (asked(), answered),
      });
      await atQuestion;
      await meanwhile();
      answer('y');
      return first;
    };
    const dir = configDir();
    const kept = await pinWhileAsking(dir, async () => expect((await cli(['trust', 'pin', 'b.example', '--yes'], dir)).code).toBe(0));
    expect(kept.code, kept.stderr).toBe(0);
    expect(pinsOf(dir).map((p) => p.issuer)).toEqual(['a.example', 'b.example']);

    const raced = configDir();
    const stopped = await pinWhileAsking(raced, async () => expect((await cli(['trust', 'pin', 'a.example', '--yes'], raced)).code).toBe(0));
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toMatch(/the pin for a\.example changed while this command ran \(now SHA256:\S+\); nothing was written/);
    expect(pinsOf(raced).map((p) => p.issuer)).toEqual(['a.example']);
    expect(readdirSync(raced).sort()).toEqual(['pins.json']);
  });

  it('the question goes to whatever asks the user, and only a yes pins (in process)', async () => {
    serving = FORMS[0]![1](A);
    const asked: string[] = [];
    const answer = (a: string) => async (q: string) => (asked.push(q), a);
    const [yesDir, noDir] = [configDir(), configDir()];
    const [yes, no] = await Promise.all([
      runCli(['trust', 'pin', 'unfragile.ai', '--config-dir', yesDir, '--registry-url', base], { env: cliEnv({}), ask: answer('y') }),
      runCli(['trust', 'pin', 'unfragile.ai', '--config-dir', noDir, '--registry-url', base], { env: cliEnv({}), ask: answer('n') }),
    ]);
    expect(asked).toEqual(['Trust this key for passports signed by unfragile.ai? [y/N] ', 'Trust this key for passports signed by unfragile.ai? [y/N] ']);
    expect(yes.code).toBe(0);
    expect(yes.stdout).toMatch(/Pinned SHA256:/);
    expect(pinsOf(yesDir)).toHaveLength(1);
    expect(no.code).toBe(1);
    expect(no.stderr).toBe('Not pinned.\n');
    expect(() => pinsOf(noDir)).toThrow();
  });
});

describe('pinned keys in the stdio server and the CLI verify', () => {
  const passportsDir = path.join(root, 'passports');
  let pinnedDir = '';
  beforeAll(async () => {
    mkdirSync(passportsDir, { recursive: true });
    const byA = seedDocument();
    (byA.passport.unfragile as { artifact: { slug: string } }).artifact.slug = 'signed-by-a';
    signPassport(byA.passport, A);
    writeFileSync(path.join(passportsDir, 'a.json'), JSON.stringify(byA));
    const byB = seedDocument();
    (byB.passport.unfragile as { artifact: { slug: string } }).artifact.slug = 'signed-by-b';
    signPassport(byB.passport, B);
    writeFileSync(path.join(passportsDir, 'b.json'), JSON.stringify(byB));
    serving = FORMS[0]![1](A);
    pinnedDir = configDir();
    expect((await cli(['trust', 'pin', 'unfragile.ai', '--yes'], pinnedDir)).code).toBe(0);
  });

  // The built stdio server trusting a pin, end to end; the other server cases run in process (startInProcess).
  it('verify_passport says valid with key_source "pinned", and invalid_signature for another key', async () => {
    const s = await startServer({ args: ['--passports', passportsDir, '--config-dir', pinnedDir] });
    try {
      const tool = (await s.client.listTools()).tools.find((t) => t.name === 'verify_passport')!;
      expect((tool.outputSchema?.properties as Record<string, { enum?: string[] }>).key_source?.enum).toEqual(['flag', 'env', 'pinned']);
      const a = await s.client.callTool({ name: 'verify_passport', arguments: { slug: 'signed-by-a' } });
      expect(a.structuredContent).toMatchObject({ status: 'valid', key_source: 'pinned' });
      const b = await s.client.callTool({ name: 'verify_passport', arguments: { slug: 'signed-by-b' } });
      expect(b.structuredContent).toMatchObject({ status: 'invalid_signature' });
      expect(b.structuredContent).not.toHaveProperty('key_source');
    } finally {
      await s.close();
    }
  });

  it('a --trust-key and a pin for the same issuer are both trusted, each reported as its source', async () => {
    // In process: the same server path as the binary (in-process-parity.test.ts), without two start-ups.
    const s = await startInProcess({ args: ['--passports', passportsDir, '--config-dir', pinnedDir, '--trust-key', `unfragile.ai=${B.rawBase64Url}`] });
    try {
      const a = await s.client.callTool({ name: 'verify_passport', arguments: { slug: 'signed-by-a' } });
      expect(a.structuredContent).toMatchObject({ status: 'valid', key_source: 'pinned' });
      const b = await s.client.callTool({ name: 'verify_passport', arguments: { slug: 'signed-by-b' } });
      expect(b.structuredContent).toMatchObject({ status: 'valid', key_source: 'flag' });
    } finally {
      await s.close();
    }
    const e = await startInProcess({
      args: ['--passports', passportsDir, '--config-dir', pinnedDir],
      env: { PASSPORT_MCP_TRUST_KEYS: `unfragile.ai=${B.rawHex}` },
    });
    try {
      const b = await e.client.callTool({ name: 'verify_passport', arguments: { slug: 'signed-by-b' } });
      expect(b.structuredContent).toMatchObject({ status: 'valid', key_source: 'env' });
    } finally {
      await e.close();
    }
  });

  it('a corrupt pins file: the server still starts, warns, and trusts no pin', async () => {
    const dir = configDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'pins.json'), 'not json', { mode: 0o600 });
    // In process: the warning reaches the same stderr sink as the binary's.
    const s = await startInProcess({ args: ['--passports', passportsDir, '--config-dir', dir] });
    try {
      const a = await s.client.callTool({ name: 'verify_passport', arguments: { slug: 'signed-by-a' } });
      expect(a.structuredContent).toMatchObject({ status: 'unknown_key' });
      expect(s.stderr()).toMatch(/pins file .* is unusable/);
    } finally {
      await s.close();
    }
  });

  it('the CLI verify shows where the key came from', async () => {
    const r = await cli(['verify', 'signed-by-a', '--passports', passportsDir], pinnedDir, { PASSPORT_MCP_OFFLINE: '1' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/key: +SHA256:\S+ \(pinned with "trust pin"\)/);
    const j = await cli(['verify', 'signed-by-a', '--passports', passportsDir, '--json'], pinnedDir, { PASSPORT_MCP_OFFLINE: '1' });
    expect(JSON.parse(j.stdout)).toMatchObject({ status: 'valid', key_source: 'pinned' });
  });
});
