// Shared fixtures for the search tests: the labelled eval corpus and small hand-made passports.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toLoadedPassport } from '../../../src/core/passport/load.js';
import type { LoadedPassport } from '../../../src/core/passport/schema.js';
import MiniSearch from 'minisearch';
import { type AgentRewrite, evaluate, type LabelledIntent, viaAgent } from '../../../src/core/search/evaluate.js';
import { loadWordVectors, type WordVectors } from '../../../src/core/search/word-vectors.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EVAL_DIR = path.join(ROOT, 'test/fixtures/eval');

/** Every passport file of a fixture folder (sorted, through the real loader), then the built-in one. */
function loadCorpus(dir: string): LoadedPassport[] {
  const out = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => toLoadedPassport(JSON.parse(readFileSync(path.join(dir, f), 'utf8')), f));
  out.push(loadBuiltin());
  return out;
}

/** The synthetic set's passports plus the built-in one. */
export function loadEvalCorpus(): LoadedPassport[] {
  return loadCorpus(path.join(EVAL_DIR, 'passports'));
}

/** The real-registry set: its passports (through the real loader) plus the built-in one, and its intents. */
export function loadRealCorpus(): LoadedPassport[] {
  return loadCorpus(path.join(EVAL_DIR, 'real/passports'));
}

export function loadRealIntents(): LabelledIntent[] {
  return (JSON.parse(readFileSync(path.join(EVAL_DIR, 'real/intents.json'), 'utf8')) as { intents: LabelledIntent[] }).intents;
}

/** People's requests as an AI agent passed them to the tool (real/via-agent.json), labelled as the requests are. */
export function loadViaAgent(): (LabelledIntent & { of: string })[] {
  return viaAgent(loadRealIntents(), viaAgentFile().intents);
}

/** real/via-agent.json as it is: the agents' intents and the tool's descriptions they were shown. */
export function viaAgentFile(): { tool_description: string; tool_intent_description: string; intents: AgentRewrite[] } {
  return JSON.parse(readFileSync(path.join(EVAL_DIR, 'real/via-agent.json'), 'utf8')) as {
    tool_description: string;
    tool_intent_description: string;
    intents: AgentRewrite[];
  };
}

export function loadBuiltin(): LoadedPassport {
  return toLoadedPassport(JSON.parse(readFileSync(path.join(ROOT, 'passports/mistral-small-3.1.passport.json'), 'utf8')), 'builtin');
}

let vectors: WordVectors | undefined;
/** The shipped word vectors, read once per test file (each index would otherwise read them on first search). */
export function testVectors(): WordVectors {
  return (vectors ??= loadWordVectors());
}

export function loadEvalIntents(): LabelledIntent[] {
  return (JSON.parse(readFileSync(path.join(EVAL_DIR, 'intents.json'), 'utf8')) as { intents: LabelledIntent[] }).intents;
}

export interface CapSpec {
  id?: string;
  name: string;
  description?: string;
  intents?: string[];
  input_types?: string[];
  output_types?: string[];
}

/** A minimal valid passport. */
export function makePassport(
  slug: string,
  caps: CapSpec[],
  opts: { verified?: boolean; trust?: number; artifactVerified?: boolean; type?: string } = {},
): LoadedPassport {
  const doc = {
    unfragile: {
      artifact: { slug, name: `Artifact ${slug}`, verified: opts.artifactVerified ?? false, ...(opts.type ? { type: opts.type } : {}) },
      capabilities: caps.map((c, i) => ({ id: c.id ?? `${slug}__cap_${i}`, ...c })),
      ...(opts.trust !== undefined || opts.verified !== undefined ? { trust: { score: opts.trust, verified: opts.verified } } : {}),
    },
  };
  return toLoadedPassport(doc, `test:${slug}`);
}

/** The plain-BM25 baseline: MiniSearch defaults over each capability's concatenated text, scored like ours. */
export function bm25Baseline(corpus: LoadedPassport[], intents: LabelledIntent[]): ReturnType<typeof evaluate> {
  const ms = new MiniSearch<{ id: string; text: string }>({ fields: ['text'] });
  ms.addAll(
    corpus.flatMap((p) =>
      p.passport.unfragile.capabilities.map((c) => ({
        id: c.id,
        text: [c.name, c.description, ...(c.intents ?? []), ...(c.best_for ?? []), c.uri, ...(c.categories ?? [])].join(' '),
      })),
    ),
  );
  return evaluate(intents, (q) =>
    ms
      .search(q)
      .slice(0, 10)
      .map((r) => String(r.id)),
  );
}
