// The choose_model_for_task prompt and argument completion (prompt arguments and the passport://{slug} template),
// over stdio against the built server; the fresh servers of the race after connecting run in process.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseModelText } from '../../src/mcp/prompts.js';
import { startInProcess } from '../support/in-process.js';
import { SEED, SEED_SLUG, startServer, type Spawned } from '../support/spawn.js';

describe('prompts and completion', () => {
  let s: Spawned;
  let toolNames: string[];
  beforeAll(async () => {
    s = await startServer();
    toolNames = (await s.client.listTools()).tools.map((t) => t.name);
  });
  afterAll(async () => s?.close());

  it('declares the prompts and completions capabilities and lists choose_model_for_task', async () => {
    const caps = s.client.getServerCapabilities();
    expect(caps?.prompts).toBeDefined();
    expect(caps?.completions).toBeDefined();
    const { prompts } = await s.client.listPrompts();
    const p = prompts.find((x) => x.name === 'choose_model_for_task');
    expect(p?.title).toBeTruthy();
    expect(p?.description).toMatch(/find_capability_by_intent/);
    expect(p?.arguments?.map((a) => [a.name, a.required ?? false])).toEqual([
      ['task', true],
      ['needs_images', false],
      ['slug', false],
    ]);
    for (const a of p!.arguments!) expect(a.description, a.name).toBeTruthy();
  });

  it('walks find -> failure modes -> verify -> invoke, naming only tools the server has', async () => {
    const r = await s.client.getPrompt({ name: 'choose_model_for_task', arguments: { task: 'describe a screenshot' } });
    expect(r.messages).toHaveLength(1);
    const text = (r.messages[0]!.content as { type: string; text: string }).text;
    expect(text).toContain('describe a screenshot');
    // The model states the task as the intent (agents' own wording finds more than users' words passed on verbatim).
    expect(text).toContain('find_capability_by_intent with an intent that states the task in plain words');
    expect(text).not.toContain('intent "describe a screenshot"');
    const order = ['find_capability_by_intent', 'get_failure_modes', 'verify_passport', 'invoke_model'].filter((n) => text.includes(n));
    expect(order.slice(0, 3)).toEqual(['find_capability_by_intent', 'get_failure_modes', 'verify_passport']);
    const positions = order.map((n) => text.indexOf(n));
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    // Every snake_case tool-like name in the text is a tool the server really lists.
    for (const name of text.match(/\b[a-z]+(?:_[a-z]+){1,}\b/g) ?? []) {
      if (['input_type', 'capability_id', 'unknown_key', 'invalid_signature', 'trust_score', 'mime_type', 'needs_images'].includes(name)) continue;
      expect(toolNames, name).toContain(name);
    }
    expect(text.includes('invoke_model')).toBe(toolNames.includes('invoke_model'));
  });

  it('asks for image input when needs_images is yes, and starts from a given slug', async () => {
    const r = await s.client.getPrompt({ name: 'choose_model_for_task', arguments: { task: 'read this chart', needs_images: 'yes', slug: SEED_SLUG } });
    const text = (r.messages[0]!.content as { text: string }).text;
    expect(text).toContain('input_type "image"');
    expect(text).toContain(`Start from the passport "${SEED_SLUG}"`);
    expect(chooseModelText({ task: 'x', needs_images: 'no' }, ['find_capability_by_intent'])).not.toContain('input_type "image"');
  });

  it('rejects a needs_images that is neither yes nor no, instead of reading it as no', async () => {
    await expect(s.client.getPrompt({ name: 'choose_model_for_task', arguments: { task: 'x', needs_images: 'maybe' } })).rejects.toThrow(
      /needs_images takes "yes" or "no"/,
    );
    for (const ok of ['No', 'false', ' y '])
      await expect(s.client.getPrompt({ name: 'choose_model_for_task', arguments: { task: 'x', needs_images: ok } })).resolves.toBeTruthy();
  });

  it('rejects a prompt call without a task', async () => {
    await expect(s.client.getPrompt({ name: 'choose_model_for_task', arguments: {} })).rejects.toThrow(/task/);
  });

  it('completes the slug and needs_images arguments of the prompt', async () => {
    const slug = await s.client.complete({ ref: { type: 'ref/prompt', name: 'choose_model_for_task' }, argument: { name: 'slug', value: 'mistral' } });
    expect(slug.completion.values).toEqual([SEED_SLUG]);
    const none = await s.client.complete({ ref: { type: 'ref/prompt', name: 'choose_model_for_task' }, argument: { name: 'slug', value: 'zzz' } });
    expect(none.completion.values).toEqual([]);
    const yn = await s.client.complete({ ref: { type: 'ref/prompt', name: 'choose_model_for_task' }, argument: { name: 'needs_images', value: 'y' } });
    expect(yn.completion.values).toEqual(['yes']);
  });

  it('completes the slug of the passport://{slug} resource template', async () => {
    const r = await s.client.complete({ ref: { type: 'ref/resource', uri: 'passport://{slug}' }, argument: { name: 'slug', value: 'mis' } });
    expect(r.completion.values).toContain(SEED_SLUG);
  });
});

describe('completion right after connecting', () => {
  // Passports load just after the handshake; a client that completes at once must still get the slugs. In process
  // (the same lazy load as the binary's): the request reaches a server whose load has at most just begun.
  it('answers with the slugs whether or not the load has finished', async () => {
    for (const ref of [
      { type: 'ref/resource', uri: 'passport://{slug}' },
      { type: 'ref/prompt', name: 'choose_model_for_task' },
    ] as const) {
      const fresh = await startInProcess();
      try {
        const r = await fresh.client.complete({ ref, argument: { name: 'slug', value: 'mis' } });
        expect(r.completion.values, ref.type).toEqual([SEED_SLUG]);
      } finally {
        await fresh.close();
      }
    }
  });
});

describe('completion over many passports', () => {
  it('sends the first 100 slugs in order, with the true total and hasMore, so the client knows to type more', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'passport-complete-'));
    const doc = JSON.parse(readFileSync(SEED, 'utf8'));
    for (let i = 0; i < 150; i++) {
      doc.passport.unfragile.artifact.slug = `model-${String(i).padStart(3, '0')}`;
      writeFileSync(path.join(dir, `p${i}.json`), JSON.stringify(doc));
    }
    const s = await startInProcess({ args: ['--no-builtin', '--passports', dir] });
    try {
      const ref = { type: 'ref/resource', uri: 'passport://{slug}' } as const;
      const all = await s.client.complete({ ref, argument: { name: 'slug', value: 'model-' } });
      expect(all.completion.values).toHaveLength(100);
      expect(all.completion.values[0]).toBe('model-000');
      expect(all.completion).toMatchObject({ total: 150, hasMore: true });
      const few = await s.client.complete({ ref, argument: { name: 'slug', value: 'model-14' } });
      expect(few.completion).toMatchObject({ values: Array.from({ length: 10 }, (_, i) => `model-14${i}`), total: 10, hasMore: false });
    } finally {
      await s.close();
    }
  });
});
