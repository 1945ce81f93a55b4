// The registry client against the loopback fake: /resolve parsed, every fault a status (never a throw), the
// 429 window honoured with no request inside it (an injectable clock, no sleeping), the API key on every request,
// the body cap, and the memo (same intent from memory; ten distinct intents all reach the registry).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegistryClient, retryAfterMs, MAX_RESOLVE_BYTES } from '../../../src/core/registry/client.js';
import { createDiscovery, normaliseIntent, registryConfidence } from '../../../src/core/registry/discovery.js';
import { PassportStore } from '../../../src/core/passport/store.js';
import { createTrustStore, makeTrustedKey } from '../../../src/core/passport/trust.js';
import { verifyPassportObject } from '../../../src/core/passport/verify.js';
import { nullLogger } from '../../../src/core/logger.js';
import { startFakeRegistry, type FakeRegistry } from '../../support/fake-registry.js';

const KEY = 'reg-key-CANARY-0123456789';
let reg: FakeRegistry;
beforeAll(async () => {
  reg = await startFakeRegistry();
});
afterAll(async () => reg?.close());

function client(timeoutMs = 2000, clock?: { t: number }) {
  return createRegistryClient({ baseUrl: reg.base, apiKey: KEY, timeoutMs, now: clock ? () => clock.t : undefined });
}

describe('POST /resolve', () => {
  it('sends {intent, limit} with the API key and parses the documented answer, nulls and odd slugs included', async () => {
    reg.fault = undefined;
    const before = reg.hits.length;
    const r = await client().resolve('transcribe a podcast episode into text', 5);
    expect(r.status).toBe('ok');
    if (r.status !== 'ok') return;
    const hit = reg.hits[before]!;
    expect(hit.method).toBe('POST');
    expect(JSON.parse(hit.body)).toEqual({ intent: 'transcribe a podcast episode into text', limit: 5 });
    expect(hit.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(r.resolveId).toMatch(/^resolve_/);
    const slugs = r.entries.map((e) => e.slug);
    expect(slugs).toContain('openai--whisper-large-v3.1');
    expect(r.entries.find((e) => e.slug === 'openai--whisper-large-v3.1')!.matchConfidence).toBe(0.91);
    expect(r.entries.every((e) => e.trust && typeof e.trust.unfragile === 'object')).toBe(true);
  });

  it.each([
    ['html', 'error', /text\/html/],
    ['html-500', 'error', /HTTP 502/],
    ['truncated', 'error', /not usable JSON/],
    ['wrong-shape', 'error', /no "resolved" list/],
    ['error-json', 'error', /HTTP 500: internal error/],
    ['down', 'error', /unreachable|body failed|socket|other side closed/i],
    ['slow', 'timeout', /did not answer within 300 ms/],
    ['slow-body', 'timeout', /within 300 ms/],
  ] as const)('fault %s -> status %s, never a throw', async (fault, status, detail) => {
    reg.fault = fault;
    try {
      const r = await client(300).resolve('transcribe audio', 5);
      expect(r.status).toBe(status);
      expect('detail' in r && r.detail).toMatch(detail);
    } finally {
      reg.fault = undefined;
    }
  });

  it('an endless body stops at the 16 MiB cap (or the deadline), read no further', async () => {
    reg.fault = 'endless';
    try {
      const r = await client(10_000).resolve('transcribe audio', 5);
      expect(['error', 'timeout']).toContain(r.status);
      if (r.status === 'error') expect(r.detail).toMatch(new RegExp(`${MAX_RESOLVE_BYTES}-byte limit`));
    } finally {
      reg.fault = undefined;
    }
  });

  it('429: no request at all inside the Retry-After window, then requests again (fake clock)', async () => {
    const clock = { t: 1_000_000 };
    const c = client(2000, clock);
    reg.fault = '429';
    reg.retryAfter = '30';
    const r1 = await c.resolve('transcribe audio', 5);
    expect(r1.status).toBe('rate_limited');
    reg.fault = undefined;
    const n = reg.hits.length;
    clock.t += 29_000;
    const r2 = await c.resolve('transcribe audio', 5);
    expect(r2.status).toBe('rate_limited');
    expect(r2.status !== 'ok' && r2.detail).toMatch(/1 s left/);
    // The passport fetch path shares the window.
    await expect(c.exchange({ path: 'passport/deepl-api', timeoutMs: 1000, maxBytes: 1 << 20 })).rejects.toMatchObject({ kind: 'rate_limited' });
    expect(reg.hits.length).toBe(n);
    clock.t += 1_001;
    expect((await c.resolve('transcribe audio', 5)).status).toBe('ok');
    expect(reg.hits.length).toBe(n + 1);
  });

  it('Retry-After: seconds, an HTTP date, absent (60 s), hostile (bounded)', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(retryAfterMs('7', now)).toBe(7000);
    expect(retryAfterMs('Tue, 01 Dec 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs(undefined, now)).toBe(60_000);
    expect(retryAfterMs('99999999', now)).toBe(3_600_000);
    expect(retryAfterMs('-5', now)).toBe(60_000);
    expect(retryAfterMs('0', now)).toBe(1000);
  });
});

describe('discovery: memo and ingest', () => {
  function discovery(clock = { t: 0 }) {
    const key = reg.key;
    const trust = createTrustStore([makeTrustedKey('unfragile.ai', key.rawBase64)]);
    const store = new PassportStore();
    const warnings: string[] = [];
    const logger = { ...nullLogger, warn: (m: string) => warnings.push(m) };
    const d = createDiscovery({
      client: client(2000),
      store,
      verify: (p) => verifyPassportObject(p.raw, { trust }),
      logger,
      registryUrl: reg.base,
      now: () => clock.t,
    });
    return { d, store, warnings, clock };
  }

  it('the same intent (normalised) within the memo window is answered from memory; later it is asked again', async () => {
    const { d, clock } = discovery();
    const n = reg.resolves().length;
    const a = await d.resolve('Transcribe  a podcast', 5);
    const b = await d.resolve('  transcribe a PODCAST ', 5);
    expect(a.remembered).toBe(false);
    expect(b.remembered).toBe(true);
    expect(b.hits).toEqual(a.hits);
    expect(reg.resolves().length).toBe(n + 1);
    clock.t += 5 * 60_000 + 1;
    expect((await d.resolve('transcribe a podcast', 5)).remembered).toBe(false);
    expect(reg.resolves().length).toBe(n + 2);
  });

  it('a burst of 10 distinct intents all reach the registry; concurrent identical ones share one request', async () => {
    const { d } = discovery();
    const n = reg.resolves().length;
    const out = await Promise.all(Array.from({ length: 10 }, (_, i) => d.resolve(`translate document number ${i}`, 5)));
    expect(out.every((o) => o.status === 'ok')).toBe(true);
    expect(reg.resolves().length).toBe(n + 10);
    await Promise.all([d.resolve('extract text from scans', 5), d.resolve('Extract text from scans', 5)]);
    expect(reg.resolves().length).toBe(n + 11);
  });

  it('a tampered passport inside the answer is dropped (not stored) with a warning and named in detail; unsigned kept', async () => {
    const { d, store, warnings } = discovery();
    const o = await d.resolve('speech recognition transcription text', 10);
    expect(o.status).toBe('ok');
    expect(o.detail).toMatch(/"evil--whisper-clone" \(invalid_signature\)/);
    expect(store.has('evil--whisper-clone')).toBe(false);
    expect(o.hits.some((h) => h.slug === 'evil--whisper-clone')).toBe(false);
    expect(warnings.join('\n')).toMatch(/dropped registry passport "evil--whisper-clone": invalid_signature/);
    expect(store.origin('openai--whisper-large-v3.1')).toBe('registry');
    const piper = await d.resolve('speak text aloud voice synthesis', 10);
    expect(piper.hits.some((h) => h.slug === 'rhasspy_piper')).toBe(true);
    expect(store.has('rhasspy_piper')).toBe(true);
  });

  it('matchConfidence maps onto the confidence scale (identity, percentages, missing = 0.5)', () => {
    expect(registryConfidence(0.87)).toBe(0.87);
    expect(registryConfidence(87)).toBe(0.87);
    expect(registryConfidence(undefined)).toBe(0.5);
    expect(registryConfidence(-3)).toBe(0);
    expect(registryConfidence(1e9)).toBe(1);
    expect(normaliseIntent('Ａ  B\tc')).toBe('a b c');
  });
});
