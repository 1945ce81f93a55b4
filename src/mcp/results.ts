// Result helpers and the one error boundary: typed errors become `isError` results with an actionable message;
// anything else becomes a short "internal error" result. Never a stack trace, never a secret.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { PassportMcpError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { scrubDeep, type Scrubber } from '../core/secrets.js';

/** structuredContent plus the same JSON as text (the SDK adds no text mirror by itself). */
export function ok<T extends object>(structured: T): CallToolResult {
  return {
    structuredContent: structured as Record<string, unknown>,
    content: [{ type: 'text', text: JSON.stringify(structured, null, 2) }],
  };
}

export function fail(message: string, structured?: Record<string, unknown>): CallToolResult {
  const result: CallToolResult = { isError: true, content: [{ type: 'text', text: message }] };
  if (structured) {
    result.structuredContent = structured;
    result.content.push({ type: 'text', text: JSON.stringify(structured, null, 2) });
  }
  return result;
}

export async function errorBoundary(toolName: string, logger: Logger, scrub: Scrubber, run: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    const r = await run();
    // Security: the last gate before the wire; neither the text nor the structured result carries a secret.
    for (const c of r.content) if (c.type === 'text') c.text = scrub(c.text);
    if (r.structuredContent) r.structuredContent = scrubDeep(r.structuredContent, scrub);
    return r;
  } catch (err) {
    if (err instanceof PassportMcpError) return fail(scrub(err.message));
    logger.error(`${toolName}: internal error: ${scrub(err instanceof Error ? `${err.name}: ${err.message}` : String(err))}`);
    return fail(`${toolName} failed with an internal error; the server log has details. The server keeps running.`);
  }
}
