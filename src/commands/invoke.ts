// `passport-mcp invoke "<prompt>" [--image FILE]... [--json]`: the same call as invoke_model, with tokens
// streamed to stdout as they arrive. Images named on the command line may come from anywhere: the user typed them.
import type { AppContext } from '../core/app.js';
import { UserInputError } from '../core/errors.js';
import { needArg } from './args.js';
import type { CommandIO } from './io.js';

export async function invokeCommand(app: AppContext, io: CommandIO): Promise<number> {
  const prompt = needArg(app, 'a prompt, e.g. passport-mcp invoke "What is in this picture?" --image photo.jpg');
  const llm = await import('../core/llm/invoke.js');
  if (!app.config.llm.provider) throw new UserInputError(llm.NO_PROVIDER_MESSAGE);
  const json = app.config.json;
  let streamed = false;
  try {
    const result = await llm.invokeModel(
      { prompt, images: app.config.images.map((path) => ({ path })) },
      {
        app,
        imagesFromAnywhere: true,
        onText: json
          ? undefined
          : (delta) => {
              streamed = true;
              io.out(delta);
            },
      },
    );
    if (json) io.out(`${JSON.stringify(result, null, 2)}\n`);
    else {
      io.out(streamed && !result.text.endsWith('\n') ? '\n' : '');
      const cost = result.cost_usd !== undefined ? `, $${result.cost_usd.toPrecision(2)}` : '';
      io.err(
        `\n[${result.model} via ${result.provider}${result.upstream_provider ? ` (${result.upstream_provider})` : ''}: ` +
          `${result.usage.prompt_tokens} + ${result.usage.completion_tokens} tokens${cost}, ` +
          `first token ${result.time_to_first_token_ms ?? '-'} ms, ${Math.round(result.duration_ms)} ms, finish ${result.finish_reason ?? 'unknown'}` +
          `${result.retries ? `, ${result.retries} retries` : ''}]\n`,
      );
      for (const w of result.warnings) io.err(`warning: ${w}\n`);
    }
    return 0;
  } catch (err) {
    if (err instanceof llm.InvokeError && err.partial) {
      if (json) io.out(`${JSON.stringify(err.partial, null, 2)}\n`);
      else if (streamed) io.out('\n');
      io.err(`passport-mcp: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
