import { mkdtempSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADD_BATCH, createApp } from '../../../src/core/app.js';
import { createLogger } from '../../../src/core/logger.js';
import { loadPassportPath, parsePassportText, isInside } from '../../../src/core/passport/load.js';
import { PassportStore } from '../../../src/core/passport/store.js';
import { parseConfig } from '../../../src/config/config.js';
import { runCli } from '../../support/in-process.js';
import { countTurns } from '../../support/turns.js';
import { SEED, SEED_SLUG } from '../../support/spawn.js';

const seedText = readFileSync(SEED, 'utf8');
const seed = JSON.parse(seedText);

function variant(slug: string, name = `Model ${slug}`) {
  const doc = structuredClone(seed);
  doc.passport.unfragile.artifact.slug = slug;
  doc.passport.unfragile.artifact.name = name;
  return doc;
}

function tmp(): string {
  return mkdtempSync(path.join(tmpdir(), 'passport-load-'));
}

describe('parsePassportText', () => {
  it('accepts the seed exactly, keeping unknown fields and the raw object', () => {
    const r = parsePassportText(seedText, 'seed');
    expect(r.problems).toEqual([]);
    expect(r.passports).toHaveLength(1);
    const p = r.passports[0]!;
    expect(p.slug).toBe(SEED_SLUG);
    expect(p.passport.unfragile.capabilities).toHaveLength(6);
    expect(p.raw).toEqual(seed.passport);
    // looseObject keeps fields the schema does not name
    expect((p.passport.unfragile as Record<string, unknown>).distribution).toBeDefined();
  });
  it('accepts a bare passport and tolerates unknown fields', () => {
    const bare = { ...seed.passport, futureField: { x: 1 } };
    const r = parsePassportText(JSON.stringify(bare), 'bare');
    expect(r.passports[0]?.slug).toBe(SEED_SLUG);
  });
  it('loads the good elements of an array and names the bad ones by index', () => {
    const bad = variant('ok-2');
    delete bad.passport.unfragile.artifact.slug;
    const r = parsePassportText(JSON.stringify([variant('ok-1'), bad, { nope: 1 }, variant('ok-3')]), 'list.json');
    expect(r.passports.map((p) => p.slug)).toEqual(['ok-1', 'ok-3']);
    expect(r.problems.map((p) => p.source)).toEqual(['list.json[1]', 'list.json[2]']);
    expect(r.problems[0]!.message).toMatch(/artifact\.slug/);
  });
  it('refuses hostile slugs, huge strings and deep nesting', () => {
    expect(parsePassportText(JSON.stringify(variant('../../etc/passwd')), 'x').problems[0]!.message).toMatch(/slug/);
    const huge = variant('huge');
    huge.passport.unfragile.capabilities[0].description = 'x'.repeat(20_000);
    expect(parsePassportText(JSON.stringify(huge), 'x').problems[0]!.message).toMatch(/description/);
    expect(parsePassportText(`{"passport":${'['.repeat(200)}${']'.repeat(200)}}`, 'x').problems[0]!.message).toMatch(/nesting/);
  });
});

describe('loading from the filesystem', () => {
  it('loads a directory of *.json, skipping broken files with a reason, and ignores other files', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify(variant('a')));
    writeFileSync(path.join(dir, 'b.json'), '{"passport": {"unfragile": ');
    writeFileSync(path.join(dir, 'c.json'), JSON.stringify([variant('c1'), variant('c2')]));
    writeFileSync(path.join(dir, 'notes.txt'), 'not a passport');
    const r = await loadPassportPath(dir);
    expect(r.passports.map((p) => p.slug).sort()).toEqual(['a', 'c1', 'c2']);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.source).toMatch(/b\.json$/);
    expect(r.problems[0]!.message).toMatch(/JSON/);
  });
  it('refuses a symlink that leads out of the directory, but follows one that stays inside', async () => {
    const outside = tmp();
    writeFileSync(path.join(outside, 'secret.json'), JSON.stringify(variant('secret')));
    const dir = tmp();
    mkdirSync(path.join(dir, 'sub'));
    writeFileSync(path.join(dir, 'sub', 'inner.json'), JSON.stringify(variant('inner')));
    symlinkSync(path.join(outside, 'secret.json'), path.join(dir, 'escape.json'));
    symlinkSync(path.join(dir, 'sub', 'inner.json'), path.join(dir, 'inside.json'));
    const r = await loadPassportPath(dir);
    expect(r.passports.map((p) => p.slug)).toEqual(['inner']);
    expect(r.problems[0]!.message).toMatch(/outside the passport directory/);
  });
  it('refuses bytes that are not UTF-8 (naming the byte), and reads a file saved with a byte-order mark', async () => {
    const dir = tmp();
    const good = Buffer.from(JSON.stringify(variant('utf8-name', 'Caf\u00e9 \ufffd model')), 'utf8');
    // The same passport with its U+FFFD (EF BF BD) replaced by a lone 0xFF: it would read back as the same text.
    const at = good.indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
    const bad = Buffer.concat([good.subarray(0, at), Buffer.from([0xff]), good.subarray(at + 3)]);
    writeFileSync(path.join(dir, 'bad.json'), bad);
    const refused = await loadPassportPath(path.join(dir, 'bad.json'));
    expect(refused.passports).toEqual([]);
    expect(refused.problems[0]!.message).toBe(`not valid UTF-8 (at byte ${at}); save the file as UTF-8`);
    // `verify FILE` reads the file itself: the same refusal, never a verdict on text the file does not hold.
    const v = await runCli(['verify', path.join(dir, 'bad.json')]);
    expect(v.code).not.toBe(0);
    expect(v.stderr).toMatch(/not valid UTF-8 \(at byte \d+\)/);
    expect(v.stdout).not.toMatch(/VALID/);
    writeFileSync(path.join(dir, 'bom.json'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), good]));
    const bom = await loadPassportPath(path.join(dir, 'bom.json'));
    expect(bom.problems).toEqual([]);
    expect(bom.passports[0]!.passport.unfragile.artifact.name).toBe('Caf\u00e9 \ufffd model');
  });

  it('reports a missing path instead of throwing', async () => {
    const r = await loadPassportPath('/nonexistent/passports.json');
    expect(r.problems[0]!.message).toBe('no such file or directory');
  });
  it('isInside compares whole path segments', () => {
    expect(isInside('/data/img/a.png', '/data/img')).toBe(true);
    expect(isInside('/data/img-evil/a.png', '/data/img')).toBe(false);
    expect(isInside('/data/img/..x', '/data/img')).toBe(true);
    expect(isInside('/data', '/data/img')).toBe(false);
  });
});

describe('the app: sources, duplicates, built-in', () => {
  it('keeps the event loop turning while it indexes a large source (pings and signals are answered meanwhile)', async () => {
    const n = 2000;
    const file = path.join(tmp(), 'many.json');
    writeFileSync(file, JSON.stringify(Array.from({ length: n }, (_, i) => variant(`bulk-${i}`))));
    const app = await createApp(parseConfig(['--no-builtin', '--passports', file], { PASSPORT_MCP_OFFLINE: '1' }), createLogger('error'));
    // Count the turns of the event loop in which passports were added: one synchronous loop would add them all in one.
    const counter = countTurns();
    const turnsWithAdds = new Set<number>();
    app.store.onAdd(() => turnsWithAdds.add(counter.turns));
    const r = await app.loadAll();
    counter.stop();
    expect(r.loaded).toBe(n);
    expect(app.index.size).toBe(n);
    expect(turnsWithAdds.size).toBeGreaterThanOrEqual(Math.floor(n / ADD_BATCH));
  });

  it('loads the built-in passport with no configuration', async () => {
    const app = await createApp(parseConfig([], { PASSPORT_MCP_OFFLINE: '1' }), createLogger('error'));
    await app.loadAll();
    expect(app.store.slugs()).toEqual([SEED_SLUG]);
    expect(app.store.get(SEED_SLUG)!.source).toBe('builtin');
  });
  it('later sources win on duplicate slugs, with a warning naming both', async () => {
    const dir = tmp();
    const f = path.join(dir, 'dupe.json');
    writeFileSync(f, JSON.stringify(variant(SEED_SLUG, 'Replacement')));
    const logger = createLogger('debug');
    const lines: string[] = [];
    logger.addSink((_l, m) => lines.push(m));
    const app = await createApp(parseConfig(['--passports', f], { PASSPORT_MCP_OFFLINE: '1' }), logger);
    await app.loadAll();
    expect(app.store.get(SEED_SLUG)!.passport.unfragile.artifact.name).toBe('Replacement');
    expect(lines.join('\n')).toMatch(/replaces the one from builtin/);
  });
  it('one bad source never stops the others', async () => {
    const dir = tmp();
    writeFileSync(path.join(dir, 'good.json'), JSON.stringify(variant('good')));
    const logger = createLogger('debug');
    const lines: string[] = [];
    logger.addSink((_l, m) => lines.push(m));
    const app = await createApp(parseConfig(['--no-builtin', '--passports', '/missing.json', '--passports', dir], { PASSPORT_MCP_OFFLINE: '1' }), logger);
    const r = await app.loadAll();
    expect(app.store.slugs()).toEqual(['good']);
    expect(r.problems).toBe(1);
    expect(lines.join('\n')).toMatch(/skipped \/missing\.json: no such file/);
  });
  it('the store fetches a missing slug once, even when asked concurrently', async () => {
    let calls = 0;
    // The fetch stays in flight until both callers have asked (a gate, not a guessed pause).
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = new PassportStore(async (slug) => {
      calls++;
      await gate;
      return parsePassportText(JSON.stringify(variant(slug)), 'remote').passports[0]!;
    });
    const both = Promise.all([store.resolve('remote-1'), store.resolve('remote-1')]);
    release();
    const [a, b] = await both;
    expect(a?.slug).toBe('remote-1');
    expect(b).toBe(a);
    expect(calls).toBe(1);
  });
});
