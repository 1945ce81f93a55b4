// `npm run test:clients`: drives the built server (../dist/cli.js) with the MCP clients people run — the official
// TypeScript SDK, LangChain's MCP adapters, the Vercel AI SDK's MCP client and the OpenAI Agents SDK — over stdio
// and Streamable HTTP: list the tools, call each read tool, invoke_model with progress against a loopback fake
// upstream, and cancel a call (the upstream must see its stream cut). Only the MCP client parts of these
// libraries are used (and the Agents SDK's strict-schema conversion, offline): no LLM is ever called, and no
// network but 127.0.0.1. Own folder and lockfile, so the main install stays lean.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { startFakeUpstream } from './fake-upstream.mjs';

// Security: no tracing exporter may try the network (the Agents SDK traces runs; we start none, but be sure).
process.env.OPENAI_AGENTS_DISABLE_TRACING = '1';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const SLUG = 'mistralai-mistral-small-3.1-24b-instruct';
const TOOLS = ['find_capability_by_intent', 'verify_passport', 'get_failure_modes', 'invoke_model'];
const READ_CALLS = [
  ['find_capability_by_intent', { intent: 'describe a screenshot' }, (r) => r.matches[0].artifact.slug === SLUG],
  ['verify_passport', { slug: SLUG }, (r) => r.slug === SLUG && typeof r.status === 'string'],
  ['get_failure_modes', { slug: SLUG }, (r) => r.slug === SLUG && Array.isArray(r.failure_modes)],
];

let upstream;
let env;
let http;

/** The environment the server runs in: offline for passports, the fake upstream for the model, nothing else. */
function serverEnv() {
  const e = { PASSPORT_MCP_OFFLINE: '1', OPENROUTER_API_KEY: 'sk-or-v1-clients-check-0000000000', OPENROUTER_BASE_URL: upstream.baseUrl };
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'SYSTEMROOT']) if (process.env[k]) e[k] = process.env[k];
  return e;
}

/** `serve --http 127.0.0.1:0`; resolves with the endpoint once the server prints it. */
function startHttp() {
  const child = spawn(process.execPath, [CLI, 'serve', '--http', '127.0.0.1:0'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${err}`)));
  });
}

/** The JSON a tool result carries: structuredContent when the library passes it on, else the text part. */
function structured(result) {
  if (result && typeof result === 'object' && result.structuredContent) return result.structuredContent;
  const parts = typeof result === 'string' ? [result] : Array.isArray(result) ? result : (result?.content ?? []);
  const texts = parts.map((p) => (typeof p === 'string' ? p : p.text)).filter((t) => typeof t === 'string');
  for (const t of texts) {
    try {
      return JSON.parse(t);
    } catch {
      // the message part of an error result; the JSON part follows
    }
  }
  throw new Error(`no JSON in ${JSON.stringify(result).slice(0, 300)}`);
}

// Each adapter: connect(transport) -> { names(), call(name, args), invoke(args, { signal, onProgress }), close() }.
// `progress` says whether the library hands progress notifications to its caller.
const LIBRARIES = [
  {
    name: 'official SDK (Client)',
    progress: true,
    async connect(kind) {
      const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
      const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
      const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
      const client = new Client({ name: 'clients-check', version: '0' });
      await client.connect(
        kind === 'stdio'
          ? new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: 'ignore' })
          : new StreamableHTTPClientTransport(new URL(http.url)),
      );
      return {
        names: async () => (await client.listTools()).tools.map((t) => t.name),
        call: (name, args) => client.callTool({ name, arguments: args }),
        invoke: (args, { signal, onProgress } = {}) =>
          client.callTool({ name: 'invoke_model', arguments: args }, undefined, { signal, onprogress: onProgress }),
        close: () => client.close(),
      };
    },
  },
  {
    name: 'LangChain (@langchain/mcp-adapters)',
    progress: true,
    async connect(kind) {
      const { MultiServerMCPClient } = await import('@langchain/mcp-adapters');
      let onProgress;
      const client = new MultiServerMCPClient({
        mcpServers: {
          passport:
            kind === 'stdio' ? { transport: 'stdio', command: process.execPath, args: [CLI], env, stderr: 'ignore' } : { transport: 'http', url: http.url },
        },
        onProgress: (p) => onProgress?.(p),
      });
      const tools = Object.fromEntries((await client.getTools()).map((t) => [t.name, t]));
      return {
        names: async () => Object.keys(tools),
        call: (name, args) => tools[name].invoke(args),
        async invoke(args, opts = {}) {
          onProgress = opts.onProgress;
          return tools.invoke_model.invoke(args, { signal: opts.signal });
        },
        close: () => client.close(),
      };
    },
  },
  {
    name: 'Vercel AI SDK (@ai-sdk/mcp)',
    progress: false,
    // Its MCP client rejects an aborted call locally but never sends notifications/cancelled (checked in
    // @ai-sdk/mcp 1.0.102), so over stdio the server cannot know; over HTTP the abort closes the response
    // stream, which the server treats as a cancellation.
    cancelsUpstream: { stdio: false, http: true },
    async connect(kind) {
      const { createMCPClient } = await import('@ai-sdk/mcp');
      const { Experimental_StdioMCPTransport } = await import('@ai-sdk/mcp/mcp-stdio');
      const client = await createMCPClient({
        transport:
          kind === 'stdio'
            ? new Experimental_StdioMCPTransport({ command: process.execPath, args: [CLI], env, stderr: 'ignore' })
            : { type: 'http', url: http.url },
      });
      const tools = await client.tools();
      const opts = (signal) => ({ toolCallId: 'call-1', messages: [], abortSignal: signal });
      return {
        names: async () => Object.keys(tools),
        call: (name, args) => tools[name].execute(args, opts()),
        invoke: (args, { signal } = {}) => tools.invoke_model.execute(args, opts(signal)),
        close: () => client.close(),
      };
    },
  },
  {
    name: 'OpenAI Agents SDK (MCPServerStdio / MCPServerStreamableHttp)',
    progress: false,
    async connect(kind) {
      const { MCPServerStdio, MCPServerStreamableHttp, mcpToFunctionTool } = await import('@openai/agents');
      const server =
        kind === 'stdio'
          ? new MCPServerStdio({ name: 'passport', command: process.execPath, args: [CLI], env })
          : new MCPServerStreamableHttp({ name: 'passport', url: http.url });
      await server.connect();
      const listed = await server.listTools();
      return {
        names: async () => listed.map((t) => t.name),
        // The Agents SDK's own strict conversion, offline: a tool it cannot convert falls back to strict: false.
        strict: () => Object.fromEntries(listed.map((t) => [t.name, mcpToFunctionTool(t, server, true).strict])),
        call: (name, args) => server.callTool(name, args),
        invoke: (args, { signal } = {}) => server.callTool('invoke_model', args, undefined, signal ? { signal } : undefined),
        close: () => server.close(),
      };
    },
  },
];

before(async () => {
  upstream = await startFakeUpstream();
  env = serverEnv();
  http = await startHttp();
});

after(async () => {
  http?.child.kill('SIGTERM');
  await upstream?.close();
});

for (const lib of LIBRARIES) {
  for (const kind of ['stdio', 'http']) {
    describe(`${lib.name} over ${kind}`, () => {
      let c;
      before(async () => {
        c = await lib.connect(kind);
      });
      after(async () => c?.close());

      it('lists the tools', async () => {
        assert.deepEqual([...(await c.names())].sort(), [...TOOLS].sort());
      });

      if (lib.name.startsWith('OpenAI Agents')) {
        it('converts every tool schema to strict mode (no fallback to non-strict)', () => {
          assert.deepEqual(c.strict(), Object.fromEntries(TOOLS.map((t) => [t, true])));
        });
      }

      for (const [name, args, ok] of READ_CALLS) {
        it(`calls ${name}`, async () => {
          const r = structured(await c.call(name, args));
          assert.ok(ok(r), JSON.stringify(r).slice(0, 300));
        });
      }

      it(`invoke_model streams from the loopback upstream${lib.progress ? ', with progress' : ''}`, async () => {
        upstream.enqueue({ tokens: ['Hello', ', ', 'world'] });
        const messages = [];
        const r = structured(await c.invoke({ prompt: 'say hello' }, { onProgress: (p) => p.message && messages.push(p.message) }));
        assert.equal(r.text, 'Hello, world');
        assert.equal(r.provider, 'openrouter');
        if (lib.progress) assert.equal(messages.join(''), 'Hello, world');
      });

      const cuts = lib.cancelsUpstream?.[kind] ?? true;
      it(
        cuts ? 'cancelling invoke_model cuts the upstream stream' : 'cancelling invoke_model rejects the call (this client sends no notifications/cancelled)',
        async () => {
          upstream.enqueue({ hold: 'partial' });
          const before = upstream.requests.length;
          const ac = new AbortController();
          const call = c.invoke({ prompt: 'talk for a long time' }, { signal: ac.signal }).then(
            () => 'resolved',
            () => 'rejected',
          );
          // Readiness: the upstream has the request and has sent its first token.
          await upstream.until(() => upstream.requests[before]?.firstTokenSent);
          ac.abort();
          assert.equal(await call, 'rejected');
          if (!cuts) return; // the held upstream ends when this client closes (and the server with it)
          await upstream.requests[before].closed;
          assert.equal(upstream.requests[before].aborted, true);
        },
      );
    });
  }
}
