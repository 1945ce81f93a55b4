// The Streamable HTTP transport end to end: the built CLI with `serve --http 127.0.0.1:0`, driven by the SDK's
// own StreamableHTTPClientTransport, plus the HTTP-level guards (Host/Origin, methods, body cap, shutdown).
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { checkRequestOrigin, MAX_HTTP_BODY_BYTES } from '../../src/mcp/http.js';
import { happy, startFakeUpstream } from '../support/fake-upstream.js';
import { CLI, cleanEnv, SEED_SLUG } from '../support/spawn.js';

interface Running {
  child: ChildProcess;
  url: URL;
  stderr(): string;
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
  return { child, url, stderr: () => err, exited };
}

function rawPost(url: URL, headers: Record<string, string>, body: string | Buffer, method = 'POST'): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname, method, headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } },
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
    // Stateless: no session id is handed out, so any instance behind a load balancer can answer the next request.
    expect((client.transport as StreamableHTTPClientTransport).sessionId).toBeUndefined();
    await client.close();
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
      const req = request({ host: s.url.hostname, port: s.url.port, path: '/mcp', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': String(MAX_HTTP_BODY_BYTES + 1) } }, (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(status).toBe(413);
  });

  it('closes on SIGTERM', async () => {
    const t = await startHttp();
    t.child.kill('SIGTERM');
    expect(await t.exited).toBe(0);
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
  it('on a non-loopback bind, accepts any Host but refuses cross-origin browser requests', () => {
    const pub = { host: '0.0.0.0', port: 8080 };
    expect(check({ host: 'mcp.example.com' }, pub)).toBeUndefined();
    expect(check({ host: 'mcp.example.com', origin: 'https://mcp.example.com' }, pub)).toBeUndefined();
    expect(check({ host: 'mcp.example.com', origin: 'https://attacker.test' }, pub)).toMatch(/Origin/);
  });
});

describe('serve --http on a non-loopback address', () => {
  it('warns on stderr that anyone who can reach the port can use it', async () => {
    const t = await startHttp('0.0.0.0:0');
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(t.stderr()).toMatch(/0\.0\.0\.0 is not a loopback address/);
    } finally {
      t.child.kill('SIGTERM');
      await t.exited;
    }
  });
});

describe('serve --http with invoke_model', () => {
  it('every request shares the one upstream connection pool (keep-alive), and tokens arrive', async () => {
    const fake = await startFakeUpstream();
    const s = await startHttp('127.0.0.1:0', { OPENROUTER_API_KEY: 'sk-or-v1-http-pool-test-0123456789', OPENROUTER_BASE_URL: fake.baseUrl });
    const client = new Client({ name: 't', version: '0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', s.url)));
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
      s.child.kill('SIGTERM');
      await s.exited;
      await fake.close();
    }
  });
});

describe('serve --http: log lines reach the client', () => {
  it('sends the log lines of a request on that request\'s own response stream, at or above --log-level', async () => {
    const { createServer } = await import('node:http');
    const { LoggingMessageNotificationSchema } = await import('@modelcontextprotocol/sdk/types.js');
    // A registry that has no passports: asking for an unknown slug makes the server fetch, and log that it does.
    const registry = createServer((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}'));
    await new Promise<void>((r) => registry.listen(0, '127.0.0.1', r));
    const port = (registry.address() as { port: number }).port;
    const run = async (logLevel: string) => {
      const s = await startHttp('127.0.0.1:0', { PASSPORT_MCP_OFFLINE: '', PASSPORT_MCP_REGISTRY_URL: `http://127.0.0.1:${port}/api/v1`, PASSPORT_MCP_LOG_LEVEL: logLevel });
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
        s.child.kill('SIGTERM');
        await s.exited;
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
