// The Streamable HTTP transport end to end: the built CLI with `serve --http 127.0.0.1:0`, driven by the SDK's
// own StreamableHTTPClientTransport, plus the HTTP-level guards (Host/Origin, methods, body cap, shutdown). One
// spawned server carries every test that can share it (each test its own client or session); the log lines per
// --log-level, the non-loopback warning and invoke_model over HTTP (one upstream pool, cancellation across POSTs) are
// server behaviour the binary's process adds nothing to, and run on the same HTTP server listening in this process
// (startHttpInProcess).
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { checkRequestOrigin, isLoopbackHost, MAX_HTTP_BODY_BYTES, sessionIdOf } from '../../src/mcp/http.js';
import { happy, startFakeUpstream } from '../support/fake-upstream.js';
import { startHttpInProcess, type InProcessHttp } from '../support/in-process.js';
import { CLI, cleanEnv, SEED_SLUG } from '../support/spawn.js';

interface Running {
  child: ChildProcess;
  url: URL;
  stderr(): string;
  /** Resolves once stderr matches (an event, not a pause); rejects if the server exits first. */
  stderrMatch(re: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

async function startHttp(hostPort = '127.0.0.1:0', env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', hostPort], { env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<URL>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "listening" line:\n${err}`)), 10_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(new URL(m[1]!));
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}:\n${err}`)));
  });
  const stderrMatch = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!re.test(err)) return false;
        child.stderr!.off('data', check);
        resolve();
        return true;
      };
      if (check()) return;
      child.stderr!.on('data', check);
      void exited.then((code) => reject(new Error(`server exited with ${code} before ${re}:\n${err}`)));
    });
  return { child, url, stderr: () => err, stderrMatch, exited };
}

function rawPost(
  url: URL,
  headers: Record<string, string>,
  body: string | Buffer,
  method = 'POST',
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method,
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '0' } },
});

describe('serve --http (Streamable HTTP, stateless)', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startHttp();
  });
  afterAll(() => {
    if (s?.child.exitCode === null) s.child.kill('SIGKILL');
  });

  it('serves the MCP endpoint to the SDK client: initialize, tools/list, a tool call, a resource', async () => {
    const client = new Client({ name: 'http-test', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(s.url));
    expect(client.getServerVersion()?.name).toBe('passport-mcp');
    expect(client.getInstructions()).toContain('find_capability_by_intent');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['find_capability_by_intent', 'verify_passport', 'get_failure_modes']));
    const found = await client.callTool({ name: 'find_capability_by_intent', arguments: { intent: 'image understanding' } });
    expect(found.isError).toBeFalsy();
    const matches = (found.structuredContent as { matches: { artifact: { slug: string } }[] }).matches;
    expect(matches[0]?.artifact.slug).toBe(SEED_SLUG);
    const verified = await client.callTool({ name: 'verify_passport', arguments: { slug: SEED_SLUG } });
    expect((verified.structuredContent as { status: string }).status).toBe('unknown_key');
    const res = await client.readResource({ uri: `passport://${SEED_SLUG}` });
    expect(JSON.parse((res.contents[0] as { text: string }).text).passport.unfragile.artifact.slug).toBe(SEED_SLUG);
    // A session id is handed out (it names the client for cancellation and its log level) but never required:
    // any instance behind a load balancer answers the next request, with or without it, or with one it never issued.
    expect((client.transport as StreamableHTTPClientTransport).sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await client.close();
    const foreign = await rawPost(
      s.url,
      { host: s.url.host, 'mcp-session-id': 'issued-by-another-instance' },
      JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    );
    expect(foreign.status).toBe(200);
    expect(foreign.body).toContain('verify_passport');
  });

  it('answers a bare request without a prior initialize (stateless)', async () => {
    const r = await rawPost(s.url, { host: s.url.host }, JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }));
    expect(r.status).toBe(200);
    expect(r.body).toContain('find_capability_by_intent');
  });

  it('refuses a foreign Host or Origin with 403 (DNS-rebinding protection)', async () => {
    const evilHost = await rawPost(s.url, { host: `evil.example.com:${s.url.port}` }, INIT);
    expect(evilHost.status).toBe(403);
    expect(JSON.parse(evilHost.body).error.message).toMatch(/Host/);
    const evilOrigin = await rawPost(s.url, { host: s.url.host, origin: 'http://evil.example.com' }, INIT);
    expect(evilOrigin.status).toBe(403);
    const otherPort = await rawPost(s.url, { host: `localhost:${Number(s.url.port) + 1}` }, INIT);
    expect(otherPort.status).toBe(403);
    const sameOrigin = await rawPost(s.url, { host: `localhost:${s.url.port}`, origin: `http://localhost:${s.url.port}` }, INIT);
    expect(sameOrigin.status).toBe(200);
    expect(s.stderr()).toMatch(/refused POST \/mcp/);
  });

  it('takes POST only on /mcp, and caps the body size', async () => {
    const get = await rawPost(s.url, { host: s.url.host }, '', 'GET');
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    const other = await rawPost(new URL('/other', s.url), { host: s.url.host }, INIT);
    expect(other.status).toBe(404);
    // Refused on the declared length, before the body is read: send the headers only.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: s.url.hostname,
          port: s.url.port,
          path: '/mcp',
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(MAX_HTTP_BODY_BYTES + 1) },
        },
        (res) => {
          resolve(res.statusCode ?? 0);
          req.destroy();
        },
      );
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(status).toBe(413);
  });

  it('starts at --log-level; logging/setLevel holds for that session only (debug never reaches a client that did not ask)', async () => {
    const { LoggingMessageNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    const connect = async () => {
      const client = new Client({ name: 'http-level-test', version: '0' });
      const lines: { level: string; data: unknown }[] = [];
      client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void lines.push({ level: n.params.level, data: n.params.data }));
      await client.connect(new StreamableHTTPClientTransport(s.url));
      return { client, lines, prompt: () => client.getPrompt({ name: 'choose_model_for_task', arguments: { task: 'caption photos' } }) };
    };
    // This server started at the default --log-level (info); each client is its own session.
    const asked = await connect();
    const quiet = await connect();
    try {
      const debugOf = (lines: { level: string }[]) => lines.filter((l) => l.level === 'debug');
      await asked.prompt();
      // The notification travels on the request's own stream, before its response: no wait needed.
      expect(debugOf(asked.lines)).toEqual([]);
      await asked.client.setLoggingLevel('debug');
      await asked.prompt();
      expect(debugOf(asked.lines)).toContainEqual({ level: 'debug', data: expect.stringContaining('prompt choose_model_for_task') });
      await quiet.prompt();
      expect(debugOf(quiet.lines)).toEqual([]);
      await asked.client.setLoggingLevel('error');
      const n = debugOf(asked.lines).length;
      await asked.prompt();
      expect(debugOf(asked.lines)).toHaveLength(n);
    } finally {
      await asked.client.close();
      await quiet.client.close();
    }
  });

  // Last: this server is the one that gets the signal.
  it('closes on SIGTERM', async () => {
    s.child.kill('SIGTERM');
    expect(await s.exited).toBe(0);
  });
});

describe('HTTP origin checks', () => {
  const loop = { host: '127.0.0.1', port: 3000 };
  const check = (headers: Record<string, string>, bound = loop) => checkRequestOrigin({ headers }, bound);
  it('accepts loopback names with the bound port, and no Origin or a loopback Origin', () => {
    expect(check({ host: '127.0.0.1:3000' })).toBeUndefined();
    expect(check({ host: 'localhost:3000', origin: 'http://127.0.0.1:3000' })).toBeUndefined();
    expect(check({ host: '[::1]:3000' })).toBeUndefined();
  });
  it('refuses other hosts, ports, origins, and a missing Host', () => {
    expect(check({})).toMatch(/Host/);
    expect(check({ host: 'attacker.test:3000' })).toMatch(/Host/);
    expect(check({ host: '127.0.0.1:3001' })).toMatch(/Host/);
    expect(check({ host: '127.0.0.1' })).toMatch(/Host/);
    expect(check({ host: '127.0.0.1:3000', origin: 'https://attacker.test' })).toMatch(/Origin/);
    expect(check({ host: '127.0.0.1:3000', origin: 'null' })).toMatch(/Origin/);
    expect(check({ host: '127.0.0.1:3000', origin: 'http://localhost:8080' })).toMatch(/Origin/);
  });
  it('treats a loopback bind written another way as loopback, and keeps its Host checks', () => {
    for (const host of ['127.1', '2130706433', '::ffff:127.0.0.1', '[::ffff:127.0.0.1]', '0:0:0:0:0:0:0:1', 'LOCALHOST', '127.0.0.2']) {
      expect(isLoopbackHost(host), host).toBe(true);
      expect(check({ host: `evil.example:3000`, origin: 'http://evil.example:3000' }, { host, port: 3000 }), host).toMatch(/Host/);
      expect(check({ host: '127.0.0.1:3000' }, { host, port: 3000 }), host).toBeUndefined();
    }
    for (const host of ['0.0.0.0', '10.0.0.1', '::ffff:10.0.0.1', '::', 'example.com', '127.0.0.1.evil.example'])
      expect(isLoopbackHost(host), host).toBe(false);
  });
  it('on a non-loopback bind, accepts any Host but refuses cross-origin browser requests', () => {
    const pub = { host: '0.0.0.0', port: 8080 };
    expect(check({ host: 'mcp.example.com' }, pub)).toBeUndefined();
    expect(check({ host: 'mcp.example.com', origin: 'https://mcp.example.com' }, pub)).toBeUndefined();
    expect(check({ host: 'mcp.example.com', origin: 'https://attacker.test' }, pub)).toMatch(/Origin/);
  });
});

describe('HTTP session ids (they only name a client for cancellation and its log level)', () => {
  it('takes a visible-ASCII id of at most 128 characters; anything else is no session', () => {
    expect(sessionIdOf({ headers: { 'mcp-session-id': '1f0c2b8e-55d5-4d8a-9b59-0c2f4e6a7b1d' } })).toBe('1f0c2b8e-55d5-4d8a-9b59-0c2f4e6a7b1d');
    expect(sessionIdOf({ headers: {} })).toBeUndefined();
    expect(sessionIdOf({ headers: { 'mcp-session-id': 'a b' } })).toBeUndefined();
    expect(sessionIdOf({ headers: { 'mcp-session-id': 'x'.repeat(129) } })).toBeUndefined();
    expect(sessionIdOf({ headers: { 'mcp-session-id': '' } })).toBeUndefined();
  });
});

describe('serve --http on a non-loopback address', () => {
  it('warns on stderr that anyone who can reach the port can use it', async () => {
    // In process: the warning is the server's own log line, on the same stderr sink as the binary's.
    const t = await startHttpInProcess({ args: ['serve', '--http', '0.0.0.0:0'] });
    try {
      expect(t.stderr()).toMatch(/0\.0\.0\.0 is not a loopback address/);
      expect(t.stderr()).toMatch(/anyone who can reach this port can call the tools/);
    } finally {
      await t.close();
    }
  });
});

describe('serve --http: log lines reach the client', () => {
  it("sends the log lines of a request on that request's own response stream, at or above --log-level", async () => {
    const { createServer } = await import('node:http');
    const { LoggingMessageNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    // A registry that has no passports: asking for an unknown slug makes the server fetch, and log that it does.
    const registry = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}'));
    await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
    const port = (registry.address() as { port: number }).port;
    const run = async (logLevel: string) => {
      // In process: what a request's stream carries is the HTTP server's doing (src/mcp/http.ts), not the binary's.
      const s = await startHttpInProcess({
        args: ['serve', '--http', '127.0.0.1:0'],
        env: { PASSPORT_MCP_OFFLINE: '', PASSPORT_MCP_REGISTRY_URL: `http://127.0.0.1:${port}/api/v1`, PASSPORT_MCP_LOG_LEVEL: logLevel },
      });
      try {
        const client = new Client({ name: 'http-log-test', version: '0' });
        const lines: { level: string; data: unknown }[] = [];
        client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void lines.push({ level: n.params.level, data: n.params.data }));
        await client.connect(new StreamableHTTPClientTransport(s.url));
        const r = await client.callTool({ name: 'get_failure_modes', arguments: { slug: 'no-such-model' } });
        expect(r.isError).toBe(true);
        // Getting the prompt logs a debug line.
        await client.getPrompt({ name: 'choose_model_for_task', arguments: { task: 'caption photos' } });
        await client.close();
        return lines;
      } finally {
        await s.close();
      }
    };
    try {
      const atInfo = await run('info');
      expect(atInfo).toContainEqual({ level: 'info', data: expect.stringContaining('fetching passport "no-such-model"') });
      // Below the configured level, nothing is sent.
      expect(atInfo.filter((l) => l.level === 'debug')).toEqual([]);
      expect(await run('debug')).toContainEqual({ level: 'debug', data: expect.stringContaining('prompt choose_model_for_task') });
    } finally {
      registry.close();
    }
  });
});

describe('serve --http with invoke_model: one upstream pool, and cancellation stops the upstream call', () => {
  const KEY = 'sk-or-v1-http-cancel-test-0123456789';
  let fake: Awaited<ReturnType<typeof startFakeUpstream>>;
  let s: InProcessHttp;
  beforeAll(async () => {
    fake = await startFakeUpstream();
    // In process: the HTTP server main.ts's serve() runs, on a real socket (the spawned server above is the binary's).
    s = await startHttpInProcess({ args: ['serve', '--http', '127.0.0.1:0'], env: { OPENROUTER_API_KEY: KEY, OPENROUTER_BASE_URL: fake.baseUrl } });
  });
  afterAll(async () => {
    await s?.close();
    await fake?.close();
  });

  // First, on the fresh upstream: its connection count is this test's alone.
  it('every request shares the one upstream connection pool (keep-alive), and tokens arrive', async () => {
    const client = new Client({ name: 't', version: '0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(s.url));
      for (let i = 0; i < 3; i++) {
        fake.enqueue({ steps: happy([`call ${i} `, 'done']) });
        const r = await client.callTool({ name: 'invoke_model', arguments: { prompt: `hello ${i}` } });
        expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
        expect((r.structuredContent as { text: string }).text).toBe(`call ${i} done`);
      }
      expect(fake.requests).toHaveLength(3);
      // A pool per HTTP request would open a connection per call and leave each behind.
      expect(fake.connections()).toBe(1);
    } finally {
      await client.close();
    }
  });

  /** An upstream stream that sends "one", then holds until `gate` settles (or forever), then "two". */
  const holding = (gate?: Promise<unknown>) => {
    const [first, rest] = happy(['one', 'two']).reduce<[ReturnType<typeof happy>, ReturnType<typeof happy>]>(
      (acc, step) => {
        const text = 'data' in step ? JSON.stringify(step.data) : '';
        (acc[1].length || text.includes('"two"') ? acc[1] : acc[0]).push(step);
        return acc;
      },
      [[], []],
    );
    return { steps: [...first, ...(gate ? [{ gate }, ...rest] : [{ stall: true } as const])] };
  };

  /** Starts invoke_model with a progress handler; resolves `streaming` at the first token ("one"). */
  const startInvoke = (client: Client, signal?: AbortSignal) => {
    let onFirst!: () => void;
    const streaming = new Promise<void>((r) => (onFirst = r));
    const texts: string[] = [];
    const call = client.callTool({ name: 'invoke_model', arguments: { prompt: 'count slowly' } }, undefined, {
      signal,
      onprogress: (p) => {
        if (p.message) texts.push(p.message);
        if (texts.join('').includes('one')) onFirst();
      },
    });
    return { call, streaming, texts };
  };

  it('a 2025-protocol client cancelling (notifications/cancelled on a new POST) cuts the upstream stream', async () => {
    fake.enqueue(holding());
    const client = new Client({ name: 'cancel-test', version: '0' });
    await client.connect(new StreamableHTTPClientTransport(s.url));
    try {
      const before = fake.requests.length;
      const ac = new AbortController();
      const { call, streaming } = startInvoke(client, ac.signal);
      const rejected = call.then(
        () => 'resolved',
        () => 'rejected',
      );
      await streaming;
      ac.abort('the user pressed stop');
      expect(await rejected).toBe('rejected');
      const upstream = fake.requests[before]!;
      // Readiness: resolves when the upstream response is over; "aborted" says the server cut it, not the upstream.
      await upstream.closed;
      expect(upstream.aborted).toBe(true);
      // The server is fine afterwards.
      expect((await client.listTools()).tools.length).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('a client that closes the response stream (raw disconnect) cuts the upstream stream', async () => {
    fake.enqueue(holding());
    const before = fake.requests.length;
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'tools/call',
      params: { name: 'invoke_model', arguments: { prompt: 'hi' }, _meta: { progressToken: 'p1' } },
    });
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: s.url.hostname,
          port: s.url.port,
          path: s.url.pathname,
          method: 'POST',
          headers: { host: s.url.host, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        },
        (res) => {
          let seen = '';
          res.on('data', (d: Buffer) => {
            seen += d.toString('utf8');
            // The first token arrived as progress: the upstream is streaming. Hang up.
            if (seen.includes('"message":"one"')) {
              req.destroy();
              resolve();
            }
          });
          res.on('end', () => reject(new Error(`stream ended before the first token: ${seen}`)));
        },
      );
      req.on('error', () => undefined);
      req.end(body);
    });
    const upstream = fake.requests[before]!;
    await upstream.closed;
    expect(upstream.aborted).toBe(true);
  });

  it("another client's notice (another session, or none) does not cancel a request", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    fake.enqueue(holding(gate));
    const victim = new Client({ name: 'victim', version: '0' });
    await victim.connect(new StreamableHTTPClientTransport(s.url));
    try {
      const before = fake.requests.length;
      const { call, streaming, texts } = startInvoke(victim);
      await streaming;
      // The other client initializes (getting its own session id) and tries to cancel every low request id.
      const init = await rawPost(s.url, { host: s.url.host }, INIT);
      const otherSession = String(init.headers['mcp-session-id']);
      expect(otherSession).toMatch(/^[0-9a-f-]{36}$/);
      expect(otherSession).not.toBe((victim.transport as StreamableHTTPClientTransport).sessionId);
      for (const headers of [{ 'mcp-session-id': otherSession }, {}] as Record<string, string>[]) {
        for (let id = 0; id < 10; id++) {
          const notice = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'not yours' } });
          const r = await rawPost(s.url, { host: s.url.host, 'mcp-protocol-version': '2025-06-18', ...headers }, notice);
          // 202 comes after the notice was handled (the transport hands it over before answering).
          expect(r.status).toBe(202);
        }
      }
      // Only now may the upstream go on: a cancelled call would never see "two".
      release();
      const r = await call;
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      expect((r.structuredContent as { text: string }).text).toBe('onetwo');
      expect(texts.join('')).toBe('onetwo');
      expect(fake.requests[before]!.aborted).toBe(false);
    } finally {
      release();
      await victim.close();
    }
  });
});
