// A loopback OpenRouter for the client checks: chat-completions SSE as OpenRouter writes it (keep-alive comment,
// role chunk, content chunks, usage chunk with choices: [], [DONE]). `hold` streams one token and then sends
// nothing more until the client goes away, recording that it did (how a cancelled call shows upstream).
// The main suite has the full fake (test/support/fake-upstream.ts); this folder runs on plain Node, without TS.
import { createServer } from 'node:http';

const MODEL = 'mistralai/mistral-small-3.1-24b-instruct';
const chunk = (content, finish = null) => ({
  id: 'gen-clients-1',
  model: MODEL,
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: content === null ? {} : { role: 'assistant', content }, finish_reason: finish }],
});

export async function startFakeUpstream() {
  const queue = [];
  const requests = [];
  const waiters = new Set();
  const notify = () => {
    for (const w of waiters) w();
  };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const rec = { body, aborted: false, firstTokenSent: false };
      rec.closed = new Promise((resolve) =>
        res.on('close', () => {
          if (!res.writableFinished) rec.aborted = true;
          resolve();
          notify();
        }),
      );
      requests.push(rec);
      const s = queue.shift() ?? { tokens: ['ok'] };
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const send = (obj) => res.write(`data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`);
      res.write(': OPENROUTER PROCESSING\n\n');
      send(chunk(''));
      if (s.hold) {
        send(chunk(s.hold));
        rec.firstTokenSent = true;
        notify();
        return; // stays open until the client goes away
      }
      s.tokens.forEach((t, i) => send(chunk(t, i === s.tokens.length - 1 ? 'stop' : null)));
      send({ ...chunk(null), choices: [], usage: { prompt_tokens: 5, completion_tokens: s.tokens.length, total_tokens: 5 + s.tokens.length, cost: 0.000001 } });
      send('[DONE]');
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    baseUrl: `http://127.0.0.1:${port}/api/v1`,
    requests,
    enqueue: (s) => queue.push(s),
    /** Resolves when `cond()` holds; re-checked on every upstream event (no polling, no pause). */
    until(cond) {
      return new Promise((resolve) => {
        const check = () => {
          if (!cond()) return;
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}
