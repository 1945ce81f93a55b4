// The shape of one tool definition (one file per tool under tools/, listed in tools/index.ts), and the small,
// SDK-free request context the adapter (server.ts) hands every handler. Tool files never see the SDK's `extra`
// and never build a protocol message: progress, cancellation, logging and roots come through ToolContext.
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { AppContext } from '../core/app.js';
import type { Logger } from '../core/logger.js';

export interface ToolContext {
  app: AppContext;
  /** Aborted when the client cancels this request (notifications/cancelled, a closed HTTP stream) or the server closes. */
  signal: AbortSignal;
  /**
   * Reports progress; present only when the client sent a progress token. `progress` must strictly increase;
   * `message` undefined is a keep-alive. Resolves once the notification is handed to the transport. The adapter
   * makes sure the last one is read before the result (see server.ts, progressBarrier).
   */
  progress?(progress: number, message: string | undefined): Promise<void>;
  /** This request's logger: over HTTP its lines go to stderr and on this request's own response stream. */
  logger: Logger;
  /** Filesystem roots the client offers (MCP roots), as local paths; empty when it offers none. */
  clientRoots(): Promise<string[]>;
}

export interface ToolDefinition<I extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  inputSchema: I;
  outputSchema: O;
  annotations: Required<Pick<ToolAnnotations, 'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint'>> & { title?: string };
  handler(args: z.infer<z.ZodObject<I>>, ctx: ToolContext): Promise<CallToolResult>;
}

/** Identity helper that keeps the input type flowing into the handler. */
export function defineTool<I extends z.ZodRawShape, O extends z.ZodRawShape>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}

export const READ_ONLY = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false } as const;
