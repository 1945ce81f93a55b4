// Which upstream a call goes to and under which model id: the configured provider plus the passport.
// An OpenRouter artifact URL `openrouter.ai/models/{author}~{slug}` names the model `{author}/{slug}`.
import type { LlmConfig } from '../../config/config.js';
import { UserInputError } from '../errors.js';
import type { LoadedPassport } from '../passport/schema.js';
import type { Target } from './types.js';

/** OpenRouter ids whose weights Mistral's own API serves, pinned to a dated id (never `-latest`). */
const MISTRAL_API_IDS: Record<string, string> = {
  'mistralai/mistral-small-3.1-24b-instruct': 'mistral-small-2503',
};

export const NO_PROVIDER_MESSAGE =
  "no LLM provider is configured. Set OPENROUTER_API_KEY (OpenRouter), or MISTRAL_API_KEY (Mistral's API), or " +
  'PASSPORT_MCP_LLM_BASE_URL (a self-hosted OpenAI-compatible server such as vLLM, llama.cpp or Ollama) in the ' +
  "server's environment, then restart it.";

/** `https://openrouter.ai/models/mistralai~mistral-small-3.1-24b-instruct` -> `mistralai/mistral-small-3.1-24b-instruct`. */
export function openRouterModelId(artifactUrl: string | undefined): string | undefined {
  if (!artifactUrl) return undefined;
  let u: URL;
  try {
    u = new URL(artifactUrl);
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' || !/^(www\.)?openrouter\.ai$/i.test(u.hostname)) return undefined;
  const m = /^\/models\/([^/~]+)~([^/]+?)\/?$/.exec(u.pathname);
  if (!m) return undefined;
  let author: string;
  let slug: string;
  try {
    author = decodeURIComponent(m[1]!);
    slug = decodeURIComponent(m[2]!);
  } catch {
    return undefined;
  }
  const ok = /^[A-Za-z0-9._-]+$/;
  if (!ok.test(author) || !/^[A-Za-z0-9._:-]+$/.test(slug)) return undefined;
  return `${author}/${slug}`;
}

/** Mistral API id for a passport, when Mistral serves those weights. */
export function mistralModelId(openRouterId: string | undefined): string | undefined {
  if (!openRouterId) return undefined;
  return MISTRAL_API_IDS[openRouterId.replace(/:free$/, '')];
}

/** Picks provider, endpoint, key and model id, or throws a UserInputError saying why the call cannot be made. */
export function resolveTarget(llm: LlmConfig, passport: LoadedPassport): { target: Target; warnings: string[] } {
  const warnings: string[] = [];
  const artifact = passport.passport.unfragile.artifact;
  if (artifact.type !== undefined && artifact.type.toLowerCase() !== 'model') {
    throw new UserInputError(`passport "${passport.slug}" describes ${withArticle(String(artifact.type))}, not a model, so invoke_model cannot call it`);
  }
  const orId = openRouterModelId(artifact.url);
  switch (llm.provider) {
    case undefined:
      throw new UserInputError(NO_PROVIDER_MESSAGE);
    case 'openrouter': {
      if (!llm.openrouter.apiKey) throw new UserInputError('the provider is openrouter but OPENROUTER_API_KEY is not set; set it and restart the server');
      if (!orId) {
        throw new UserInputError(
          `passport "${passport.slug}" is not invocable through OpenRouter: its artifact.url (${artifact.url ?? 'none'}) is not an ` +
            'openrouter.ai/models/{author}~{slug} page, so no OpenRouter model id can be derived',
        );
      }
      return {
        target: {
          provider: 'openrouter',
          label: 'OpenRouter',
          baseUrl: llm.openrouter.baseUrl,
          apiKey: llm.openrouter.apiKey,
          keyEnv: 'OPENROUTER_API_KEY',
          model: orId,
        },
        warnings,
      };
    }
    case 'mistral': {
      if (!llm.mistral.apiKey) throw new UserInputError('the provider is mistral but MISTRAL_API_KEY is not set; set it and restart the server');
      const id = mistralModelId(orId);
      if (!id) {
        throw new UserInputError(
          `passport "${passport.slug}" is not invocable through Mistral's API: no Mistral API model id is known for ${orId ?? 'its artifact'}. ` +
            'Use OpenRouter (OPENROUTER_API_KEY) or a self-hosted endpoint (PASSPORT_MCP_LLM_BASE_URL).',
        );
      }
      return {
        target: { provider: 'mistral', label: "Mistral's API", baseUrl: llm.mistral.baseUrl, apiKey: llm.mistral.apiKey, keyEnv: 'MISTRAL_API_KEY', model: id },
        warnings,
      };
    }
    case 'openai-compatible': {
      if (!llm.compatible.baseUrl) throw new UserInputError('the provider is openai-compatible but PASSPORT_MCP_LLM_BASE_URL is not set');
      if (orId && !mistralModelId(orId)) {
        warnings.push(
          `the self-hosted server runs whatever PASSPORT_MCP_LLM_MODEL (${llm.compatible.model}) names, which may not be the weights passport "${passport.slug}" describes`,
        );
      }
      return {
        target: {
          provider: 'openai-compatible',
          label: 'the OpenAI-compatible server',
          baseUrl: llm.compatible.baseUrl,
          apiKey: llm.compatible.apiKey,
          keyEnv: 'PASSPORT_MCP_LLM_API_KEY',
          model: llm.compatible.model,
        },
        warnings,
      };
    }
  }
}

/** "an mcp", "an extension", "a dataset": the article as the word is said (letters of an acronym included). */
function withArticle(word: string): string {
  const an = /^([aeiou]|mcp\b|llm\b|sdk\b|hf\b|fm\b|rl\b|nlp\b|sql\b)/i.test(word) && !/^(uni|use|usa|one|eu)/i.test(word);
  return `${an ? 'an' : 'a'} ${word}`;
}
