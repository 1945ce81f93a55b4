// A newcomer's first five minutes with the CLI: --version, --help (every flag and environment variable the parser
// knows), find, verify with no trusted key, a bad flag; and the README showing the real output. The built binary is
// spawned for its exit codes and what its process writes (--version, a bad flag, verify, a terminal, worker
// threads); the rest of the subcommand behaviour runs in process (runCli: the same argv -> app path).
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliRun } from '../support/in-process.js';
import { CLI, cleanEnv, ROOT, SEED_SLUG } from '../support/spawn.js';

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: cleanEnv(env), timeout: 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('passport-mcp on the command line', () => {
  // The built binary, three independent runs at once.
  let version: CliRun;
  let badFlag: CliRun;
  let verify: CliRun;
  beforeAll(async () => {
    [version, badFlag, verify] = await Promise.all([run(['--version']), run(['--frobnicate']), run(['verify', SEED_SLUG])]);
  });

  it('--version and -v print the package.json version', async () => {
    expect(version.code).toBe(0);
    expect(version.stdout).toBe(`${pkg.version}\n`);
    // -v in process: the same parser and output path.
    const v = await runCli(['-v']);
    expect(v.code).toBe(0);
    expect(v.stdout).toBe(`${pkg.version}\n`);
  });

  it('is executable as the package bin', () => {
    expect(pkg.bin['passport-mcp']).toBe('dist/cli.js');
    expect(statSync(CLI).mode & 0o111).not.toBe(0);
    expect(readFileSync(CLI, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
  });

  it('--help lists every flag and every environment variable the configuration parser reads', async () => {
    // In process: --help is the parser and a string.
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    const source = readFileSync(join(ROOT, 'src/config/config.ts'), 'utf8');
    const options = source.slice(source.indexOf('const OPTIONS'), source.indexOf('} as const;'));
    const flags = [...options.matchAll(/^\s+'?([a-z][a-z-]*)'?: \{ type/gm)].map((m) => m[1]!);
    expect(flags.length).toBeGreaterThan(10);
    for (const f of flags) expect(r.stdout, `--${f}`).toContain(`--${f}`);
    const envs = new Set([...source.matchAll(/env(?:Value|Flag|List)\(env, '([A-Z0-9_]+)'/g)].map((m) => m[1]!));
    expect(envs.size).toBeGreaterThan(10);
    for (const e of envs) expect(r.stdout, e).toContain(e);
    for (const cmd of ['find', 'verify', 'failures', 'invoke', 'list', 'serve']) expect(r.stdout).toContain(`passport-mcp ${cmd}`);
    // Image roots come after `serve` (CONTRACT.md: `serve DIR...`); a bare directory is an unknown command.
    expect(r.stdout).toContain('passport-mcp serve [options] [IMAGE_DIR...]');
    expect(r.stdout).not.toContain('[serve]');
  });

  it('an unknown flag prints one clear line on stderr and exits non-zero', () => {
    expect(badFlag.code).not.toBe(0);
    expect(badFlag.stdout).toBe('');
    expect(badFlag.stderr.trim().split('\n')).toHaveLength(1);
    expect(badFlag.stderr).toMatch(/frobnicate.*--help/);
  });

  it('find "describe a screenshot" shows the Mistral Small 3.1 vision capability, readably', async () => {
    // In process: the find subcommand's output (in-process-parity.test.ts compares find with the binary's).
    const r = await runCli(['find', 'describe a screenshot']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^1\. multimodal vision-language understanding/m);
    expect(r.stdout).toContain(SEED_SLUG);
    expect(r.stdout).toContain(`passport-mcp failures ${SEED_SLUG}`);
  });

  it('verify explains that the issuer key is not configured, and how to add it', () => {
    expect(verify.code).toBe(3);
    expect(verify.stdout).toMatch(/^UNKNOWN KEY: /);
    expect(verify.stdout).toContain('unfragile.ai');
    expect(verify.stdout).toContain('--trust-key unfragile.ai=');
    expect(verify.stdout).toContain('PASSPORT_MCP_TRUST_KEYS');
  });

  it('the README shows the real output of verify and the real --help', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(readme).toContain(verify.stdout.trim());
    // In process: the same --help text as the binary prints.
    const help = await runCli(['--help']);
    for (const line of help.stdout.split('\n').filter((l) => /^\s+--[a-z]/.test(l))) {
      const flag = /--[a-z-]+/.exec(line)![0];
      expect(readme, flag).toContain(`\`${flag}`);
    }
    expect(readme).toContain('## Benchmarks');
    expect(readme).toContain('BENCHMARKS.md');
  });
});

/** A new directory of `n` copies of the built-in passport, slugs `${prefix}-0`, `${prefix}-1`... */
async function seedCopies(prefix: string, n: number): Promise<string> {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), `passport-${prefix}-`));
  const seed = JSON.parse(readFileSync(join(ROOT, 'passports', 'mistral-small-3.1.passport.json'), 'utf8'));
  for (let i = 0; i < n; i++) {
    seed.passport.unfragile.artifact.slug = `${prefix}-${i}`;
    writeFileSync(join(dir, `p${i}.json`), JSON.stringify(seed));
  }
  return dir;
}

describe('progress on a terminal', () => {
  it('loading many passports shows a progress line on a terminal, and nothing when stderr is not one', async () => {
    const dir = await seedCopies('tty', 300);
    // util-linux `script` gives the command a pseudo-terminal, as a person's shell would.
    const cmd = `${process.execPath} ${CLI} list --no-builtin --passports ${dir}`;
    const tty = await new Promise<string>((resolve) =>
      execFile('script', ['-qec', cmd, '/dev/null'], { env: cleanEnv(), timeout: 20_000 }, (_e, out) => resolve(out)),
    );
    expect(tty).toMatch(/loading passports \d+\/300/);
    expect(tty).toMatch(/300 passports loaded/);
    // In process, with a stream that is not a terminal. (That the binary itself writes no progress line when
    // stderr is a pipe, the worker-thread list below shows: its stderr stays empty over 1,200 passports.)
    const piped = await runCli(['list', '--no-builtin', '--passports', dir]);
    expect(piped.code).toBe(0);
    expect(piped.stderr).not.toMatch(/loading passports/);
    expect(piped.stdout).toMatch(/^300 passports loaded/);
  });
});

describe('a reader that stops reading', () => {
  it('`list | head -1`: the CLI ends quietly, with no EPIPE line on stderr', async () => {
    const dir = await seedCopies('pipe', 2000);
    const out = await new Promise<{ code: number | null; stderr: string; first: string }>((resolve) => {
      const sh = execFile(
        'sh',
        ['-c', `"${process.execPath}" "${CLI}" list --no-builtin --passports "${dir}" | head -1`],
        { env: cleanEnv() },
        () => undefined,
      );
      let stdout = '';
      let stderr = '';
      sh.stdout!.on('data', (d) => (stdout += d));
      sh.stderr!.on('data', (d) => (stderr += d));
      sh.on('close', (code) => resolve({ code, stderr, first: stdout }));
    });
    expect(out.first).toMatch(/^2000 passports loaded/);
    expect(out.stderr).not.toMatch(/EPIPE|error/);
  });
});

describe('list over a large collection', () => {
  it('checks 1,200 signatures in bulk from the built package (the worker itself: bundle.test.ts), and reports each verdict', async () => {
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { makeKey, seedDocument, signPassport } = await import('../support/keys.js');
    const key = makeKey();
    const dir = mkdtempSync(join(tmpdir(), 'passport-list-'));
    const doc = seedDocument();
    const expected: Record<string, string> = {};
    for (let i = 0; i < 1200; i++) {
      const slug = `list-${i}`;
      (doc.passport.unfragile.artifact as { slug: string }).slug = slug;
      signPassport(doc.passport, key);
      expected[slug] = 'valid';
      if (i % 100 === 7) {
        (doc.passport.unfragile.artifact as { name: string }).name = 'Tampered';
        expected[slug] = 'invalid_signature';
      }
      writeFileSync(join(dir, `p${i}.json`), JSON.stringify(doc));
      (doc.passport.unfragile.artifact as { name: string }).name = 'Mistral Small 3.1';
    }
    const r = await run(['list', '--json', '--no-builtin', '--passports', dir, '--trust-key', `unfragile.ai=${key.rawBase64}`]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const rows = (JSON.parse(r.stdout) as { passports: { slug: string; verification: string }[] }).passports;
    expect(Object.fromEntries(rows.map((p) => [p.slug, p.verification]))).toEqual(expected);
    // Bounds, not pauses: writing and verifying 1,200 signed files takes long on a loaded 2-core machine.
  }, 120_000);
});
