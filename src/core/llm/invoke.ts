// invoke_model's core, shared by the MCP tool and the `invoke` subcommand: passport -> provider and model id ->
// images -> request body -> streamed call -> the contract's result. Imported lazily (never at server start).
import type { AppContext } from '../app.js';
import { UpstreamError, UserInputError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { LoadedPassport } from '../passport/schema.js';
import { createLlmClient, LlmCallError, type ChatOutcome, type LlmClient, type LlmClientOptions } from './client.js';
import { DEFAULT_SLUG } from './contract.js';
import { prepareImages } from './images.js';
import { resolveTarget } from './provider.js';
import { buildBody, checkInput } from './request.js';
import type { InvokeInput, InvokeResult, Target, Usage } from './types.js';

export { createProgressRelay } from './progress.js';
export { NO_PROVIDER_MESSAGE } from './provider.js';
export type { InvokeInput, InvokeResult } from './types.js';

export interface InvokeDeps {
  app: AppContext;
  signal?: AbortSignal;
  /** The caller's logger (over HTTP, the request's own); default the app's. */
  logger?: Logger;
  /** MCP roots the client offers, as local paths. */
  clientRoots?: () => Promise<string[]>;
  /** The CLI: images the user named on the command line may come from anywhere. */
  imagesFromAnywhere?: boolean;
  /** Streamed text, scrubbed; the concatenation equals the result's `text`. */
  onText?: (delta: string) => void;
  /** Overrides for timeouts and retries (tests); used when the shared client is first created. */
  clientOptions?: LlmClientOptions;
}

/** A failed call; `partial` carries the text that streamed before the failure (incomplete: true). */
export class InvokeError extends UpstreamError {
  readonly partial: InvokeResult | undefined;
  readonly cancelled: boolean;
  constructor(message: string, opts: { status?: number; partial?: InvokeResult; cancelled?: boolean }) {
    super(message, { status: opts.status });
    this.partial = opts.partial;
    this.cancelled = opts.cancelled ?? false;
  }
}

/** The one pooled client of this app, created on first use (and closed by app.close()). */
export function llmClient(app: AppContext, options?: LlmClientOptions): LlmClient {
  return app.shared('llm-client', () => createLlmClient(options));
}

/** "$3.50e-7 per prompt token", "$0.10 per 1M tokens" -> USD per token; undefined when unreadable. */
export function pricePerToken(text: string | undefined): { usd: number; per: string } | undefined {
  if (!text) return undefined;
  const m = /\$\s*([0-9]*\.?[0-9]+(?:e[-+]?\d+)?)\s*(?:\/|per)\s*(1\s*m|1\s*k|million|thousand)?\s*(prompt|input|completion|output)?\s*tokens?/i.exec(text);
  if (!m) return undefined;
  const v = Number(m[1]);
  if (!Number.isFinite(v) || v < 0) return undefined;
  const unit = (m[2] ?? '').replace(/\s+/g, '').toLowerCase();
  const div = unit === '1m' || unit === 'million' ? 1e6 : unit === '1k' || unit === 'thousand' ? 1e3 : 1;
  return { usd: v / div, per: (m[3] ?? '').toLowerCase() };
}

function num(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

function shape(o: ChatOutcome, target: Target, passport: LoadedPassport, verification: string, warnings: string[]): InvokeResult {
  const u = o.usage ?? {};
  const usage: Usage = {
    prompt_tokens: num(u.prompt_tokens) ?? 0,
    completion_tokens: num(u.completion_tokens) ?? 0,
    total_tokens: num(u.total_tokens) ?? (num(u.prompt_tokens) ?? 0) + (num(u.completion_tokens) ?? 0),
  };
  const w = [...warnings, ...o.warnings];
  if (!o.usage) w.push(`${target.label} reported no token usage; usage is zero`);
  let cost = num(u.cost);
  if (cost === undefined && o.usage && target.provider !== 'openai-compatible') {
    const price = pricePerToken(passport.passport.unfragile.artifact.pricing?.starting_price);
    if (price) {
      cost = price.usd * usage.total_tokens;
      w.push(
        `cost_usd is estimated from the passport's price (${passport.passport.unfragile.artifact.pricing?.starting_price}) applied to all ${usage.total_tokens} tokens; ${target.label} reported no cost`,
      );
    }
  }
  const r: InvokeResult = {
    text: o.text,
    finish_reason: o.finishReason,
    model: o.model ?? target.model,
    provider: target.provider,
    usage,
    time_to_first_token_ms: o.ttftMs === null ? null : Math.round(o.ttftMs * 10) / 10,
    duration_ms: Math.round(o.durationMs * 10) / 10,
    retries: o.retries,
    passport: { slug: passport.slug, verification },
    warnings: w,
  };
  if (o.upstreamProvider) r.upstream_provider = o.upstreamProvider;
  if (cost !== undefined) r.cost_usd = cost;
  if (o.generationId) r.generation_id = o.generationId;
  if (o.finishReason === 'length') w.push(`the answer stopped at max_tokens; raise max_tokens for a longer one`);
  if (!o.model) w.push(`${target.label} did not name the model it ran; "model" is the one requested`);
  return r;
}

/** What to do about a passport that does not verify, by why it does not. */
function notVerifiedAdvice(status: string, issuer: string | undefined): string {
  switch (status) {
    case 'unknown_key':
      return `Add the issuer's public key with --trust-key ${issuer ?? 'ISSUER'}=KEY (or PASSPORT_MCP_TRUST_KEYS, or \`passport-mcp trust pin ${issuer ?? 'ISSUER'}\`) and restart, or run without --require-verified.`;
    case 'invalid_signature':
      return `The issuer's key is trusted but the signature does not match: the passport was changed after it was signed. Use an unaltered copy (from the registry, or the issuer), not this one.`;
    default:
      return `Only a passport signed by a trusted issuer can be invoked: use a signed copy from the registry, or run without --require-verified.`;
  }
}

/** Runs one invoke_model call. Throws UserInputError for refusals (before any upstream request) and InvokeError. */
export async function invokeModel(input: InvokeInput, deps: InvokeDeps): Promise<InvokeResult> {
  const { app } = deps;
  checkInput(input);
  const slug = input.slug ?? DEFAULT_SLUG;
  const passport = await app.requirePassport(slug, deps.signal, deps.logger);
  const verification = app.verification(passport);
  if (app.config.requireVerified && verification.status !== 'valid') {
    throw new UserInputError(
      `passport "${slug}" is not verified (status ${verification.status}: ${verification.detail}), and the server runs with --require-verified. ` +
        notVerifiedAdvice(verification.status, passport.passport.signedBy),
    );
  }
  const { target, warnings } = resolveTarget(app.config.llm, passport);
  // A signature that does not check is evidence of tampering (the model id comes from the passport), unlike a key
  // that is merely not configured: say so in the result, whatever --require-verified says.
  if (verification.status === 'invalid_signature' || verification.status === 'malformed')
    warnings.unshift(
      `passport "${slug}" failed verification (${verification.status}: ${verification.detail}): the model it names may not be the one its issuer published; check it with verify_passport before relying on this answer`,
    );
  const images = await prepareImages(input.images ?? [], {
    anywhere: deps.imagesFromAnywhere,
    roots: async () => [...app.config.imageRoots, ...((await deps.clientRoots?.()) ?? [])],
  });
  const built = buildBody(target, input, images);
  warnings.push(...built.warnings);
  const client = llmClient(app, deps.clientOptions);
  try {
    const outcome = await client.chat({ target, body: built.body, signal: deps.signal, onText: deps.onText, scrub: app.scrub, images });
    return shape(outcome, target, passport, verification.status, warnings);
  } catch (err) {
    if (err instanceof LlmCallError) {
      const partial = err.partial
        ? { ...shape(err.partial, target, passport, verification.status, warnings), incomplete: true, error: err.message }
        : undefined;
      if (partial) partial.finish_reason = 'error';
      throw new InvokeError(err.message, { status: err.status, partial, cancelled: err.cancelled });
    }
    throw new InvokeError(app.scrub(`the call to ${target.label} failed: ${(err as Error)?.message ?? String(err)}`), {});
  }
}
