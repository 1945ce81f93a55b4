// Passport, registry and model text reaches a person's terminal through the CLI (list, find, failures, invoke,
// warnings). A control sequence in it must be shown, never acted on: ESC alone can clear the screen, retitle the
// window, write the clipboard (OSC 52) or move the cursor up to overwrite a line with a fake "VALID:".
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { terminalSafe } from '../../src/commands/io.js';
import { runCli } from '../support/in-process.js';
import { CLI, cleanEnv, SEED } from '../support/spawn.js';

/** What a terminal acts on: C0 but newline and tab, DEL, C1, bidirectional embeddings, overrides and isolates. */
const ACTED_ON = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const CLEAR = '\u001b[2J';
const TITLE = '\u001b]0;PWNED\u0007';
const CLIPBOARD = '\u001b]52;c;ZWNobyBwd25lZA==\u0007';
const OVERWRITE = '\r\u001b[2K\u001b[1AVALID: everything is fine';
const CSI_C1 = '\u009b31m';
const RLO = '\u202etxt.exe';

function hostilePassportDir(): string {
  const doc = JSON.parse(readFileSync(SEED, 'utf8'));
  const u = doc.passport.unfragile;
  u.artifact.slug = 'esc-test';
  u.artifact.name = `Evil${CLEAR}${TITLE}${CLIPBOARD} Name`;
  u.trust.failure_modes = [`benign${OVERWRITE}`, `red${CSI_C1} ${RLO}`];
  u.capabilities[0].name = `vision${TITLE} capability`;
  u.capabilities[0].limitations = [`limit${CLEAR}`];
  const dir = mkdtempSync(path.join(tmpdir(), 'passport-terminal-'));
  writeFileSync(path.join(dir, 'esc.json'), JSON.stringify(doc));
  return dir;
}

describe('terminal output', () => {
  it('terminalSafe shows control characters as escapes and leaves text, newlines and tabs alone', () => {
    expect(terminalSafe(`a${CLEAR}b`)).toBe('a\\u001b[2Jb');
    expect(terminalSafe('bell\u0007 c1\u009b rlo\u202e del\u007f')).toBe('bell\\u0007 c1\\u009b rlo\\u202e del\\u007f');
    // A carriage return is a line break: it cannot send the cursor back over a line, and a CRLF split across two
    // streamed pieces does not print as an escape.
    expect(terminalSafe('line one\r\nline two\n\tindented')).toBe('line one\nline two\n\tindented');
    expect(terminalSafe('half\r') + terminalSafe('\nnext')).toBe('half\n\nnext');
    expect(terminalSafe('fake\rVALID')).toBe('fake\nVALID');
    // The plain direction marks of Arabic and Hebrew text are text.
    expect(terminalSafe('\u0645\u0631\u062d\u0628\u0627\u200f \u200e\u061c')).toBe('\u0645\u0631\u062d\u0628\u0627\u200f \u200e\u061c');
    const text = 'Résumé 中文 — ok ✓ 🙂';
    expect(terminalSafe(text)).toBe(text);
  });

  it('list, find and failures print a hostile passport with its control characters shown, not acted on', async () => {
    const dir = hostilePassportDir();
    const args = ['--no-builtin', '--passports', dir];
    for (const cmd of [['list'], ['find', 'describe a screenshot'], ['failures', 'esc-test']]) {
      const r = await runCli([...cmd, ...args]);
      expect(r.code, `${cmd[0]}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toMatch(/Evil\\u001b\[2J/);
      expect(ACTED_ON.test(r.stdout), `${cmd[0]} stdout: ${JSON.stringify(r.stdout)}`).toBe(false);
      expect(ACTED_ON.test(r.stderr), `${cmd[0]} stderr: ${JSON.stringify(r.stderr)}`).toBe(false);
    }
    const f = await runCli(['failures', 'esc-test', ...args]);
    expect(f.stdout).toContain('benign\n\\u001b[2K\\u001b[1AVALID: everything is fine');
    expect(f.stdout).toContain('\\u202etxt.exe');
    // --json is data, escaped by JSON itself: the same text, parseable.
    const j = await runCli(['failures', 'esc-test', '--json', ...args]);
    expect(JSON.parse(j.stdout).failure_modes[0]).toBe(`benign${OVERWRITE}`);
  });

  it('the built binary does the same on its real stdout', async () => {
    const dir = hostilePassportDir();
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'failures', 'esc-test', '--no-builtin', '--passports', dir], { env: cleanEnv() });
    expect(stdout).toContain('Evil\\u001b[2J');
    expect(ACTED_ON.test(stdout)).toBe(false);
  });
});
