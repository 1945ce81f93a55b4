import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_SLUG, startServer, textOf, type Spawned } from '../support/spawn.js';

describe('server over stdio', () => {
  let s: Spawned;
  beforeAll(async () => {
    s = await startServer();
  });
  afterAll(async () => s?.close());

  it('lists tools and answers the three read tools', async () => {
    const { tools } = await s.client.listTools();
    expect(tools.map((t) => t.name)).toContain('verify_passport');
    const v = await s.client.callTool({ name: 'verify_passport', arguments: { slug: SEED_SLUG } });
    expect(v.isError).toBeFalsy();
    expect((v.structuredContent as { status: string }).status).toBe('unknown_key');
    const f = await s.client.callTool({ name: 'get_failure_modes', arguments: { slug: 'nope' } });
    expect(f.isError).toBe(true);
    expect(textOf(f)).toContain('nope');
  });
});
