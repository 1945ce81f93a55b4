// A minimal loopback OpenRouter for the relay benchmark (plain JS: bench/ runs without a TS loader).
// Every request streams `tokens` small tokens, `burst` per write round, a timer tick between rounds.
import { createServer } from 'node:http';

const chunk = (content, finish = null) =>
  `data: ${JSON.stringify({ id: 'gen-bench', provider: 'Bench', model: 'mistralai/mistral-small-3.1-24b-instruct', object: 'chat.completion.chunk', created: 1, choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

export async function startRelayUpstream({ tokens = 2000, burst = 2, tickMs = 1 } = {}) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', async () => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-generation-id': 'gen-bench' });
      res.write(': OPENROUTER PROCESSING\n\n');
      for (let i = 0; i < tokens; i++) {
        if (res.destroyed) return;
        res.write(chunk(`t${i % 10} `, i === tokens - 1 ? 'stop' : null));
        if ((i + 1) % burst === 0 && i !== tokens - 1) await new Promise((r) => setTimeout(r, tickMs));
      }
      res.write(
        `data: ${JSON.stringify({ id: 'gen-bench', choices: [], usage: { prompt_tokens: 5, completion_tokens: tokens, total_tokens: tokens + 5, cost: 0 } })}\n\n`,
      );
      res.end('data: [DONE]\n\n');
    });
  });
  server.on('connection', (s) => s.setNoDelay(true));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return { baseUrl: `http://127.0.0.1:${port}/api/v1`, close: () => new Promise((r) => server.close(r)) };
}
