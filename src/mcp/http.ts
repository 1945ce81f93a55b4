// The Streamable HTTP transport (`passport-mcp serve --http HOST:PORT`): stateless, so any number of instances can
// sit behind a load balancer. Each POST gets a fresh McpServer and transport; nothing survives between requests.
// Owns the HTTP-level guards: DNS-rebinding protection (Host and Origin), the body-size cap, and the routes.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isJSONRPCRequest, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../core/app.js';
import { ConfigError, errorMessage } from '../core/errors.js';
import { createLogger, type LogLevel } from '../core/logger.js';
import { buildServer } from './server.js';

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

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return LOOPBACK_NAMES.has(h) || /^127(\.\d{1,3}){3}$/.test(h);
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
  const ok = loopback
    ? isLoopbackHost(o.hostname) && effectivePort(o) === String(bound.port)
    : o.host.toLowerCase() === host.host.toLowerCase();
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
function requestApp(app: AppContext): AppContext {
  const logger = createLogger('debug');
  const forward: Record<LogLevel, (m: string) => void> = {
    debug: (m) => app.logger.debug(m),
    info: (m) => app.logger.info(m),
    warning: (m) => app.logger.warn(m),
    error: (m) => app.logger.error(m),
  };
  logger.addSink((level, msg) => forward[level](msg), () => 'debug');
  // Inherit rather than spread: spreading would read lazy members (the index) before passports are loaded.
  // The LLM client is the process's one pool: app.shared keeps it in the base app's closure, whatever copy asks.
  return Object.create(app, {
    logger: { value: logger, enumerable: true },
  }) as AppContext;
}

/** Starts listening; resolves with a handle once the port is bound. Throws ConfigError when it cannot bind. */
export async function serveHttp(app: AppContext, opts: HttpOptions): Promise<HttpHandle> {
  const log = app.logger;
  let bound = { host: opts.host, port: opts.port };

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
    const server = buildServer(requestApp(app), { ready: opts.ready, currentRequest: () => current });
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, maxRequestBodySize: MAX_HTTP_BODY_BYTES });
    res.on('close', () => {
      // The client went away or the response ended: closing the server aborts any handler still running.
      void transport.close().catch(() => undefined);
      void server.close().catch(() => undefined);
    });
    await server.connect(transport);
    // Remember the request being answered, so that log lines can travel on its response stream.
    const deliver = transport.onmessage;
    transport.onmessage = (message, extra) => {
      if (isJSONRPCRequest(message)) current = message.id;
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
