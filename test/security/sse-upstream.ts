// A small loopback OpenAI-compatible upstream for the security tests, speaking OpenRouter's streaming format
// (UPSTREAMS.md §3). Independent of test/support/fake-upstream.ts so these tests depend only on the CONTRACT.
// The scenario is picked by a marker in the request text, `[[scenario:NAME]]`; every request, its headers, its
// body and whether the client aborted it are recorded.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface UpstreamRequest {
  id: number;
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  scenario: string;
  /** The client closed the connection before we finished the response. */
  aborted: boolean;
  finished: boolean;
  tokensSent: number;
  /** The TCP connection that carried this request has closed. */
  socketClosed: boolean;
}

export interface SseUpstream {
  base: string;
  requests: UpstreamRequest[];
  openSockets(): number;
  /** Connections ever accepted. */
  connections(): number;
  /**
   * Resolves once `cond()` holds, re-checked whenever a request changes (arrives, sends a token, ends, is aborted,
   * loses its socket): a readiness wait, not a guessed pause. Rejects after `ms` with `what` in the message.
   */
  until(cond: () => boolean, what: string, ms?: number): Promise<void>;
  /** Every byte the upstream wrote back (to check nothing of it is mis-handled is not our job; kept for debugging). */
  close(): Promise<void>;
}

const MODEL = 'mistralai/mistral-small-3.1-24b-instruct';

function chunk(id: string, content: string, finish: string | null): string {
  return `data: ${JSON.stringify({ id, provider: 'Loopback', model: MODEL, object: 'chat.completion.chunk', created: 1764000000, choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
}

/** Tokens of a deterministic answer for request `n`: "tok0 tok1 ... tok{k-1}". */
export function expectedText(tokens: number, tag: string): string {
  return Array.from({ length: tokens }, (_, i) => `${tag}${i} `).join('');
}

export async function startSseUpstream(opts: { tokens?: number; tokenDelayMs?: number } = {}): Promise<SseUpstream> {
  const tokens = opts.tokens ?? 20;
  const delay = opts.tokenDelayMs ?? 15;
  const requests: UpstreamRequest[] = [];
  const sockets = new Set<Socket>();
  let n = 0;
  let conns = 0;
  const watchers = new Set<() => void>();
  const changed = () => {
    for (const w of [...watchers]) w();
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const rec: UpstreamRequest = {
      id: ++n,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: '',
      scenario: '',
      aborted: false,
      finished: false,
      tokensSent: 0,
      socketClosed: false,
    };
    requests.push(rec);
    req.socket.once('close', () => {
      rec.socketClosed = true;
      changed();
    });
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    res.on('close', () => {
      if (!rec.finished) rec.aborted = true;
      changed();
    });
    req.on('end', () => {
      rec.body = Buffer.concat(chunks).toString('utf8');
      rec.scenario = /\[\[scenario:([a-z0-9-]+)\]\]/.exec(rec.body)?.[1] ?? 'ok';
      changed();
      const tag = /\[\[tag:([A-Za-z0-9]+)\]\]/.exec(rec.body)?.[1] ?? 't';
      const auth = String(req.headers.authorization ?? '');
      const echo = `Authorization: ${auth}; request: ${rec.body.slice(0, 2000)}`;
      const fin = () => {
        rec.finished = true;
        res.end();
      };
      const errorBody = (status: number, extra: Record<string, unknown> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: status, message: `upstream says no; you sent ${auth}`, metadata: { raw: echo, ...extra } } }));
        rec.finished = true;
      };
      switch (rec.scenario) {
        case 'e401':
          return errorBody(401);
        case 'e400':
          return errorBody(400, { error_type: 'invalid_image' });
        case 'e500':
          return errorBody(500);
        case 'e413-html':
          res.writeHead(413, { 'content-type': 'text/html' });
          res.end(`<html><body>Request too large. ${echo}</body></html>`);
          rec.finished = true;
          return;
        case 'reset':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          // Reset once the partial chunk is handed to the kernel (not after a guessed pause).
          res.write(chunk(`gen-${rec.id}`, 'partial ', null), () => res.socket?.destroy());
          return;
        case 'stall':
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write(': OPENROUTER PROCESSING\n\n');
          return; // nothing more; the client's timeout or cancellation ends it
        default:
          break;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'x-generation-id': `gen-${rec.id}` });
      res.write(': OPENROUTER PROCESSING\n\n');
      const total = rec.scenario === 'slow' ? 10_000 : tokens;
      const every = rec.scenario === 'slow' ? 100 : delay;
      let i = 0;
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer);
        if (rec.scenario === 'midstream' && i === 3) {
          clearInterval(timer);
          res.write(
            `data: ${JSON.stringify({ id: `gen-${rec.id}`, error: { code: 502, message: `Provider disconnected; ${echo}`, metadata: { raw: echo } }, choices: [{ index: 0, delta: { content: '' }, finish_reason: 'error' }] })}\n\n`,
          );
          return fin();
        }
        if (i < total) {
          res.write(chunk(`gen-${rec.id}`, `${tag}${i} `, null));
          rec.tokensSent++;
          changed();
          i++;
          return;
        }
        clearInterval(timer);
        res.write(chunk(`gen-${rec.id}`, '', 'stop'));
        res.write(
          `data: ${JSON.stringify({ id: `gen-${rec.id}`, model: MODEL, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 10, completion_tokens: total, total_tokens: 10 + total, cost: 0.000001 } })}\n\n`,
        );
        res.write('data: [DONE]\n\n');
        fin();
      }, every);
      res.on('close', () => clearInterval(timer));
    });
  });
  server.on('connection', (s: Socket) => {
    conns++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    base: `http://127.0.0.1:${port}/api/v1`,
    requests,
    openSockets: () => sockets.size,
    connections: () => conns,
    until(cond, what, ms = 30_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (!cond()) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`upstream: ${what} did not happen within ${ms} ms`));
        }, ms);
        watchers.add(check);
        check();
      });
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
