// A loopback OpenRouter: a real node:http server on 127.0.0.1 speaking the chat-completions wire format with
// every quirk from ../shared/UPSTREAMS.md (keep-alive comments, CRLF, UTF-8 split across writes, usage chunk
// with choices: [], [DONE], in-band errors, HTTP errors with bodies, Retry-After, stalls, resets, EOF without
// [DONE]). Scriptable per request (a queue of scenarios); records every request and whether the client aborted.
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Step =
  /** `: text` comment line (keep-alive). */
  | { comment: string }
  /** `data: <json>` event (a string is sent as is, e.g. "[DONE]"). */
  | { data: unknown }
  /** Raw bytes, written as given (for splits inside a character or an event). */
  | { bytes: Buffer | string }
  | { wait: number }
  /** Busy-wait this long, blocking this whole process (a slow MCP client sharing the test process). */
  | { block: number }
  /** Destroy the socket (connection reset). */
  | { reset: true }
  /** Keep the response open, sending nothing more, until the client goes away. */
  | { stall: true }
  /** Send nothing more until this settles (a test's readiness signal, instead of a guessed pause). */
  | { gate: PromiseLike<unknown> };

export interface Scenario {
  status?: number;
  headers?: Record<string, string>;
  /** A non-streaming body (error bodies). An object is sent as JSON. */
  body?: unknown;
  /** Replace the body with a JSON echo of the request headers (a careless upstream). */
  echoHeaders?: boolean;
  steps?: Step[];
  /** Use \r\n line endings for events. */
  crlf?: boolean;
  /** Wait this long before sending headers. */
  delayMs?: number;
}

export interface RecordedRequest {
  index: number;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: any;
  /** performance.now() when the request body was fully received. */
  at: number;
  /** The client closed the connection before the response ended. */
  aborted: boolean;
  abortedAt?: number;
  /** Resolves when the response is over (ended, reset or aborted). */
  closed: Promise<void>;
}

export interface FakeUpstream {
  port: number;
  /** Base URL to configure, e.g. OPENROUTER_BASE_URL. */
  baseUrl: string;
  requests: RecordedRequest[];
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  connections(): number;
  enqueue(...s: Scenario[]): void;
  /** Scenarios not consumed yet. */
  pending(): number;
  reset(): void;
  close(): Promise<void>;
}

export const MODEL = 'mistralai/mistral-small-3.1-24b-instruct';

/** One OpenRouter stream chunk. */
export function chunk(
  content: string | null,
  opts: { finish?: string | null; id?: string; usage?: Record<string, number>; model?: string; choices?: unknown[] } = {},
) {
  return {
    id: opts.id ?? 'gen-test-1',
    provider: 'Cloudflare',
    model: opts.model ?? MODEL,
    object: 'chat.completion.chunk',
    created: 1764000000,
    choices: opts.choices ?? [
      {
        index: 0,
        delta: content === null ? {} : { role: 'assistant', content },
        finish_reason: opts.finish ?? null,
        ...(opts.finish ? { native_finish_reason: opts.finish } : {}),
      },
    ],
    ...(opts.usage ? { usage: opts.usage } : {}),
  };
}

export const USAGE = { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15, cost: 0.0000053 };

/** The happy OpenRouter stream: comments, role chunk, tokens, stop, usage chunk with choices: [], [DONE]. */
export function happy(
  tokens: string[],
  opts: { usage?: Record<string, number> | null; finish?: string; comments?: number; done?: boolean; gapMs?: number } = {},
): Step[] {
  const steps: Step[] = [];
  for (let i = 0; i < (opts.comments ?? 1); i++) steps.push({ comment: 'OPENROUTER PROCESSING' });
  steps.push({ data: chunk('') });
  tokens.forEach((t, i) => {
    if (opts.gapMs) steps.push({ wait: opts.gapMs });
    steps.push({ data: chunk(t, { finish: i === tokens.length - 1 ? (opts.finish ?? 'stop') : null }) });
  });
  if (opts.usage !== null) steps.push({ data: chunk(null, { choices: [], usage: opts.usage ?? USAGE }) });
  if (opts.done !== false) steps.push({ data: '[DONE]' });
  return steps;
}

/** An event whose bytes are written in pieces cut inside multi-byte characters. */
export function splitEvent(obj: unknown, crlf = false): Step[] {
  const buf = Buffer.from(`data: ${JSON.stringify(obj)}${crlf ? '\r\n\r\n' : '\n\n'}`, 'utf8');
  const cuts: number[] = [];
  for (let i = 1; i < buf.length; i++) if ((buf[i]! & 0xc0) === 0x80 && (buf[i - 1]! & 0xc0) !== 0x80) cuts.push(i); // after a lead byte
  const steps: Step[] = [];
  let from = 0;
  for (const c of cuts) {
    steps.push({ bytes: buf.subarray(from, c) }, { wait: 3 });
    from = c;
  }
  steps.push({ bytes: buf.subarray(from) });
  return steps;
}

export async function startFakeUpstream(): Promise<FakeUpstream> {
  const queue: Scenario[] = [];
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();

  const serve = async (s: Scenario, rec: RecordedRequest, res: ServerResponse) => {
    const nl = s.crlf ? '\r\n' : '\n';
    if (s.delayMs) await sleep(s.delayMs);
    if (res.destroyed) return;
    if (s.echoHeaders || s.body !== undefined || !s.steps) {
      const status = s.status ?? 200;
      const body = s.echoHeaders
        ? JSON.stringify({
            error: { code: status, message: 'Bad request', metadata: { request_headers: rec.headers, raw: `echo: ${rec.headers.authorization}` } },
          })
        : typeof s.body === 'string'
          ? s.body
          : JSON.stringify(s.body ?? {});
      res.writeHead(status, { 'content-type': typeof s.body === 'string' && !s.echoHeaders ? 'text/html' : 'application/json', ...s.headers });
      res.end(body);
      return;
    }
    res.writeHead(s.status ?? 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'x-generation-id': 'gen-test-1', ...s.headers });
    res.flushHeaders();
    for (const step of s.steps) {
      if (res.destroyed) return;
      if ('comment' in step) res.write(`: ${step.comment}${nl}${nl}`);
      else if ('data' in step) res.write(`data: ${typeof step.data === 'string' ? step.data : JSON.stringify(step.data)}${nl}${nl}`);
      else if ('bytes' in step) res.write(step.bytes);
      else if ('wait' in step) await sleep(step.wait);
      else if ('gate' in step) await step.gate;
      else if ('block' in step) {
        const end = performance.now() + step.block;
        while (performance.now() < end);
      } else if ('reset' in step) {
        (rec as { serverReset?: boolean }).serverReset = true;
        res.socket?.resetAndDestroy?.() ?? res.socket?.destroy();
        return;
      } else if ('stall' in step) return; // leave it open; the client's abort or close() ends it
    }
    res.end();
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      let resolveClosed!: () => void;
      const rec: RecordedRequest = {
        index: requests.length,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        rawBody,
        body,
        at: performance.now(),
        aborted: false,
        closed: new Promise<void>((r) => (resolveClosed = r)),
      };
      requests.push(rec);
      res.on('close', () => {
        if (!res.writableFinished && !(rec as { serverReset?: boolean }).serverReset) {
          rec.aborted = true;
          rec.abortedAt = performance.now();
        }
        resolveClosed();
      });
      const s = queue.shift() ?? { steps: happy(['ok']) };
      serve(s, rec, res).catch(() => res.destroy());
    });
  });
  let connections = 0;
  server.on('connection', (sock) => {
    connections++;
    sock.setNoDelay(true);
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    baseUrl: `http://127.0.0.1:${port}/api/v1`,
    requests,
    connections: () => connections,
    enqueue: (...s) => void queue.push(...s),
    pending: () => queue.length,
    reset() {
      queue.length = 0;
      requests.length = 0;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function sleep(ms: number) {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls until `cond` holds or `ms` pass. */
export async function waitFor(cond: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await sleep(5);
  }
  return cond();
}
