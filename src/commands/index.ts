// runCommand: the human subcommands' one entry (loads the passports, dispatches, reports errors). Each subcommand
// is a file of its own over the same core as the MCP tools: readable text by default, JSON with --json.
import type { AppContext } from '../core/app.js';
import { PassportMcpError, UserInputError } from '../core/errors.js';
import { failures } from './failures.js';
import { find } from './find.js';
import type { CommandIO } from './io.js';
import { list } from './list.js';
import { verify } from './verify.js';

export async function runCommand(app: AppContext, io: CommandIO): Promise<number> {
  try {
    if (app.config.command === 'trust') return await (await import('./trust.js')).trustCommand(app, io); // needs no passport
    const meter = io.isTTY ? io.progress : undefined;
    const progress = meter ? (d: number, t: number) => meter(d === t ? '\r\x1b[K' : `\rloading passports ${d}/${t}`) : undefined;
    await app.loadAll(progress);
    // Registry passports fetched on the way reach the cache before the process ends: main.ts's command() waits.
    return await dispatch(app, io);
  } catch (err) {
    if (err instanceof PassportMcpError) {
      io.err(`passport-mcp: ${err.message}\n`);
      return 1;
    }
    io.err(`passport-mcp: internal error: ${(err as Error).message}\n`);
    return 1;
  }
}

async function dispatch(app: AppContext, io: CommandIO): Promise<number> {
  const { config } = app;
  switch (config.command) {
    case 'find':
      return await find(app, io);
    case 'verify':
      return await verify(app, io);
    case 'failures':
      return await failures(app, io);
    case 'list':
      return await list(app, io);
    case 'invoke': {
      const { invokeCommand } = await import('./invoke.js');
      return await invokeCommand(app, io);
    }
    default:
      throw new UserInputError(`unknown command ${config.command}`);
  }
}
