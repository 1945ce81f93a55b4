// The Streamable HTTP transport (`passport-mcp serve --http HOST:PORT`): stateless, so any number of instances can
// sit behind a load balancer. Each POST gets a fresh McpServer and transport; nothing a request needs survives
// between requests. Owns the HTTP-level guards: DNS-rebinding protection (Host and Origin), the body-size cap, and
// the routes; and cancellation across POSTs.
//
// Cancellation over stateless HTTP. A 2025-protocol client cancels by POSTing `notifications/cancelled` (a new
// POST, on another connection, since the first one is still streaming) and keeps the original stream open. The
// POST that carries the notice has a fresh server that knows no request, so this module keeps a table of the
// requests in flight on this instance and hands the notice to the server that runs the request.
// The rule (Security: one client must not cancel another's request): a notice cancels a request only when both
// carry the same Mcp-Session-Id. At initialize the server hands out a random session id (122 bits, never
// required or checked afterwards, so any instance still answers any request); 2025 clients send it with every
// later POST. Request ids alone identify nothing (every SDK client counts from 0), nor does the peer address (all
// local clients are 127.0.0.1, and the notice arrives on a different connection), so a client without a session
// id cannot cancel by notice. Every client can cancel by closing the response stream (what the 2026-07-28
// revision calls cancellation): that aborts the request's handler and its upstream call.
// Behind a load balancer the notice reaches the request only with sticky routing by Mcp-Session-Id.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { BlockList, isIP, type AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  isInitializeRequest,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../core/app.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { createLogger, type Logger, type LogLevel } from '../core/logger.js';
import { buildServer, type ClientLogLevel, type SinkLogger } from './server.js';

/** The one MCP endpoint. */
export const MCP_PATH = '/mcp';
/**
 * Security: requests larger than this are refused with 413 before parsing. Inline images (`data`) make invoke_model
 * calls large, so the cap is above the SDK's 4 MiB default; larger files belong under an image root (`path`).
 */
export const MAX_HTTP_BODY_BYTES = 16 * 1024 * 1024;

export interface HttpOptions {
  host: string;
  port: number;
  /** Resolves once passports are loaded. */
  ready: PromiseLike<unknown>;
}

export interface HttpHandle {
  /** The MCP endpoint, e.g. http://127.0.0.1:3000/mcp (with the real port when 0 was asked for). */
  url: string;
  port: number;
  /** Stops accepting requests, ends open connections and resolves when the listener is closed. */
  close(): Promise<void>;
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Whether a host (a bind address, or a Host header's name) is loopback, however it is written: the address is
 * parsed as a URL parses it ("127.1", "2130706433" and "0x7f.1" are 127.0.0.1; "[0:0:0:0:0:0:0:1]" is ::1), and
 * IPv4-mapped IPv6 ("::ffff:127.0.0.1") counts as the IPv4 address. Security: a loopback bind keeps its Host and
 * Origin checks (DNS rebinding) only when this says so.
 */
export function isLoopbackHost(host: string): boolean {
  const u = parseAuthority(host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);
  if (!u) return false;
  const name = u.hostname.replace(/^\[|\]$/g, '');
  if (name === 'localhost') return true;
  const family = isIP(name);
  return family !== 0 && LOOPBACK.check(name, family === 4 ? 'ipv4' : 'ipv6');
}

/** `host:port` as it would appear in a URL (IPv6 in brackets). */
function hostPort(host: string, port: number): string {
  return `${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}`;
}

function parseAuthority(value: string): URL | undefined {
  try {
    return new URL(`http://${value}`);
  } catch {
    return undefined;
  }
}

function effectivePort(u: URL): string {
  return u.port || (u.protocol === 'https:' ? '443' : '80');
}

/**
 * Security: DNS-rebinding protection. A loopback server only answers requests whose Host names a loopback
 * address with the bound port, and whose Origin (sent by browsers) is such an address too: a web page on another
 * site that rebinds its name to 127.0.0.1 is refused. On a non-loopback bind the Host header cannot be known in
 * advance (load balancers, DNS names), so only cross-origin browser requests are refused.
 * Returns the reason for refusing, or undefined when the request may pass.
 */
export function checkRequestOrigin(req: Pick<IncomingMessage, 'headers'>, bound: { host: string; port: number }): string | undefined {
  const loopback = isLoopbackHost(bound.host);
  const hostHeader = req.headers.host;
  const host = hostHeader ? parseAuthority(hostHeader) : undefined;
  if (!host || host.username || host.password || host.pathname !== '/') return 'missing or malformed Host header';
  if (loopback && !(isLoopbackHost(host.hostname) && effectivePort(host) === String(bound.port))) {
    return `Host "${hostHeader!.slice(0, 100)}" is not this loopback server`;
  }
  const origin = req.headers.origin;
  if (origin === undefined) return undefined;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return 'malformed Origin header';
  }
  if (o.protocol !== 'http:' && o.protocol !== 'https:') return `Origin "${origin.slice(0, 100)}" is not allowed`;
  const ok = loopback ? isLoopbackHost(o.hostname) && effectivePort(o) === String(bound.port) : o.host.toLowerCase() === host.host.toLowerCase();
  return ok ? undefined : `Origin "${origin.slice(0, 100)}" is not allowed`;
}

function sendJsonError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

/**
 * A logger for one request: lines go to the app's logger (stderr) and to this request's MCP server only, so the
 * sinks buildServer adds die with the request instead of piling up on the shared logger.
 */
function requestLogger(base: Logger): SinkLogger {
  const logger = createLogger('debug');
  const forward: Record<LogLevel, (m: string) => void> = {
    debug: (m) => base.debug(m),
    info: (m) => base.info(m),
    warning: (m) => base.warn(m),
    error: (m) => base.error(m),
  };
  logger.addSink(
    (level, msg) => forward[level](msg),
    () => 'debug',
  );
  return logger;
}

/** The Mcp-Session-Id header when it is well formed (visible ASCII, bounded), else undefined. */
export function sessionIdOf(req: Pick<IncomingMessage, 'headers'>): string | undefined {
  const v = req.headers['mcp-session-id'];
  // Security: a bounded key; a malformed one is treated as no session (no cancellation by notice).
  return typeof v === 'string' && /^[\x21-\x7e]{1,128}$/.test(v) ? v : undefined;
}

/** How many sessions' logging/setLevel choices are remembered (oldest forgotten first). */
export const MAX_REMEMBERED_LEVELS = 1_000;

/** A request running on this instance, cancellable by a notice from the same session. */
interface InFlight {
  /** The transport of the POST that carries the request. */
  owner: Transport;
  cancel(notice: JSONRPCMessage): void;
}

/** Starts listening; resolves with a handle once the port is bound. Throws ConfigError when it cannot bind. */
export async function serveHttp(app: AppContext, opts: HttpOptions): Promise<HttpHandle> {
  const log = app.logger;
  let bound = { host: opts.host, port: opts.port };
  // Per listener, not per module: keyed by session id and request id (see the header for the rule).
  const inFlight = new Map<string, InFlight>();
  const levels = new Map<string, LogLevel>();
  const key = (session: string, id: unknown) => `${session}\n${JSON.stringify(id)}`;
  const sessionLevel = (session: string): ClientLogLevel => ({
    get: () => levels.get(session),
    set(level) {
      levels.delete(session);
      levels.set(session, level);
      if (levels.size > MAX_REMEMBERED_LEVELS) levels.delete(levels.keys().next().value!);
    },
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    res.on('finish', () => log.debug(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`));

    const refused = checkRequestOrigin(req, bound);
    if (refused) {
      log.warn(`refused ${req.method} ${req.url}: ${refused}`);
      sendJsonError(res, 403, `Forbidden: ${refused}`);
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (path !== MCP_PATH) {
      sendJsonError(res, 404, `Not found: the MCP endpoint is ${MCP_PATH}`);
      return;
    }
    if (req.method !== 'POST') {
      // Stateless: no sessions to resume and no standalone SSE stream to offer (GET), nothing to delete (DELETE).
      sendJsonError(res, 405, 'Method not allowed: this stateless server takes POST only', { allow: 'POST' });
      return;
    }
    // Security: refuse a declared oversized body before reading it (the transport also caps streamed bodies).
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_HTTP_BODY_BYTES) {
      sendJsonError(res, 413, `Request body too large (limit ${MAX_HTTP_BODY_BYTES} bytes)`, { connection: 'close' });
      req.resume();
      return;
    }

    let current: RequestId | undefined;
    const session = sessionIdOf(req);
    const server = buildServer(app, {
      ready: opts.ready,
      logger: requestLogger(app.logger),
      currentRequest: () => current,
      ...(session ? { clientLogLevel: sessionLevel(session) } : {}),
    });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: MAX_HTTP_BODY_BYTES });
    // Requests of this POST not answered yet, and their keys in inFlight.
    const open = new Map<RequestId, string | undefined>();
    const forget = (id: RequestId) => {
      const k = open.get(id);
      open.delete(id);
      if (k !== undefined && inFlight.get(k)?.owner === transport) inFlight.delete(k);
    };
    res.on('close', () => {
      // The client went away or the response ended: closing the server aborts any handler still running.
      for (const id of [...open.keys()]) forget(id);
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    });
    await server.connect(transport);
    const deliver = transport.onmessage;
    const send = transport.send.bind(transport);
    transport.send = async (message, options) => {
      if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) forget(message.id);
      return send(message, options);
    };
    transport.onmessage = (message, extra) => {
      if (isInitializeRequest(message)) {
        // The session id only names this client for cancellation and its log level; it is never required.
        res.setHeader('mcp-session-id', randomUUID());
      }
      if (isJSONRPCRequest(message)) {
        // Remember the request being answered, so that log lines can travel on its response stream.
        current = message.id;
        const k = session === undefined ? undefined : key(session, message.id);
        open.set(message.id, k);
        if (k !== undefined) {
          const id = message.id;
          inFlight.set(k, {
            owner: transport,
            cancel(notice) {
              // The server running the request aborts its handler (and the upstream call) as on stdio...
              deliver?.(notice, extra);
              forget(id);
              // ...and, with nothing else to answer, ends this POST's stream: no response follows a cancelled request.
              if (open.size === 0) void transport.close().catch(() => undefined);
            },
          });
        }
      } else if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled' && session !== undefined) {
        const target = inFlight.get(key(session, (message.params as { requestId?: unknown } | undefined)?.requestId));
        if (target && target.owner !== transport) {
          log.debug("cancelling a request at its client's notice");
          target.cancel(message);
        }
      }
      deliver?.(message, extra);
    };
    await transport.handleRequest(req, res);
  };

  const httpServer = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error(`HTTP ${req.method} ${req.url}: ${errorMessage(err)}`);
      sendJsonError(res, 500, 'Internal server error');
    });
  });
  httpServer.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      reject(new ConfigError(`cannot listen on ${hostPort(opts.host, opts.port)}: ${err.code ?? err.message}`));
    };
    httpServer.once('error', onError);
    httpServer.listen(opts.port, opts.host, () => {
      httpServer.off('error', onError);
      resolve();
    });
  });
  httpServer.on('error', (err) => log.error(`HTTP server: ${errorMessage(err)}`));

  const port = (httpServer.address() as AddressInfo).port;
  bound = { host: opts.host, port };
  const url = `http://${hostPort(opts.host, port)}${MCP_PATH}`;
  log.info(`listening on ${url} (Streamable HTTP, stateless)`);
  if (!isLoopbackHost(opts.host)) {
    // Security: there is no authentication; anyone who can reach the port can call the tools and spend API credit.
    log.warn(
      `${opts.host} is not a loopback address: anyone who can reach this port can call the tools (and spend your LLM credit). ` +
        'There is no authentication and Host checks are off; put an authenticating proxy in front, or bind 127.0.0.1.',
    );
  }

  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        httpServer.close(() => resolve());
        httpServer.closeAllConnections();
      });
      return closing;
    },
  };
}
