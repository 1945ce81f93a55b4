// PLACEHOLDER: the invoke subcommand (issue 4) is being written.
import type { AppContext } from '../core/app.js';
import { UserInputError } from '../core/errors.js';
import type { CommandIO } from './index.js';
export async function invokeCommand(_app: AppContext, _io: CommandIO): Promise<number> {
  throw new UserInputError('invoke is not available yet');
}
