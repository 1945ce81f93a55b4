// Relay overhead: time to first token and tokens/s through passport-mcp (the built server over stdio, SDK Client
// with onprogress) versus a direct undici client against the same local upstream, interleaved in one run.
// Goal: <= 2 ms added to the first token, >= 90 % of the direct throughput.
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createParser } from 'eventsource-parser';
import { Agent } from 'undici';
import { startRelayUpstream } from './relay-upstream.mjs';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const TOKEN_TEXT = (n) => Array.from({ length: n }, (_, i) => `t${i % 10} `).join('');

async function direct(agent, baseUrl) {
  const url = new URL(`${baseUrl}/chat/completions`);
  const t0 = performance.now();
  let first = 0;
  let last = 0;
  let text = '';
  const { body } = await agent.request({
    origin: url.origin,
    path: url.pathname,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer bench-key-000000', accept: 'text/event-stream' },
    body: JSON.stringify({ model: 'mistralai/mistral-small-3.1-24b-instruct', messages: [{ role: 'user', content: 'go' }], stream: true, max_tokens: 1024 }),
  });
  const decoder = new TextDecoder();
  const parser = createParser({
    onEvent(ev) {
      if (ev.data === '[DONE]') return;
      const c = JSON.parse(ev.data).choices?.[0]?.delta?.content;
      if (c) {
        const now = performance.now();
        if (!first) first = now;
        last = now;
        text += c;
      }
    },
  });
  for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
  return { ttft: first - t0, streamMs: last - first, text };
}

async function relay(client) {
  const t0 = performance.now();
  let first = 0;
  let last = 0;
  let text = '';
  const r = await client.callTool({ name: 'invoke_model', arguments: { prompt: 'go' } }, undefined, {
    timeout: 120_000,
    onprogress: (p) => {
      if (!p.message) return;
      const now = performance.now();
      if (!first) first = now;
      last = now;
      text += p.message;
    },
  });
  const end = performance.now();
  if (r.isError) throw new Error(`relay call failed: ${JSON.stringify(r.content)}`);
  return { ttft: first - t0, streamMs: last - first, totalMs: end - t0, text, result: r.structuredContent.text };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export async function run({ runs = 7, tokens = 2000 } = {}) {
  const upstream = await startRelayUpstream({ tokens });
  const agent = new Agent({ keepAliveTimeout: 30_000 });
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI],
    env: { PATH: process.env.PATH ?? '', PASSPORT_MCP_OFFLINE: '1', OPENROUTER_API_KEY: 'bench-key-000000', OPENROUTER_BASE_URL: upstream.baseUrl },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'relay-bench', version: '0' });
  await client.connect(transport);
  const expected = TOKEN_TEXT(tokens);
  try {
    // Warm both paths: the lazy LLM import, the keep-alive connections, the JIT.
    await direct(agent, upstream.baseUrl);
    await relay(client);
    const d = [];
    const m = [];
    for (let i = 0; i < runs; i++) {
      d.push(await direct(agent, upstream.baseUrl));
      const r = await relay(client);
      if (r.text !== expected || r.result !== expected) throw new Error('relay text does not match the upstream text');
      m.push(r);
    }
    const tps = (x) => (tokens - 1) / (x.streamMs / 1000);
    const directTtft = median(d.map((x) => x.ttft));
    const relayTtft = median(m.map((x) => x.ttft));
    const directTps = median(d.map(tps));
    const relayTps = median(m.map(tps));
    return {
      runs,
      tokens,
      direct_ttft_ms: round(directTtft),
      relay_ttft_ms: round(relayTtft),
      added_ttft_ms: round(relayTtft - directTtft),
      direct_tokens_per_s: Math.round(directTps),
      relay_tokens_per_s: Math.round(relayTps),
      throughput_ratio: round(relayTps / directTps, 3),
      relay_call_total_ms: round(median(m.map((x) => x.totalMs)), 1),
      goal: '<= 2 ms added TTFT, >= 0.9 throughput ratio',
    };
  } finally {
    await client.close();
    await agent.close();
    await upstream.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await run());
