// The one positional argument a subcommand needs (an intent, a slug, a file), or a UserInputError saying which.
import type { AppContext } from '../core/app.js';
import { UserInputError } from '../core/errors.js';

export function needArg(app: AppContext, what: string): string {
  const a = app.config.args.join(' ').trim();
  if (!a) throw new UserInputError(`${app.config.command} needs ${what}`);
  return a;
}
