// The pins file: private, atomic, never through a symlink, re-validated on every read; a corrupt file is a clear
// error for the CLI and a warning (no pinned key trusted) for the server.
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/config.js';
import { createApp } from '../../../src/core/app.js';
import { createLogger } from '../../../src/core/logger.js';
import { loadPinnedKeys, PinsError, pinsPath, readPins, updatePins, writePins, type Pin } from '../../../src/core/registry/pins.js';
import { fingerprintOf } from '../../../src/core/passport/trust.js';
import { makeKey } from '../../support/keys.js';

const root = realpathSync(mkdtempSync(path.join(tmpdir(), 'pins-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(root, `c${n++}`, 'passport-mcp');
const key = makeKey();
const pinOf = (issuer: string, k = key): Pin => ({
  issuer,
  key: k.rawBase64,
  fingerprint: fingerprintOf(Buffer.from(k.rawBase64, 'base64')),
  origin: 'http://127.0.0.1:1/trust-passport-public-key',
  pinnedAt: '2026-07-01T00:00:00.000Z',
});
const posix = process.platform !== 'win32';

describe('writePins / readPins', () => {
  it('round-trips, creates a 0700 directory and a 0600 file, and leaves no temporary file', async () => {
    const dir = fresh();
    await writePins(dir, [pinOf('unfragile.ai'), pinOf('b.example', makeKey())]);
    const pins = await readPins(dir);
    expect(pins.map((p) => p.issuer)).toEqual(['b.example', 'unfragile.ai']);
    if (posix) {
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      expect(statSync(pinsPath(dir)).mode & 0o777).toBe(0o600);
    }
    expect(readdirSync(dir)).toEqual(['pins.json']);
    const keys = await loadPinnedKeys(dir);
    expect(keys.map((k) => [k.issuer, k.source])).toEqual([
      ['b.example', 'pinned'],
      ['unfragile.ai', 'pinned'],
    ]);
  });

  it('no directory or no file means no pins', async () => {
    expect(await readPins(fresh())).toEqual([]);
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    expect(await readPins(dir)).toEqual([]);
  });

  const corrupt: [string, (dir: string) => void, RegExp][] = [
    ['not JSON', (d) => writeFileSync(pinsPath(d), '{"version":1,', { mode: 0o600 }), /not JSON/],
    ['the wrong shape', (d) => writeFileSync(pinsPath(d), '{"version":2,"pins":{}}', { mode: 0o600 }), /version/],
    ['a pin without a key', (d) => writeFileSync(pinsPath(d), JSON.stringify({ version: 1, pins: [{ ...pinOf('a'), key: 7 }] }), { mode: 0o600 }), /pins\[0\]/],
    [
      'an edited key (fingerprint mismatch)',
      (d) => writeFileSync(pinsPath(d), JSON.stringify({ version: 1, pins: [{ ...pinOf('a'), key: makeKey().rawBase64 }] }), { mode: 0o600 }),
      /fingerprint/,
    ],
    [
      'a small-order key',
      (d) =>
        writeFileSync(
          pinsPath(d),
          JSON.stringify({ version: 1, pins: [{ ...pinOf('a'), key: Buffer.from('01'.padEnd(64, '0'), 'hex').toString('base64') }] }),
          { mode: 0o600 },
        ),
      /small-order|unusable/,
    ],
    ['two pins for one issuer', (d) => writeFileSync(pinsPath(d), JSON.stringify({ version: 1, pins: [pinOf('a'), pinOf('a')] }), { mode: 0o600 }), /two pins/],
    ['an invalid issuer', (d) => writeFileSync(pinsPath(d), JSON.stringify({ version: 1, pins: [pinOf('a b')] }), { mode: 0o600 }), /invalid issuer/],
    ['duplicate members', (d) => writeFileSync(pinsPath(d), '{"version":1,"pins":[],"pins":[]}', { mode: 0o600 }), /duplicate/],
  ];
  for (const [name, make, why] of corrupt) {
    it(`a pins file with ${name} is a clear PinsError`, async () => {
      const dir = fresh();
      mkdirSync(dir, { recursive: true });
      make(dir);
      const err = await loadPinnedKeys(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PinsError);
      expect((err as Error).message).toMatch(why);
      expect((err as Error).message).toMatch(/pin/);
    });
  }

  it.skipIf(!posix)('refuses a pins file other users can write', async () => {
    const dir = fresh();
    await writePins(dir, [pinOf('a')]);
    chmodSync(pinsPath(dir), 0o666);
    await expect(readPins(dir)).rejects.toThrow(/writable by other users/);
  });

  it.skipIf(!posix)('never reads through a symlinked pins file, and a write replaces the link, not its target', async () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    const target = path.join(root, `target-${n}.json`);
    writeFileSync(target, JSON.stringify({ version: 1, pins: [pinOf('evil')] }), { mode: 0o600 });
    symlinkSync(target, pinsPath(dir));
    await expect(readPins(dir)).rejects.toThrow(/symlink/);
    await writePins(dir, [pinOf('a')]);
    expect(lstatSync(pinsPath(dir)).isSymbolicLink()).toBe(false);
    expect(JSON.parse(readFileSync(target, 'utf8')).pins[0].issuer).toBe('evil');
  });

  it.skipIf(!posix)('refuses a symlinked config directory', async () => {
    const real = fresh();
    await writePins(real, [pinOf('a')]);
    const link = path.join(root, `link-${n++}`);
    symlinkSync(real, link);
    await expect(readPins(link)).rejects.toThrow(/symlink/);
    await expect(writePins(link, [])).rejects.toThrow(/symlink/);
  });

  it.skipIf(!posix)('a FIFO named pins.json is refused at once', async () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    execFileSync('mkfifo', [pinsPath(dir)]);
    await expect(readPins(dir)).rejects.toThrow(/not a regular file/);
  });
});

describe('updatePins', () => {
  const lockOf = (dir: string) => path.join(dir, '.pins.json.lock');

  it('serialises concurrent changes: twenty at once, each adding its own issuer, all kept, no lock left', async () => {
    const dir = fresh();
    await writePins(dir, [pinOf('first.example')]);
    const issuers = Array.from({ length: 20 }, (_, i) => `i${i}.example`);
    await Promise.all(issuers.map((issuer) => updatePins(dir, (current) => [...current, pinOf(issuer)])));
    expect((await readPins(dir)).map((p) => p.issuer).sort()).toEqual(['first.example', ...issuers].sort());
    expect(readdirSync(dir)).toEqual(['pins.json']);
  });

  it('a change that throws writes nothing and releases the lock', async () => {
    const dir = fresh();
    await writePins(dir, [pinOf('a')]);
    await expect(
      updatePins(dir, () => {
        throw new PinsError('no');
      }),
    ).rejects.toThrow('no');
    expect((await readPins(dir)).map((p) => p.issuer)).toEqual(['a']);
    expect(readdirSync(dir)).toEqual(['pins.json']);
    expect(await updatePins(dir, (c) => c.filter((p) => p.issuer !== 'a'))).toEqual([]);
  });

  it('gives up on a held lock after its wait with a clear error; takes over a lock left by a crashed writer', async () => {
    const dir = fresh();
    await writePins(dir, []);
    writeFileSync(lockOf(dir), '');
    await expect(updatePins(dir, (c) => [...c, pinOf('a')], { waitMs: 50 })).rejects.toThrow(
      /another passport-mcp is changing the pins \(.*\.pins\.json\.lock exists\); nothing was written/,
    );
    expect(await readPins(dir)).toEqual([]);
    rmSync(lockOf(dir));
    await updatePins(dir, (c) => [...c, pinOf('a')]);
    // A lock far older than any change takes is a crashed writer's.
    writeFileSync(lockOf(dir), '');
    const old = new Date(Date.now() - 120_000);
    utimesSync(lockOf(dir), old, old);
    expect((await updatePins(dir, (c) => [...c, pinOf('b')], { waitMs: 0 })).map((p) => p.issuer)).toEqual(['a', 'b']);
    expect(readdirSync(dir)).toEqual(['pins.json']);
  });
});

describe('the server loads pins at start', () => {
  const logger = () => {
    const lines: string[] = [];
    const l = createLogger('debug');
    l.addSink((level, msg) => lines.push(`${level}: ${msg}`));
    return { l, lines };
  };

  it('trusts a pinned key and a --trust-key for the same issuer, each with its source', async () => {
    const dir = fresh();
    await writePins(dir, [pinOf('unfragile.ai')]);
    const flagKey = makeKey();
    const { l } = logger();
    const app = await createApp(parseConfig(['--config-dir', dir, '--trust-key', `unfragile.ai=${flagKey.rawHex}`], {}), l);
    expect(app.trust.keysFor('unfragile.ai').map((k) => k.source)).toEqual(['flag', 'pinned']);
    const envApp = await createApp(parseConfig(['--config-dir', dir], { PASSPORT_MCP_TRUST_KEYS: `unfragile.ai=${flagKey.rawHex}` }), l);
    expect(envApp.trust.keysFor('unfragile.ai').map((k) => k.source)).toEqual(['env', 'pinned']);
  });

  it('a corrupt pins file is a warning and no pinned key, never a failed start', async () => {
    const dir = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(pinsPath(dir), 'garbage', { mode: 0o600 });
    const { l, lines } = logger();
    const app = await createApp(parseConfig(['--config-dir', dir], {}), l);
    expect(app.trust.issuers()).toEqual([]);
    expect(lines.join('\n')).toMatch(/warning: the pins file .* is unusable/);
  });
});
