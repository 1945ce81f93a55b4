// buildServer(app): the thin MCP adapter over the core. Tools from tools/index.ts, each behind the error
// boundary; passports as resources passport://{slug}; logging mirrored to the client.
import { fileURLToPath } from 'node:url';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError, RootsListChangedNotificationSchema, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import type { AppContext } from '../core/app.js';
import { PACKAGE_VERSION } from '../core/app.js';
import { atLeast, type LogLevel } from '../core/logger.js';
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

export interface ServerOptions {
  /** Resolves once passports are loaded; handlers wait for it so the handshake itself is never delayed. */
  ready?: PromiseLike<unknown>;
  /**
   * Stateless HTTP: the request being answered. A server-wide log message has nowhere to go there (there is no
   * standalone stream), so log lines go out on that request's own response stream instead, at or above the
   * configured --log-level (logging/setLevel cannot outlive its own request).
   */
  currentRequest?: () => RequestId | undefined;
}

export function buildServer(app: AppContext, opts: ServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: SERVER_NAME, title: 'Passport MCP', version: PACKAGE_VERSION },
    { capabilities: { logging: {}, tools: {}, resources: {}, prompts: {}, completions: {} }, instructions: INSTRUCTIONS },
  );
  const ready = opts.ready ?? Promise.resolve();
  // Security: the app's one scrubber (built from every configured key) guards results, resources and log lines.
  const scrub = app.scrub;

  let roots: Promise<string[]> | undefined;
  const clientRoots = (): Promise<string[]> => {
    if (!server.server.getClientCapabilities()?.roots) return Promise.resolve([]);
    roots ??= server.server
      .listRoots(undefined, { timeout: 5_000 })
      .then((r) => r.roots.filter((x) => x.uri.startsWith('file://')).map((x) => fileURLToPath(x.uri)))
      .catch((err: unknown) => {
        app.logger.warn(`could not list the client's roots: ${(err as Error).message}`);
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
        errorBoundary(tool.name, app.logger, scrub, async () => {
          await ready;
          const ctx: ToolContext = { app, extra, clientRoots };
          return tool.handler(args as never, ctx);
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
        const p = await app.requirePassport(slug);
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: scrub(JSON.stringify({ passport: p.raw }, null, 2)) }] };
      } catch (err) {
        // Security: errors here go out as JSON-RPC errors, past the tool boundary: scrub them too.
        const msg = err instanceof PassportMcpError ? err.message : `cannot read ${uri.href}: ${(err as Error).message}`;
        throw new McpError(RESOURCE_NOT_FOUND, scrub(msg));
      }
    },
  );

  registerPrompts(server, app, { completeSlug, toolNames: TOOLS.map((t) => t.name) });

  // Mirror log lines to the client; the SDK drops those under the level the client set with logging/setLevel.
  const addSink = (app.logger as { addSink?: (s: (l: LogLevel, m: string) => void, min?: () => LogLevel) => void }).addSink;
  addSink?.(
    (level, msg) => {
      if (!server.isConnected()) return;
      const params = { level, logger: SERVER_NAME, data: scrub(msg) };
      if (!opts.currentRequest) {
        void server.server.sendLoggingMessage(params).catch(() => undefined);
        return;
      }
      const relatedRequestId = opts.currentRequest();
      if (relatedRequestId === undefined || !atLeast(level, app.config.logLevel)) return;
      void server.server.notification({ method: 'notifications/message', params }, { relatedRequestId }).catch(() => undefined);
    },
    () => 'debug',
  );

  return server;
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
    await Promise.race([
      Promise.resolve(ready).catch(() => undefined),
      new Promise((resolve) => (timer = setTimeout(resolve, COMPLETION_WAIT_MS))),
    ]).finally(() => clearTimeout(timer));
    const prefix = value ?? '';
    return app.store
      .slugs()
      .filter((s) => s.startsWith(prefix))
      .sort()
      .slice(0, 100);
  };
}

export { TOOLS };
