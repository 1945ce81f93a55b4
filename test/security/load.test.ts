// Load: 1,000 concurrent searches and 100 concurrent invoke_model streams against a loopback upstream, in process
// (InMemoryTransport) so handles and heap can be measured directly; half of the streams are cancelled and exactly
// those upstream requests must be aborted. Afterwards memory, sockets, timers and listeners return to baseline.
// Plus the same 1,000 searches through the spawned server over stdio.
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmClient } from '../../src/core/llm/invoke.js';
import { startServer, textOf } from '../support/spawn.js';
import { recordFigures, startInProcess, withTimeout, type InProcess } from './support.js';
import { expectedText, startSseUpstream, type SseUpstream } from './sse-upstream.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const CANARY = 'sk-or-v1-CANARY0123456789abcdef';
const SEARCHES = 1000;
const STREAMS = 100;
const TOKENS = 20;
// The LLM client's idle-socket timeout in this file (production: 4 s, DEFAULT_CLIENT_OPTIONS in client.ts). Shorter,
// so the test waits a quarter of a second for idle upstream sockets to close instead of four (the same undici timer,
// only its length injected); every socket must then close within IDLE_CLOSE_BOUND_MS.
const KEEP_ALIVE_MS = 250;
const IDLE_CLOSE_BOUND_MS = 10_000;
const INTENTS = [
  'describe an image',
  'read text from a screenshot',
  'summarise a long document',
  'translate French to English',
  'answer questions about a chart',
  'write python code',
  'classify customer emails',
  'extract fields from an invoice photo',
  'chat with a helpful assistant',
  'reason about a math word problem',
];

function resourceCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

function listenerCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of process.eventNames()) out[String(e)] = process.listenerCount(e);
  return out;
}

function heapAfterGc(): number {
  for (let i = 0; i < 4; i++) gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Polls until no resource type is above its baseline count (keep-alive sockets need a moment to close), leaving out
 * the types in `except`; `ms` is an upper bound, not a pause.
 */
async function settleTo(baseline: Record<string, number>, ms = 15_000, except: string[] = []): Promise<Record<string, number>> {
  const deadline = Date.now() + ms;
  let now = resourceCounts();
  while (Date.now() < deadline) {
    now = resourceCounts();
    if (Object.entries(now).every(([k, v]) => except.includes(k) || v <= (baseline[k] ?? 0))) return now;
    await new Promise((r) => setTimeout(r, 50));
  }
  return now;
}

/**
 * FINDING-5's measurement, off the critical path: how long the upstream sockets stay open after the streams ended,
 * polled until the last one closes (`ms` is an upper bound, not a pause). Runs while the spawned tests below do their
 * work (those make no TCP sockets in this process), and is awaited (and asserted) before the figures are written.
 */
function watchLingeringSockets(ms: number): Promise<{ bound_ms: number; open: number; closed_after_ms: number | null }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const tick = () => {
      const open = resourceCounts().TCPSocketWrap ?? 0;
      const elapsed = Date.now() - t0;
      if (open === 0) return resolve({ bound_ms: ms, open: 0, closed_after_ms: elapsed });
      if (elapsed >= ms) return resolve({ bound_ms: ms, open, closed_after_ms: null });
      setTimeout(tick, 25);
    };
    tick();
  });
}
let lingering: ReturnType<typeof watchLingeringSockets> | undefined;

const figures: Record<string, unknown> = {};

describe('load, in process', () => {
  let upstream: SseUpstream;
  let p: InProcess;
  let hasInvoke = false;
  beforeAll(async () => {
    upstream = await startSseUpstream({ tokens: TOKENS, tokenDelayMs: 15 });
    p = await startInProcess(['--offline'], { OPENROUTER_API_KEY: CANARY, OPENROUTER_BASE_URL: upstream.base });
    // The app's one pooled LLM client, made here first (app.shared) with the short idle-socket timeout; invoke_model
    // then uses it as it would the default one.
    llmClient(p.app, { keepAliveTimeoutMs: KEEP_ALIVE_MS });
    const { tools } = await p.client.listTools();
    hasInvoke = tools.some((t) => t.name === 'invoke_model');
  });
  afterAll(async () => {
    await p?.close();
    await upstream?.close();
    recordFigures('load', figures);
  });

  async function search(intent: string) {
    const r = await p.client.callTool({ name: 'find_capability_by_intent', arguments: { intent, limit: 10 } });
    expect(r.isError).toBeFalsy();
    return r.structuredContent;
  }

  it(`${SEARCHES} concurrent searches, twice: every answer equals the sequential one; heap, handles and listeners return to baseline`, async () => {
    const reference = new Map<string, unknown>();
    for (const i of INTENTS) reference.set(i, await search(i)); // warm-up and reference answers
    const baseRes = resourceCounts();
    const baseListeners = listenerCounts();
    const baseHeap = heapAfterGc();
    const heaps: number[] = [];
    const t0 = Date.now();
    for (let round = 0; round < 2; round++) {
      const results = await withTimeout(
        Promise.all(Array.from({ length: SEARCHES }, (_, k) => search(INTENTS[k % INTENTS.length]!).then((r) => [INTENTS[k % INTENTS.length]!, r] as const))),
        60_000,
        'concurrent searches',
      );
      for (const [intent, r] of results) expect(r).toEqual(reference.get(intent));
      heaps.push(heapAfterGc());
    }
    const ms = Date.now() - t0;
    const after = await settleTo(baseRes);
    for (const [k, v] of Object.entries(after)) expect(v, `active ${k}`).toBeLessThanOrEqual(baseRes[k] ?? 0);
    expect(listenerCounts()).toEqual(baseListeners);
    // No growth from one round to the next, and not far above the starting heap (generous: GC is not exact).
    expect(heaps[1]! - heaps[0]!).toBeLessThan(8 * 1024 * 1024);
    expect(heaps[1]! - baseHeap).toBeLessThan(24 * 1024 * 1024);
    figures.searches_in_process = {
      concurrent: SEARCHES,
      rounds: 2,
      total: 2 * SEARCHES,
      ms,
      heap_baseline_mb: +(baseHeap / 2 ** 20).toFixed(1),
      heap_after_round_mb: heaps.map((h) => +(h / 2 ** 20).toFixed(1)),
      leaked_handles: Object.entries(after).reduce((n, [k, v]) => n + Math.max(0, v - (baseRes[k] ?? 0)), 0),
    };
  }, 90_000);

  it(`${STREAMS} concurrent invoke_model streams, half cancelled: exactly those upstream requests abort; no leaked timers, listeners or request sockets`, async () => {
    expect(hasInvoke, 'invoke_model is registered').toBe(true);
    const invoke = (tag: string, scenario: string, signal?: AbortSignal) => {
      const progress: string[] = [];
      let last = -Infinity;
      let monotonic = true;
      const call = p.client.callTool(
        { name: 'invoke_model', arguments: { prompt: `[[scenario:${scenario}]] [[tag:${tag}]] say the tokens`, max_tokens: 100 } },
        undefined,
        {
          signal,
          timeout: 60_000,
          resetTimeoutOnProgress: true,
          onprogress: (pr) => {
            if (pr.progress <= last) monotonic = false;
            last = pr.progress;
            if (typeof pr.message === 'string') progress.push(pr.message);
          },
        },
      );
      return { call, progress, monotonic: () => monotonic };
    };
    // Warm-up: one stream end to end, so the HTTP client and its pool exist in the baseline.
    const warm = invoke('W', 'ok');
    const wr = await warm.call;
    expect(wr.isError, textOf(wr)).toBeFalsy();
    // Then the warm-up's keep-alive connection closes (the client's KEEP_ALIVE_MS, or the upstream's 1 s keep-alive
    // timeout) before the baseline is taken: a readiness wait on the connection itself (bounded), not a guessed pause.
    await upstream.until(() => upstream.requests.every((r) => r.socketClosed), 'the warm-up connection closed', 10_000);
    await settleTo({ ...resourceCounts(), TCPSocketWrap: 0 }, 5_000);
    const baseRes = resourceCounts();
    const baseListeners = listenerCounts();
    const baseHeap = heapAfterGc();
    const before = upstream.requests.length;

    const t0 = Date.now();
    const kept = Array.from({ length: STREAMS / 2 }, (_, i) => ({ tag: `K${i}`, ...invoke(`K${i}`, 'ok') }));
    const cancelled = Array.from({ length: STREAMS / 2 }, (_, i) => {
      const ac = new AbortController();
      const c = invoke(`C${i}`, 'slow', ac.signal);
      // Settle at once so the expected rejections are never "unhandled".
      const outcome = c.call.then(
        () => 'resolved' as const,
        () => 'rejected' as const,
      );
      return { tag: `C${i}`, ac, outcome, ...c };
    });
    // Plus the 1,000 searches at the same time.
    const searches = Promise.all(Array.from({ length: SEARCHES }, (_, k) => search(INTENTS[k % INTENTS.length]!)));
    // Cancel once every slow stream has produced tokens upstream.
    await upstream.until(
      () => upstream.requests.slice(before).filter((r) => r.scenario === 'slow' && r.tokensSent > 0).length === STREAMS / 2,
      'every slow stream streaming',
      60_000,
    );
    for (const c of cancelled) c.ac.abort('test cancels');
    const keptResults = await withTimeout(Promise.all(kept.map((k) => k.call)), 60_000, 'kept streams');
    const cancelOutcomes = await Promise.all(cancelled.map((c) => c.outcome));
    await searches;
    const ms = Date.now() - t0;

    for (const [i, r] of keptResults.entries()) {
      expect(r.isError, textOf(r)).toBeFalsy();
      const out = r.structuredContent as { text: string; finish_reason: string };
      expect(out.text.trim()).toBe(expectedText(TOKENS, `K${i}`).trim());
      expect(kept[i]!.progress.join('')).toBe(out.text);
      expect(kept[i]!.monotonic()).toBe(true);
    }
    for (const o of cancelOutcomes) expect(o).toBe('rejected');
    // Wait until the server has aborted every slow upstream request, then compare: exactly the cancelled ones.
    const mine = () => upstream.requests.slice(before);
    await upstream.until(() => !mine().some((r) => r.scenario === 'slow' && !r.aborted), 'every cancelled upstream request aborted');
    const byTag = new Map(mine().map((r) => [/\[\[tag:([A-Za-z0-9]+)\]\]/.exec(r.body)?.[1] ?? '', r]));
    for (const c of cancelled) expect(byTag.get(c.tag)?.aborted, `upstream request ${c.tag} aborted`).toBe(true);
    for (const k of kept) {
      expect(byTag.get(k.tag)?.aborted, `upstream request ${k.tag} not aborted`).toBe(false);
      expect(byTag.get(k.tag)?.finished).toBe(true);
    }
    expect(mine().length).toBe(STREAMS); // no retries, no duplicates

    // FINDING-5 (src/core/llm/http-exchange.ts, undici Agent): every cancelled stream leaves the pool with one extra
    // connection to the upstream that never carries a request (the loopback upstream accepts 151 connections for
    // 101 requests). Those idle sockets must close when the pool's keep-alive timeout runs out (KEEP_ALIVE_MS here):
    // watched in the background (watchLingeringSockets) and asserted in the file's afterAll; everything else about
    // the handles is asserted here, as soon as it has settled.
    lingering = watchLingeringSockets(IDLE_CLOSE_BOUND_MS);
    const after = await settleTo(baseRes, 15_000, ['TCPSocketWrap']);
    for (const [k, v] of Object.entries(after))
      if (k !== 'TCPSocketWrap') expect(v, `active ${k} (baseline ${JSON.stringify(baseRes)})`).toBeLessThanOrEqual(baseRes[k] ?? 0);
    expect(mine().filter((r) => !r.socketClosed).length, 'every connection that carried a request is closed').toBe(0);
    expect(listenerCounts()).toEqual(baseListeners);
    const heap = heapAfterGc();
    expect(heap - baseHeap).toBeLessThan(32 * 1024 * 1024);
    figures.streams_in_process = {
      concurrent_streams: STREAMS,
      completed: keptResults.length,
      cancelled: cancelled.length,
      upstream_aborted: mine().filter((r) => r.aborted).length,
      concurrent_searches_alongside: SEARCHES,
      ms,
      heap_growth_mb: +((heap - baseHeap) / 2 ** 20).toFixed(1),
      leaked_handles_other_than_sockets: Object.entries(after).reduce((n, [k, v]) => n + (k === 'TCPSocketWrap' ? 0 : Math.max(0, v - (baseRes[k] ?? 0))), 0),
      upstream_connections_accepted: upstream.connections(),
      upstream_requests: upstream.requests.length,
    };
  }, 120_000);
});

afterAll(async () => {
  if (!lingering) return;
  const l = await lingering;
  figures.streams_in_process = {
    ...(figures.streams_in_process as object),
    keep_alive_timeout_ms: KEEP_ALIVE_MS,
    idle_upstream_sockets_open_at_bound: l.open,
    idle_upstream_sockets_all_closed_after_ms: l.closed_after_ms,
  };
  recordFigures('load', figures);
  expect(l.open, `idle upstream sockets still open ${IDLE_CLOSE_BOUND_MS} ms after the streams ended (keep-alive ${KEEP_ALIVE_MS} ms)`).toBe(0);
}, IDLE_CLOSE_BOUND_MS + 5_000);

describe('load, spawned server over stdio', () => {
  // FINDING-3: under 1,000 concurrent requests stdout backs up and StdioServerTransport.send() adds one
  // `once('drain')` listener per pending write; Node then printed a MaxListenersExceededWarning, a false alarm
  // (the listeners go on the next drain). cli.ts lifts the limit on stdout; this keeps it from coming back. One
  // spawned server serves both checks: the batch that proves the answers is the batch that would raise the warning.
  it(`${SEARCHES} concurrent searches through stdio: all answered correctly, server stays responsive; FINDING-3: no MaxListenersExceededWarning on its stderr`, async () => {
    const s = await startServer();
    try {
      const ref = new Map<string, unknown>();
      for (const i of INTENTS) ref.set(i, (await s.client.callTool({ name: 'find_capability_by_intent', arguments: { intent: i } })).structuredContent);
      const t0 = Date.now();
      const rs = await Promise.all(
        Array.from({ length: SEARCHES }, (_, k) =>
          s.client
            .callTool({ name: 'find_capability_by_intent', arguments: { intent: INTENTS[k % INTENTS.length]! } })
            .then((r) => [INTENTS[k % INTENTS.length]!, r] as const),
        ),
      );
      const ms = Date.now() - t0;
      for (const [i, r] of rs) {
        expect(r.isError).toBeFalsy();
        expect(r.structuredContent).toEqual(ref.get(i));
      }
      await s.client.ping();
      const serverWarnings = s.stderr().match(/MaxListenersExceededWarning[^\n]*/g) ?? [];
      figures.searches_stdio = { concurrent: SEARCHES, ms, server_listener_warnings: serverWarnings.length };
      recordFigures('load', figures);
      expect(s.stderr()).not.toMatch(/MaxListenersExceededWarning/);
    } finally {
      await s.close();
    }
  }, 60_000);
});
