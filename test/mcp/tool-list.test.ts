// Pins the exact tool list and checks every tool's title, description, annotations and schemas, as a client sees them.
// In process (startInProcess: main.ts's argv -> app -> server path over the SDK's in-memory transport): that the built
// binary lists the very same tools, byte for byte, is test/e2e/in-process-parity.test.ts's job, and the bundle test
// lists them from the packed .mcpb.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcess } from '../support/in-process.js';

const EXPECTED = {
  find_capability_by_intent: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  verify_passport: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  get_failure_modes: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  invoke_model: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
} as const;

type JsonSchema = { type?: string; properties?: Record<string, JsonSchema & { description?: string }>; required?: string[] };

describe('tools/list', () => {
  let s: InProcess;
  beforeAll(async () => {
    s = await startInProcess();
  });
  afterAll(async () => s?.close());

  it('exposes exactly the contract tools, in order', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(Object.keys(EXPECTED));
  });

  it('every tool has a title, a description for a model, all four annotations and both schemas', async () => {
    const { tools } = await s.client.listTools();
    for (const t of tools) {
      const name = t.name as keyof typeof EXPECTED;
      expect(t.title, name).toMatch(/\w/);
      expect(t.annotations, name).toMatchObject(EXPECTED[name]);
      expect(t.description!.length, name).toBeGreaterThan(120);
      // Descriptions say what to call next, so a model can chain the tools.
      if (name !== 'invoke_model') expect(t.description, name).toMatch(/Next:|then/);
      const input = t.inputSchema as JsonSchema;
      expect(input.type, name).toBe('object');
      for (const [prop, schema] of Object.entries(input.properties ?? {})) {
        expect(schema.description, `${name}.${prop} has .describe()`).toMatch(/\w/);
      }
      const output = t.outputSchema as JsonSchema;
      expect(output?.type, name).toBe('object');
      expect(Object.keys(output.properties ?? {}).length, name).toBeGreaterThan(0);
    }
  });

  it('the contract fields are in the schemas', async () => {
    const { tools } = await s.client.listTools();
    const by = Object.fromEntries(tools.map((t) => [t.name, t]));
    const props = (n: string, which: 'inputSchema' | 'outputSchema') => Object.keys((by[n]![which] as JsonSchema).properties ?? {});
    expect(props('find_capability_by_intent', 'inputSchema')).toEqual(
      expect.arrayContaining(['intent', 'limit', 'input_type', 'output_type', 'verified_only', 'min_trust_score']),
    );
    expect((by.find_capability_by_intent!.inputSchema as JsonSchema).required).toEqual(['intent']);
    expect(props('find_capability_by_intent', 'outputSchema')).toContain('matches');
    expect(props('verify_passport', 'inputSchema')).toEqual(expect.arrayContaining(['slug', 'passport']));
    expect(props('verify_passport', 'outputSchema')).toEqual(
      expect.arrayContaining(['status', 'valid', 'slug', 'issuer', 'signed_at', 'key_fingerprint', 'scope', 'warnings', 'detail']),
    );
    expect(props('get_failure_modes', 'inputSchema')).toEqual(expect.arrayContaining(['slug', 'capability_id']));
    expect(props('get_failure_modes', 'outputSchema')).toEqual(expect.arrayContaining(['slug', 'name', 'failure_modes', 'capabilities', 'risk']));
    expect(props('invoke_model', 'inputSchema')).toEqual(
      expect.arrayContaining([
        'prompt',
        'messages',
        'system',
        'images',
        'slug',
        'max_tokens',
        'temperature',
        'top_p',
        'top_k',
        'frequency_penalty',
        'presence_penalty',
        'seed',
        'stop',
        'response_format',
      ]),
    );
    expect(props('invoke_model', 'outputSchema')).toEqual(
      expect.arrayContaining([
        'text',
        'finish_reason',
        'model',
        'provider',
        'usage',
        'time_to_first_token_ms',
        'duration_ms',
        'retries',
        'passport',
        'warnings',
      ]),
    );
  });
});
