// Protocol layer: raw bytes on the built server's stdin, no SDK client in the way. Garbage of every kind is
// interleaved with valid requests; every valid request must be answered (matched by id), every stdout line must be
// one JSON-RPC 2.0 message, and the process must stay up until we close stdin.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INIT, INITIALIZED, line, recordFigures, spawnRaw, type RawServer } from './support.js';
import { binaryUnit } from './units.js';

const DEPTH = 100_000;
const nestedObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
const nestedArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const call = (id: string, name: string, argsJson: string) =>
  `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":{"name":${JSON.stringify(name)},"arguments":${argsJson}}}\n`;

type Expect = 'none' | 'error' | 'tool-error' | 'result' | 'any';
interface Garbage {
  what: string;
  data: string | Buffer;
  /** When the garbage carries an id of ours, what must come back for it. */
  id?: string;
  expect?: Expect;
}

function fixedGarbage(): Garbage[] {
  const valid = JSON.stringify({ jsonrpc: '2.0', id: 'never', method: 'tools/list' });
  const g: Garbage[] = [
    { what: 'plain text', data: 'hello, server\n' },
    { what: 'empty line', data: '\n' },
    { what: 'whitespace line', data: '   \t  \n' },
    { what: 'CRLF garbage', data: 'not json\r\n' },
    { what: 'lone brace', data: '{\n' },
    { what: 'lone bracket', data: ']\n' },
    { what: 'truncated request', data: `${valid.slice(0, 30)}\n` },
    { what: 'truncated inside a string', data: '{"jsonrpc":"2.0","id":"x","method":"to\n' },
    { what: 'JSON number', data: '42\n' },
    { what: 'JSON string', data: '"tools/list"\n' },
    { what: 'JSON null', data: 'null\n' },
    { what: 'JSON true', data: 'true\n' },
    { what: 'JSON-RPC 1.0 request', data: '{"jsonrpc":"1.0","id":"g-v1","method":"tools/list"}\n', id: 'g-v1', expect: 'none' },
    { what: 'JSON-RPC without version', data: '{"id":"g-nov","method":"tools/list","params":{}}\n', id: 'g-nov', expect: 'none' },
    { what: 'batch array', data: '[{"jsonrpc":"2.0","id":"g-batch","method":"tools/list"}]\n', id: 'g-batch', expect: 'none' },
    { what: 'empty batch', data: '[]\n' },
    { what: 'unknown method', data: '{"jsonrpc":"2.0","id":"g-unknown","method":"no/such/method"}\n', id: 'g-unknown', expect: 'error' },
    { what: 'method __proto__', data: '{"jsonrpc":"2.0","id":"g-proto-m","method":"__proto__"}\n', id: 'g-proto-m', expect: 'error' },
    { what: 'method constructor', data: '{"jsonrpc":"2.0","id":"g-ctor-m","method":"constructor"}\n', id: 'g-ctor-m', expect: 'error' },
    { what: 'tool named __proto__', data: call('g-proto-t', '__proto__', '{}'), id: 'g-proto-t', expect: 'tool-error' },
    { what: 'tool named constructor', data: call('g-ctor-t', 'constructor', '{}'), id: 'g-ctor-t', expect: 'tool-error' },
    { what: 'tool named toString', data: call('g-tostr-t', 'toString', '{}'), id: 'g-tostr-t', expect: 'tool-error' },
    { what: 'tool named hasOwnProperty', data: call('g-hop-t', 'hasOwnProperty', '{}'), id: 'g-hop-t', expect: 'tool-error' },
    { what: 'unknown tool', data: call('g-unknown-t', 'rm_rf', '{}'), id: 'g-unknown-t', expect: 'tool-error' },
    { what: 'tools/call without params', data: '{"jsonrpc":"2.0","id":"g-noparams","method":"tools/call"}\n', id: 'g-noparams', expect: 'error' },
    {
      what: 'tools/call with params null',
      data: '{"jsonrpc":"2.0","id":"g-nullparams","method":"tools/call","params":null}\n',
      id: 'g-nullparams',
      expect: 'none',
    },
    { what: 'tools/call arguments as array', data: call('g-argarr', 'verify_passport', '[1,2,3]'), id: 'g-argarr', expect: 'error' },
    { what: 'tools/call arguments as string', data: call('g-argstr', 'verify_passport', '"slug"'), id: 'g-argstr', expect: 'error' },
    {
      what: 'arguments with __proto__',
      data: call('g-argproto', 'verify_passport', '{"__proto__":{"polluted":1},"slug":"nope"}'),
      id: 'g-argproto',
      expect: 'tool-error',
    },
    {
      what: 'arguments with constructor.prototype',
      data: call('g-argctor', 'find_capability_by_intent', '{"intent":"x","constructor":{"prototype":{"polluted":1}}}'),
      id: 'g-argctor',
      expect: 'result',
    },
    { what: 'id is an object', data: '{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}\n' },
    { what: 'id is an array', data: '{"jsonrpc":"2.0","id":[1],"method":"ping"}\n' },
    { what: 'id is null', data: '{"jsonrpc":"2.0","id":null,"method":"ping"}\n' },
    { what: 'id is a float', data: '{"jsonrpc":"2.0","id":1.5,"method":"ping"}\n' },
    { what: 'id is huge', data: '{"jsonrpc":"2.0","id":1e999,"method":"ping"}\n' },
    { what: 'unsolicited response', data: '{"jsonrpc":"2.0","id":987654,"result":{}}\n' },
    { what: 'unsolicited error response', data: '{"jsonrpc":"2.0","id":987655,"error":{"code":-1,"message":"x"}}\n' },
    { what: 'cancel of an unknown request', data: '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"nope","reason":"x"}}\n' },
    { what: 'unknown notification', data: '{"jsonrpc":"2.0","method":"notifications/whatever","params":{"x":1}}\n' },
    { what: 'second initialize', data: line({ ...INIT, id: 'g-reinit' }), id: 'g-reinit', expect: 'any' },
    {
      what: 'bad log level',
      data: '{"jsonrpc":"2.0","id":"g-loglevel","method":"logging/setLevel","params":{"level":"shout"}}\n',
      id: 'g-loglevel',
      expect: 'error',
    },
    {
      what: 'resource read of a traversal uri',
      data: '{"jsonrpc":"2.0","id":"g-res","method":"resources/read","params":{"uri":"passport://../../etc/passwd"}}\n',
      id: 'g-res',
      expect: 'error',
    },
    {
      what: 'resource read of file://',
      data: '{"jsonrpc":"2.0","id":"g-res-file","method":"resources/read","params":{"uri":"file:///etc/passwd"}}\n',
      id: 'g-res-file',
      expect: 'error',
    },
    { what: 'invalid UTF-8', data: Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28, 0xa1, 0x0a]) },
    {
      what: 'UTF-8 BOM before a request',
      data: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"jsonrpc":"2.0","id":"g-bom","method":"ping"}\n')]),
      id: 'g-bom',
      expect: 'none',
    },
    { what: 'NUL bytes', data: Buffer.from([0, 0, 0, 0x7b, 0, 0x0a]) },
    { what: 'ANSI escapes', data: '\x1b[2J\x1b[31mred\x1b[0m\n' },
    { what: 'duplicate keys in a request', data: '{"jsonrpc":"2.0","id":"g-dup","method":"no/such","method":"ping"}\n', id: 'g-dup', expect: 'any' },
    {
      what: `object nested ${DEPTH} deep as verify_passport.passport`,
      data: call('g-deep-obj', 'verify_passport', `{"passport":${nestedObject(DEPTH)}}`),
      id: 'g-deep-obj',
      expect: 'result',
    },
    {
      what: `array nested ${DEPTH} deep as find intent`,
      data: call('g-deep-arr', 'find_capability_by_intent', `{"intent":${nestedArray(DEPTH)}}`),
      id: 'g-deep-arr',
      expect: 'tool-error',
    },
    {
      what: `object nested ${DEPTH} deep as get_failure_modes slug`,
      data: call('g-deep-slug', 'get_failure_modes', `{"slug":${nestedObject(DEPTH)}}`),
      id: 'g-deep-slug',
      expect: 'tool-error',
    },
    {
      what: `JSON text nested ${DEPTH} deep inside a string`,
      data: call('g-deep-text', 'verify_passport', JSON.stringify({ passport: nestedArray(DEPTH) })),
      id: 'g-deep-text',
      expect: 'result',
    },
    {
      what: `params nested ${DEPTH} deep on ping`,
      data: `{"jsonrpc":"2.0","id":"g-deep-ping","method":"ping","params":{"x":${nestedArray(DEPTH)}}}\n`,
      id: 'g-deep-ping',
      expect: 'result',
    },
    { what: `bare nesting ${DEPTH} deep`, data: `${nestedArray(DEPTH)}\n` },
    { what: 'unbalanced nesting 1 MB', data: `${'['.repeat(1024 * 1024)}\n` },
    { what: '5 MB non-JSON line', data: `${'x'.repeat(5 * 1024 * 1024)}\n` },
    { what: '5 MB JSON string', data: `"${'y'.repeat(5 * 1024 * 1024)}"\n` },
    {
      what: '5 MB intent (over the 2000-char limit)',
      data: call('g-5mb-intent', 'find_capability_by_intent', JSON.stringify({ intent: 'z'.repeat(5 * 1024 * 1024) })),
      id: 'g-5mb-intent',
      expect: 'tool-error',
    },
    {
      what: '5 MB padding on a valid ping',
      data: `{"jsonrpc":"2.0","id":"g-5mb-ping","method":"ping","params":{"_meta":{"pad":"${'p'.repeat(5 * 1024 * 1024)}"}}}\n`,
      id: 'g-5mb-ping',
      expect: 'result',
    },
  ];
  return g;
}

/** Random garbage lines, reproducible by seed: random text, random JSON, and valid requests cut short or bit-flipped. */
function randomGarbage(count: number): Garbage[] {
  const base = [
    JSON.stringify({
      jsonrpc: '2.0',
      id: 'r',
      method: 'tools/call',
      params: { name: 'find_capability_by_intent', arguments: { intent: 'describe an image' } },
    }),
    JSON.stringify({ jsonrpc: '2.0', id: 'r', method: 'tools/call', params: { name: 'verify_passport', arguments: { slug: 'x' } } }),
  ];
  const noNewline = (s: string) => s.replace(/[\n]/g, ' ');
  const arb = fc.oneof(
    fc.string({ unit: binaryUnit, maxLength: 400 }).map((s) => noNewline(s)),
    fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 200 }).map((s) => noNewline(s)),
    fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.record({ jsonrpc: fc.oneof(fc.constant('2.0'), fc.string()), method: fc.string(), params: fc.jsonValue({ maxDepth: 3 }) }).map((v) => JSON.stringify(v)),
    fc.tuple(fc.constantFrom(...base), fc.nat()).map(([s, n]) => s.slice(0, n % s.length)),
    fc.tuple(fc.constantFrom(...base), fc.nat(), fc.integer({ min: 1, max: 255 })).map(([s, n, x]) => {
      const b = Buffer.from(s);
      const i = n % b.length;
      b[i] = b[i]! ^ x;
      return noNewline(b.toString('latin1'));
    }),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a.filter((b) => b !== 0x0a)).toString('latin1')),
  );
  return fc.sample(arb, { numRuns: count, seed: 0x5ec0 }).map((s, i) => {
    // Random lines may by chance be a request carrying id "r": give those lines a distinct id we can ignore.
    const data = s.replace(/"id":"r"/g, `"id":"rnd-${i}"`);
    return { what: `random #${i}`, data: `${data}\n` };
  });
}

// One spawned server for the three tests, in order: the garbage, then one 12 MB line, then stdin ends in the middle
// of a line. Each is a property of a process that has been through everything before it (a server that survived
// the garbage must survive the 12 MB line and still exit cleanly), and one start-up serves them all.
describe('raw stdio: garbage between valid requests', () => {
  let s: RawServer;
  beforeAll(async () => {
    s = spawnRaw();
    await s.write(line(INIT));
  });
  afterAll(async () => {
    await s?.end();
  });

  it('answers every valid request, writes only JSON-RPC 2.0 lines, and stays up', async () => {
    const init = await s.waitFor('init');
    expect(init.result).toBeTruthy();
    await s.write(line(INITIALIZED));

    const garbage = [...fixedGarbage(), ...randomGarbage(400)];
    const validIds: string[] = [];
    let bytes = 0;
    for (const [i, g] of garbage.entries()) {
      await s.write(g.data);
      bytes += Buffer.byteLength(g.data);
      // A valid request after each piece of garbage; alternate between a ping and a real tool call.
      const id = `ok-${i}`;
      validIds.push(id);
      const req =
        i % 3 === 0
          ? { jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'find_capability_by_intent', arguments: { intent: 'describe an image', limit: 1 } } }
          : i % 3 === 1
            ? {
                jsonrpc: '2.0',
                id,
                method: 'tools/call',
                params: { name: 'get_failure_modes', arguments: { slug: 'mistralai-mistral-small-3.1-24b-instruct' } },
              }
            : { jsonrpc: '2.0', id, method: 'ping' };
      await s.write(line(req));
      // Every 25 items, make sure we are not simply queueing into a dead process.
      if (i % 25 === 0) await s.waitFor(id, 20_000);
    }

    const answers = await Promise.all(validIds.map((id) => s.waitFor(id, 30_000)));
    for (const [i, a] of answers.entries()) {
      expect(a.error, `valid request ${validIds[i]} got an error`).toBeUndefined();
      const r = a.result as { isError?: boolean; structuredContent?: unknown };
      expect(r, `valid request ${validIds[i]}`).toBeTruthy();
      if (i % 3 !== 2) {
        expect(r.isError, `valid tool call ${validIds[i]} became isError after garbage "${garbage[i]!.what}"`).toBeFalsy();
        expect(r.structuredContent).toBeTruthy();
      }
    }

    // Garbage that carried one of our ids: the answer (or silence) we expect. Every valid request after it has been
    // answered; the silent ones get 200 ms more, all at once.
    const withIds = garbage.filter((g) => g.id);
    const idGarbage = withIds.length;
    const got = await Promise.all(withIds.map((g) => s.waitFor(g.id!, g.expect === 'none' ? 200 : 15_000).catch(() => undefined)));
    for (const [k, g] of withIds.entries()) {
      const gotK = got[k];
      switch (g.expect) {
        case 'none':
          expect(gotK, `${g.what} should be dropped`).toBeUndefined();
          break;
        case 'error':
          expect(gotK?.error, `${g.what} should be a JSON-RPC error`).toBeTruthy();
          break;
        case 'tool-error':
          expect(gotK, `${g.what} should be answered`).toBeTruthy();
          expect(gotK!.error ?? (gotK!.result as { isError?: boolean }).isError, `${g.what} should be an error`).toBeTruthy();
          break;
        case 'result':
          expect(gotK?.result, `${g.what} should have a result`).toBeTruthy();
          break;
        case 'any':
          expect(gotK, `${g.what} should be answered`).toBeTruthy();
          break;
      }
    }

    // The deeply nested passport gets the normal negative verdict, not a crash.
    const deep = await s.waitFor('g-deep-obj');
    expect((deep.result as { structuredContent: { status: string } }).structuredContent.status).toBe('malformed');
    const deepText = await s.waitFor('g-deep-text');
    expect((deepText.result as { structuredContent: { status: string } }).structuredContent.status).toBe('malformed');

    // Every line on stdout is one JSON-RPC 2.0 message, and every response answers an id we sent.
    const sentIds = new Set<string>(['init', ...validIds, ...garbage.filter((g) => g.id).map((g) => g.id!)]);
    for (const l of s.lines) {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(l);
      } catch {
        throw new Error(`stdout line is not JSON: ${l.slice(0, 200)}`);
      }
      expect(m.jsonrpc).toBe('2.0');
      if ('id' in m) {
        expect('result' in m || 'error' in m || 'method' in m).toBe(true);
        if (!('method' in m)) {
          const id = String(m.id);
          expect(sentIds.has(id) || id.startsWith('rnd-'), `response to an id nobody sent: ${id}`).toBe(true);
        }
      } else {
        expect(typeof m.method).toBe('string');
      }
    }
    expect(s.stderr()).not.toMatch(/\bat .*\.js:\d+:\d+/); // no stack trace

    // Still up, still correct (it closes cleanly when stdin ends: the last test below).
    expect(s.exited()).toBe(false);
    await s.write(
      line({ jsonrpc: '2.0', id: 'final', method: 'tools/call', params: { name: 'find_capability_by_intent', arguments: { intent: 'describe an image' } } }),
    );
    const final = await s.waitFor('final');
    expect((final.result as { structuredContent: { matches: unknown[] } }).structuredContent.matches.length).toBeGreaterThan(0);

    recordFigures('protocol', {
      garbage_items: garbage.length,
      garbage_fixed_kinds: fixedGarbage().length,
      garbage_random_lines: garbage.length - fixedGarbage().length,
      garbage_bytes: bytes,
      valid_requests_interleaved: validIds.length,
      valid_requests_answered: answers.length,
      garbage_with_our_ids_checked: idGarbage,
      stdout_lines_checked: s.lines.length,
      max_nesting_depth_sent: DEPTH,
      largest_line_bytes: 5 * 1024 * 1024 + 100,
    });
  }, 90_000);

  // The SDK's StdioServerTransport keeps at most 10 MB of one unfinished line (ReadBuffer) and then closes the
  // transport. cli.ts puts a line guard (src/mcp/line-guard.ts) in front of it that truncates a line past 8 MiB, so
  // the SDK sees one unparseable line and the server keeps serving.
  it('a single 12 MB line does not end the server', async () => {
    await s.write(`${'x'.repeat(12 * 1024 * 1024)}\n`);
    await s.write(line({ jsonrpc: '2.0', id: 'after-12mb', method: 'ping' }));
    const r = await Promise.race([
      s.waitFor('after-12mb', 60_000),
      s.exit.then((code) => {
        throw new Error(`the server exited (code ${code}) after a 12 MB line`);
      }),
    ]);
    expect(r.result).toBeTruthy();
    expect(s.exited()).toBe(false);
  }, 120_000);

  it('closes stdin in the middle of a partial line: exits 0 without writing garbage', async () => {
    expect(s.exited()).toBe(false);
    await s.write('{"jsonrpc":"2.0","id":"half","method":"pi');
    const code = await s.end();
    expect(code).toBe(0);
    for (const l of s.lines) expect(JSON.parse(l).jsonrpc).toBe('2.0');
  });
});
