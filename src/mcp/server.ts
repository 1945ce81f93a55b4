// buildServer(app): the thin MCP adapter over the core. Tools from tools/index.ts, each behind the error
// boundary; passports as resources passport://{slug}; logging mirrored to the client.
import { fileURLToPath } from 'node:url';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  EmptyResultSchema,
  LoggingLevelSchema,
  McpError,
  RootsListChangedNotificationSchema,
  SetLevelRequestSchema,
  type RequestId,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../core/app.js';
import { PACKAGE_VERSION } from '../core/app.js';
import { atLeast, type createLogger, type Logger, type LogLevel } from '../core/logger.js';
import { PassportMcpError } from '../core/errors.js';
import { registerPrompts } from './prompts.js';
import { errorBoundary } from './results.js';
import type { ToolContext } from './tool.js';
import { TOOLS } from './tools/index.js';

export const SERVER_NAME = 'passport-mcp';
/** MCP's error code for a resource that does not exist. */
const RESOURCE_NOT_FOUND = -32002;

export const INSTRUCTIONS = [
  'passport-mcp helps you pick an AI model you can trust and then call it.',
  '1. find_capability_by_intent: describe the task in plain words; you get matching capabilities with their passport slug, from the local passports and the registry (each match says its source and verification).',
  '2. get_failure_modes: read the known failure modes and limitations of the artifact before relying on it.',
  '3. verify_passport: check that the passport is signed by its issuer (only status "valid" means it is).',
  '4. invoke_model: call the model (Mistral Small 3.1 by default), with text and images; tokens stream as progress.',
  'Passports are also readable as resources passport://{slug}.',
  'Registry results are claims until checked: verify_passport and get_failure_modes before relying on one.',
  'A verdict of "unknown_key" means no trusted key for the issuer is configured (--trust-key), not that the passport is forged.',
  'The prompt choose_model_for_task walks through these steps for a task.',
].join('\n');

/** A logger that can take more sinks (what createLogger returns). */
export type SinkLogger = ReturnType<typeof createLogger>;

/** Where the level a client chose with logging/setLevel is kept (it outlives one request only with a session). */
export interface ClientLogLevel {
  get(): LogLevel | undefined;
  set(level: LogLevel): void;
}

/** How long a tool result waits for the client to confirm it read the last progress notification (stdio). */
export const PROGRESS_BARRIER_MS = 2_000;

export interface ServerOptions {
  /** Resolves once passports are loaded; handlers wait for it so the handshake itself is never delayed. */
  ready?: PromiseLike<unknown>;
  /**
   * The logger handlers log through, mirrored to this client; default app.logger (stdio: one client per process).
   * Over HTTP, the request's own logger (http.ts), so its lines travel on that request's response stream.
   */
  logger?: SinkLogger;
  /**
   * Stateless HTTP: the request being answered. A server-wide log message has nowhere to go there (there is no
   * standalone stream), so log lines go out on that request's own response stream instead.
   */
  currentRequest?: () => RequestId | undefined;
  /** Where logging/setLevel is remembered; default: for the life of this server. */
  clientLogLevel?: ClientLogLevel;
}

export function buildServer(app: AppContext, opts: ServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: 'Passport MCP', version: PACKAGE_VERSION },
    { capabilities: { logging: {}, tools: {}, resources: {}, prompts: {}, completions: {} }, instructions: INSTRUCTIONS },
  );
  const ready = opts.ready ?? Promise.resolve();
  const logger: Logger = opts.logger ?? app.logger;
  // Security: the app's one scrubber (built from every configured key) guards results, resources and log lines.
  const scrub = app.scrub;

  let roots: Promise<string[]> | undefined;
  const clientRoots = (): Promise<string[]> => {
    if (!server.server.getClientCapabilities()?.roots) return Promise.resolve([]);
    roots ??= server.server
      .listRoots(undefined, { timeout: 5_000 })
      .then((r) => r.roots.filter((x) => x.uri.startsWith('file://')).map((x) => fileURLToPath(x.uri)))
      .catch((err: unknown) => {
        logger.warn(`could not list the client's roots: ${(err as Error).message}`);
        roots = undefined;
        return [];
      });
    return roots;
  };
  server.server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
    roots = undefined;
  });

  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.inputSchema,
        outputSchema: tool.outputSchema,
        annotations: tool.annotations,
      },
      async (args: unknown, extra) =>
        errorBoundary(tool.name, logger, scrub, async () => {
          await ready;
          const token = extra._meta?.progressToken;
          let progressed = false;
          const ctx: ToolContext = {
            app,
            signal: extra.signal,
            logger,
            clientRoots,
            ...(token === undefined
              ? {}
              : {
                  progress: (progress: number, message: string | undefined) => {
                    progressed = true;
                    const params = { progressToken: token, progress, ...(message !== undefined ? { message } : {}) };
                    return extra.sendNotification({ method: 'notifications/progress', params });
                  },
                }),
          };
          try {
            return await tool.handler(args as never, ctx);
          } finally {
            if (progressed && !extra.signal.aborted && !opts.currentRequest) await progressBarrier(extra.sendRequest);
          }
        }),
    );
  }

  const completeSlug = completeSlugs(app, ready);

  server.registerResource(
    'passport',
    new ResourceTemplate('passport://{slug}', {
      list: async () => {
        await ready;
        return {
          resources: app.store.list().map((p) => ({
            uri: `passport://${p.slug}`,
            name: p.slug,
            title: p.passport.unfragile.artifact.name,
            description: `Signed passport of ${p.passport.unfragile.artifact.name} (${p.passport.unfragile.capabilities.length} capabilities)`,
            mimeType: 'application/json',
          })),
        };
      },
      complete: { slug: completeSlug },
    }),
    { title: 'AI artifact passport', description: 'A loaded passport as JSON', mimeType: 'application/json' },
    async (uri, variables) => {
      await ready;
      try {
        const slug = decodeURIComponent(String(variables.slug ?? ''));
        const p = await app.requirePassport(slug, undefined, logger);
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: scrub(JSON.stringify({ passport: p.raw }, null, 2)) }] };
      } catch (err) {
        // Security: errors here go out as JSON-RPC errors, past the tool boundary: scrub them too.
        const msg = err instanceof PassportMcpError ? err.message : `cannot read ${uri.href}: ${(err as Error).message}`;
        throw new McpError(RESOURCE_NOT_FOUND, scrub(msg));
      }
    },
  );

  registerPrompts(server, { completeSlug, logger, toolNames: TOOLS.map((t) => t.name) });

  // Log notifications start at --log-level and follow logging/setLevel once the client sends it: a client that
  // never asked gets no debug chatter (the SDK's own handler would send every level until then).
  let ownLevel: LogLevel | undefined;
  const clientLevel: ClientLogLevel = opts.clientLogLevel ?? { get: () => ownLevel, set: (l) => (ownLevel = l) };
  server.server.setRequestHandler(SetLevelRequestSchema, async (request) => {
    const level = LoggingLevelSchema.parse(request.params.level);
    clientLevel.set(toLogLevel(level));
    return {};
  });
  const mirror = opts.logger ?? (app.logger as Partial<SinkLogger>);
  mirror.addSink?.(
    (level, msg) => {
      if (!server.isConnected() || !atLeast(level, clientLevel.get() ?? app.config.logLevel)) return;
      const params = { level, logger: SERVER_NAME, data: scrub(msg) };
      if (!opts.currentRequest) {
        void server.server.notification({ method: 'notifications/message', params }).catch(() => undefined);
        return;
      }
      const relatedRequestId = opts.currentRequest();
      if (relatedRequestId === undefined) return;
      void server.server.notification({ method: 'notifications/message', params }, { relatedRequestId }).catch(() => undefined);
    },
    () => 'debug',
  );

  return server;
}

/** MCP has eight syslog levels; ours are four. A client level maps to the nearest of ours at or below it. */
function toLogLevel(level: string): LogLevel {
  switch (level) {
    case 'debug':
      return 'debug';
    case 'info':
    case 'notice':
      return 'info';
    case 'warning':
      return 'warning';
    default:
      return 'error';
  }
}

/**
 * The SDK v1 client handles a response synchronously but a notification one microtask later, so over stdio a
 * result read in the same chunk as the last progress notification drops that notification (typescript-sdk
 * #2580). Before the result goes out, a ping round trip proves the client has read (and queued) everything sent
 * before it: a readiness signal, not a pause. Bounded, for a client that never answers pings. Over HTTP each
 * SSE event is read on its own, so no barrier is needed there.
 */
async function progressBarrier(sendRequest: RequestHandlerExtra<ServerRequest, ServerNotification>['sendRequest']): Promise<void> {
  await sendRequest({ method: 'ping' }, EmptyResultSchema, { timeout: PROGRESS_BARRIER_MS }).catch(() => undefined);
}

/** How long completion waits for the passports to load before answering with what is loaded so far. */
export const COMPLETION_WAIT_MS = 5_000;

/**
 * Slug completion that does not race start-up: a client that completes right after connecting gets the slugs
 * once the load finishes (bounded by COMPLETION_WAIT_MS), not an empty list.
 */
function completeSlugs(app: AppContext, ready: PromiseLike<unknown>) {
  return async (value: string | undefined): Promise<string[]> => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.resolve(ready).catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, COMPLETION_WAIT_MS)))]).finally(
      () => clearTimeout(timer),
    );
    const prefix = value ?? '';
    // All of them: the SDK sends the first 100 with the total and `hasMore`, so a client knows to type more.
    return app.store
      .slugs()
      .filter((s) => s.startsWith(prefix))
      .sort();
  };
}

export { TOOLS };
