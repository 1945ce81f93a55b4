// PLACEHOLDER: Streamable HTTP transport (issue 5) is being written.
import type { AppContext } from '../core/app.js';
import { ConfigError } from '../core/errors.js';
export async function serveHttp(_app: AppContext, _opts: { host: string; port: number; ready: Promise<unknown> }): Promise<void> {
  throw new ConfigError('--http is not available yet');
}
