// Regression guard on real registry passports (test/fixtures/eval/real): ranking and calibrated confidence on the
// held-out split, which nothing was tuned on. The floors are what the index reached when this guard was written
// (bench/search.mjs prints the same figures next to plain BM25); where that is below the target, the
// target is named next to it, so the gap stays visible. The set grew from 23 to 43 passports (near-duplicates,
// OpenRouter's family of routers, benchmarks, billing and sign-on APIs), then to 77 (eleven MCP server SDKs and
// templates, chat and reasoning models, IDE extensions, agents) and 114 (more models of each family, terminal and
// CI agents, benchmarks): harder each time, and nearer what the registry holds. Its labels were checked by pooling
// (blind judges, 98 % of the labelled controls confirmed), and its off-catalogue part now has long near-misses.
import { describe, expect, it } from 'vitest';
import {
  CALIBRATION_CAPABILITIES,
  CONFIDENCE_WEIGHTS,
  confidenceOf,
  DEFAULT_MIN_CONFIDENCE,
  FEATURE_NAMES,
  FIRST_CONFIDENCE_WEIGHTS,
  SMALL_CATALOGUE_MAX_SHIFT,
  SMALL_CATALOGUE_SLOPE,
  smallCatalogueShift,
} from '../../../src/core/search/confidence.js';
import { evaluate, evaluateConfidence, FRESH_ROUND, type LabelledIntent, withTypos } from '../../../src/core/search/evaluate.js';
import { IntentIndex } from '../../../src/core/search/index.js';
import { findCapabilityByIntent } from '../../../src/mcp/tools/find-capability-by-intent.js';
import { loadBuiltin, loadRealCorpus, loadRealIntents, loadViaAgent, testVectors, bm25Baseline, viaAgentFile } from './helpers.js';

const MISTRAL = 'openrouter-mistralai-mistral-small-3.1-24b-instruct';

describe('real registry passports', () => {
  const corpus = loadRealCorpus();
  const intents = loadRealIntents();
  const index = new IntentIndex({ vectors: testVectors() });
  for (const p of corpus) index.add(p);
  // What each check reads of a search: the ranked capability ids, and the same with their confidence.
  const ids = (q: string) => index.search(q, { limit: 10 }).map((m) => m.capability.id);
  const confident = (q: string) => index.search(q, { limit: 10 }).map((m) => ({ id: m.capability.id, confidence: m.confidence }));
  /** A labelled set's floors: its in-catalogue intents' ranking, and the promise (90 % precision and abstention). */
  const holds = (set: readonly LabelledIntent[], floors: { top1: number; top3: number; mrr: number; rightFirst?: number }) => {
    const r = evaluate(
      set.filter((i) => i.expected.length),
      ids,
    );
    expect(r.top1).toBeGreaterThanOrEqual(floors.top1);
    expect(r.top3).toBeGreaterThanOrEqual(floors.top3);
    expect(r.mrr).toBeGreaterThanOrEqual(floors.mrr);
    const c = evaluateConfidence(set, confident);
    expect(c.precision).toBeGreaterThanOrEqual(0.9);
    expect(c.offUnanswered).toBeGreaterThanOrEqual(0.9);
    if (floors.rightFirst !== undefined) expect(c.rightFirst).toBeGreaterThanOrEqual(floors.rightFirst);
  };
  const holdout = intents.filter((i) => i.split === 'holdout');
  const inCatalogue = holdout.filter((i) => i.expected.length);
  const ranking = evaluate(inCatalogue, ids);
  const confidence = evaluateConfidence(holdout, confident);
  const misses = JSON.stringify(ranking.misses.slice(0, 8), null, 1);

  it('is a real, well-formed labelled set loaded through the real loader', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(115);
    // Real registry shapes: nulls and odd slugs are in the fixtures and load as they are.
    expect(corpus.map((p) => p.slug)).toEqual(expect.arrayContaining(['black-forest-labs--flux.1-schnell', 'z_ai-mcp-server']));
    const capIds = new Set(corpus.flatMap((p) => p.passport.unfragile.capabilities.map((c) => c.id)));
    for (const it of intents) for (const id of it.expected) expect(capIds.has(id), `${it.intent} -> ${id}`).toBe(true);
    expect(inCatalogue.length).toBeGreaterThanOrEqual(130);
    // Off-catalogue intents as long as the others, near-misses among them (README): "short" must not mean "nothing fits".
    const offCatalogue = holdout.filter((i) => !i.expected.length);
    expect(offCatalogue.length).toBeGreaterThanOrEqual(60);
    expect(offCatalogue.filter((i) => i.intent.split(/\s+/).length >= 7).length).toBeGreaterThanOrEqual(20);
  });

  // Targets (issue 12): top-1 >= 0.85, top-3 >= 0.95, MRR >= 0.90.
  // 0.837 / 0.946 / 0.892 on the 2,101-intent set once typo repair stopped rewriting correct words (0.832 / 0.941 /
  // 0.889 before); 0.844 / 0.949 / 0.898 with round 12 (2,390 intents); 0.853 / 0.954 / 0.904 with round 13 (2,660),
  // whose agents' wording is easier than people's: the rounds people wrote stay at 0.844 / 0.949 / 0.898.
  it('ranks held-out intents: top-1 >= 0.84 (target 0.85), top-3 >= 0.945 (target 0.95), MRR >= 0.89 (target 0.90)', () => {
    expect(ranking.top1, misses).toBeGreaterThanOrEqual(0.84);
    expect(ranking.top3, misses).toBeGreaterThanOrEqual(0.945);
    expect(ranking.mrr, misses).toBeGreaterThanOrEqual(0.89);
  });

  // The tool's real callers are agents (round 13 was written as they phrase a find_capability_by_intent call): on
  // their held-out half every ranking target is met, 0.917 / 0.991 / 0.955, measured before any use.
  it("ranks agents' held-out intents above every target", () => {
    const agents = inCatalogue.filter((i) => i.round === 13);
    expect(agents.length).toBeGreaterThanOrEqual(100);
    const r = evaluate(agents, ids);
    expect(r.top1).toBeGreaterThanOrEqual(0.88);
    expect(r.top3).toBeGreaterThanOrEqual(0.97);
    expect(r.mrr).toBeGreaterThanOrEqual(0.93);
  });

  // People rarely call the tool themselves: an agent reads their request and writes the intent. Every held-out
  // request people wrote (rounds up to 12), as blind AI helpers passed it after reading only the request and the tool's
  // description (via-agent.json), measured once before any use: 0.884 / 0.957 / 0.925, precision 0.937, right-first
  // 0.659, abstention 0.944; the same requests verbatim 0.845 / 0.950 / 0.898, 0.943, 0.410, 0.959.
  it("ranks people's held-out requests, as an agent passes them, above every ranking target and keeps the promise", () => {
    // The agents were shown the tool's description as shipped: a new one changes what they write, so measure again.
    expect(findCapabilityByIntent.description).toBe(viaAgentFile().tool_description);
    expect(findCapabilityByIntent.inputSchema.intent.description).toBe(viaAgentFile().tool_intent_description);
    const all = loadViaAgent();
    const rewritten = all.filter((i) => i.split === 'holdout');
    // Every request people wrote (rounds before 13) has its agent's version, in its own split, and only those.
    const people = (split: string) => new Set(intents.filter((i) => i.split === split && (i.round ?? 0) < 13).map((i) => i.intent));
    expect(new Set(rewritten.map((i) => i.of))).toEqual(people('holdout'));
    expect(new Set(all.filter((i) => i.split === 'dev').map((i) => i.of))).toEqual(people('dev'));
    expect(rewritten.filter((i) => i.intent !== i.of).length).toBeGreaterThan(0.8 * rewritten.length);
    // Right-first 0.659 with the first model linear, 0.694 with its pairwise products.
    holds(rewritten, { top1: 0.87, top3: 0.95, mrr: 0.915, rightFirst: 0.67 });
  });

  // Targets: >= 90 % of matches at >= 0.5 serve; >= 90 % of off-catalogue unanswered; right first at >= 0.5 for 85 %.
  it('means what its confidence says on held-out intents', () => {
    expect(confidence.precision).toBeGreaterThanOrEqual(0.9);
    expect(confidence.offUnanswered).toBeGreaterThanOrEqual(0.9);
    // 0.491 on the 2,660-intent set (target 0.85; 0.435 before the first model weighed the features' pairwise
    // products, 0.409 on the 2,390-intent set): the models keep the 90 % promise first, calibrated with a margin on the
    // rounds no vocabulary change was decided on, which costs right-first (0.56 at 0.865 precision on the 1,515-intent
    // set once, when the promise was broken there); two features of what the match lacks and whether it leads
    // lexically raised it from 0.326. See BENCHMARKS.md.
    expect(confidence.rightFirst).toBeGreaterThanOrEqual(0.47);
  });

  // The rounds no vocabulary change was ever decided on (7 and later): their dev halves calibrate the confidence
  // (scripts/fit-confidence.mjs), their held-out halves are the fairest test of what a new user's words get.
  it('keeps its promise and ranks well on the held-out halves of the fresh rounds', () => {
    const fresh = holdout.filter((i) => (i.round ?? 0) >= FRESH_ROUND);
    expect(fresh.filter((i) => i.expected.length).length).toBeGreaterThanOrEqual(300);
    // Reached 0.850 / 0.966 / 0.909 on rounds 7-9 (targets 0.85 / 0.95 / 0.90; the start of that session had 0.847 /
    // 0.966 / 0.907 here: these intents are easier than the older ones, it was not a gain), and 0.852 / 0.954 / 0.905
    // with rounds 10 and 11 added, measured before any use (round 10, non-developers' words, ranks far worse); 0.864 /
    // 0.961 / 0.913 with round 12 (people in a hurry, typos and all); 0.871 / 0.965 / 0.919 with round 13 (agents).
    // Precision and abstention: 0.942 and 0.924 on rounds 7-9 (79 off-catalogue intents); 0.930 and 0.931 on rounds
    // 7-11 (145); 0.934 and 0.937 on rounds 7-12 (175); 0.936 and 0.931 on rounds 7-13 (204), calibrated on their dev
    // halves.
    holds(fresh, { top1: 0.85, top3: 0.95, mrr: 0.9 });
  });

  // "typos ("transcrbe a meetng") find what the plain wording finds" (issue 12), on every held-out intent: one typo
  // each (withTypos: a dropped, swapped, neighbouring or doubled letter). On the 2,101-intent set it cost 0.013 top-1
  // and 0.010 MRR (0.000-0.012 over three seeds), on the 2,390-intent one 0.012 and 0.010, on the 2,660-intent one
  // 0.011 and 0.009; the same index without word vectors, which repair typos, lost 0.04.
  it('finds with a typo in every held-out intent nearly what it finds spelt right, and keeps its promise', () => {
    const typed = holdout.map((i) => ({ ...i, intent: withTypos(i.intent) }));
    expect(typed.filter((t, k) => t.intent !== holdout[k]!.intent).length).toBeGreaterThan(0.95 * holdout.length);
    const r = evaluate(
      typed.filter((i) => i.expected.length),
      ids,
    );
    expect(r.top1).toBeGreaterThanOrEqual(ranking.top1 - 0.02);
    expect(r.mrr).toBeGreaterThanOrEqual(ranking.mrr - 0.02);
    const c = evaluateConfidence(typed, confident);
    expect(c.precision).toBeGreaterThanOrEqual(0.9);
    expect(c.offUnanswered).toBeGreaterThanOrEqual(0.9);
  });

  // What the issue names: Mistral's own streaming and structured output asked for without their vocabulary, and
  // what MCP servers do for files said in other words, found among every registry passport, not the built-in alone.
  // Each leads with the right capability. Since the biases are calibrated with a margin on fresh intents, their
  // confidence is 0.25-0.49 (it was 0.5 or more before): the `note` names them when nothing passes, and an agent that
  // widens min_confidence to 0.2 gets them first.
  it.each([
    ['give me output my code can parse', `${MISTRAL}__cap_5`],
    ['show tokens as they arrive', `${MISTRAL}__cap_2`],
    ['stream the answer as it is written', `${MISTRAL}__cap_2`],
    ['get the reply piece by piece instead of waiting for the whole thing', `${MISTRAL}__cap_2`],
    ['give claude access to a folder on my laptop', 'npm-modelcontextprotocol-server-filesystem__cap_0'],
  ])('finds "%s" among all of them: %s, first and at 0.2 or more', (intent, id) => {
    const [first] = index.search(intent, { limit: 3 });
    expect(first?.capability.id).toBe(id);
    expect(first!.confidence).toBeGreaterThanOrEqual(0.2);
  });

  // Concepts for what models and tools do, said without the passports' words (choosing a model per request,
  // improving prompts, seeing images): each leads with the one artifact here that does it. Before these concepts the
  // first and the last led with something else; the prompt enhancer already led the second, at 0.24 (now 0.97).
  it.each([
    ['automatically send easy questions to cheap models and hard ones to big models', 'openrouter-openrouter-auto__cap_0'],
    ['flesh out my short image prompt', 'github-yangling0818--rpg-diffusionmaster__cap_0'],
    ['give my llm eyes', 'blip-2__cap_0'],
  ])('leads "%s" with %s', (intent, id) => {
    expect(index.search(intent, { limit: 3 })[0]?.capability.id).toBe(id);
  });

  // Making music is one need: a model that takes music in and "generates" text does not make music, and an image
  // generator's "composition" is not a musical one.
  it('does not claim to generate music from a melody, though models here hear music and generate images', () => {
    expect(index.search('generate music from a melody', { limit: 5 }).every((m) => m.confidence < DEFAULT_MIN_CONFIDENCE)).toBe(true);
  });

  it('does not read the verb "file" as files on disk', () => {
    expect(index.search('file my tax return', { limit: 5 }).every((m) => m.confidence < DEFAULT_MIN_CONFIDENCE)).toBe(true);
  });

  it('clearly beats plain BM25 (MiniSearch defaults over the concatenated capability text)', () => {
    const base = bm25Baseline(corpus, inCatalogue);
    expect(ranking.mrr).toBeGreaterThan(base.mrr + 0.09);
    expect(ranking.top1).toBeGreaterThan(base.top1 + 0.09);
  });

  it('rates the first match with the first-match model and the others with the other model, capped', () => {
    const [first, second] = index.rank('transcribe a podcast episode', { limit: 2 });
    expect(first!.confidence).toBeCloseTo(confidenceOf(first!.features, FIRST_CONFIDENCE_WEIGHTS), 4);
    expect(second!.confidence).toBeCloseTo(Math.min(first!.confidence, confidenceOf(second!.features, CONFIDENCE_WEIGHTS)), 4);
  });

  it("reads the first model's pairwise products in the layout scripts/fit-confidence.mjs writes (pairs i <= j, row by row)", () => {
    const k = FEATURE_NAMES.length;
    expect(FIRST_CONFIDENCE_WEIGHTS).toHaveLength(1 + k + (k * (k + 1)) / 2);
    const [m] = index.rank('transcribe a podcast episode', { limit: 1 });
    const f = m!.features;
    const x = FEATURE_NAMES.map((n) => f[n]);
    // One weight at a time: the bias, then the linear terms, then each product, in the script's order.
    const terms = [1, ...x, ...x.flatMap((a, i) => x.slice(i).map((b) => a * b))];
    terms.forEach((term, at) => {
      const w = terms.map((_, i) => (i === at ? 0.7 : 0));
      expect(confidenceOf(f, w)).toBeCloseTo(1 / (1 + Math.exp(-0.7 * term)), 12);
    });
  });

  it('gives the same first matches with the same confidence whatever the limit, also past the re-ranking depth', () => {
    let longer = 0;
    for (const it of intents) {
      const few = index.search(it.intent, { limit: 5 });
      const many = index.search(it.intent, { limit: 50 });
      expect(
        many.slice(0, few.length).map((m) => [m.capability.id, m.confidence]),
        it.intent,
      ).toEqual(few.map((m) => [m.capability.id, m.confidence]));
      for (let i = 1; i < many.length; i++) expect(many[i]!.score, it.intent).toBeLessThanOrEqual(many[i - 1]!.score);
      if (many.length > 15) longer++;
    }
    // Most intents have more than 15 candidates, so the deeper ones (in lexical order) are exercised.
    expect(longer).toBeGreaterThan(intents.length / 2);
  });

  it('never gives a lower-ranked match more confidence, so ordering by confidence keeps the ranking', () => {
    let capped = 0;
    for (const it of intents) {
      const ms = index.rank(it.intent, { limit: 10 });
      for (let i = 1; i < ms.length; i++) {
        expect(ms[i]!.confidence, it.intent).toBeLessThanOrEqual(ms[i - 1]!.confidence);
        // Counts the matches the model alone would have put above the one ranked before them.
        if (confidenceOf(ms[i]!.features) > ms[i - 1]!.confidence + 1e-4) capped++;
      }
    }
    // The set has such cases: hundreds, by a few hundredths now that the first match has a model of its own (with one
    // model, "make the output less random" put a router at 0.76 below the right answer at 0.60).
    expect(capped).toBeGreaterThan(0);
  });

  it('reports confidence without applying a threshold (the federation does)', () => {
    const ms = index.search('split the restaurant bill between friends', { limit: 10 });
    expect(ms.length).toBeGreaterThan(0);
    expect(ms.every((m) => m.confidence < DEFAULT_MIN_CONFIDENCE)).toBe(true);
    for (const m of index.search('turn a podcast recording into text', { limit: 10 })) {
      expect(m.confidence).toBeGreaterThanOrEqual(0);
      expect(m.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('leaves correctly spelt words the word-vector table lacks as they are, in the search and in the reason', () => {
    // Read as "logic" and "liar" before data/more-words.txt, "jira" as "ira", "h100" as "100…" and "2024" as "224…"
    // before short words and tokens with digits were held back, the last three as below before a first letter or a
    // stem's end were: the repaired word joined the query, and the reason said so.
    for (const [intent, word] of [
      ['keep the gmail login fresh automatically so I stop pasting tokens', 'login'],
      ['register lidar point clouds of building interiors', 'lidar'],
      ['let the agent create jira tickets from bug reports', 'jira'],
      ['rent an h100 by the hour for my pytorch training', 'h100'],
      ['detect new buildings in Sentinel-2 satellite images between 2019 and 2024 for our county', '2024'],
      // Another first letter, or only the stem's last letter changed: "sigma", "self…", "confid…".
      ['mcp server for figma that pulls design tokens and component specs into my coding agent', 'figma'],
      ['need a local model to tag thousands of selfies by mood for a psych study', 'selfies'],
      ['inspect config files without handing the model a shell', 'config'],
    ]) {
      const ms = index.search(intent!, { limit: 3 });
      expect(ms.length).toBeGreaterThan(0);
      for (const m of ms) expect(m.reason, intent).not.toContain(`read "${word}"`);
    }
    // Typos are still repaired, four-letter ones too into a word the index or the concept vocabulary reads.
    expect(index.search('transcrbe a meetng', { limit: 1 })[0]!.reason).toMatch(/read "transcrbe"/);
    expect(index.search('check my mial for new messages', { limit: 1 })[0]!.reason).toMatch(/read "mial" as "mail"/);
  });

  it('repairs typos, finds what the plain wording finds with the same confidence, and says so in the reason', () => {
    const [top] = index.search('transcrbe a meetng');
    const [plain] = index.search('transcribe a meeting');
    // The speech-to-text capabilities the labelled set says serve it (Whisper, Voxtral, GPT-4o's audio models...).
    const serving = intents.find((i) => i.intent === 'transcrbe a meetng')!.expected;
    expect(serving.length).toBeGreaterThanOrEqual(3);
    expect(serving).toContain(top!.capability.id);
    expect(top!.capability.id).toBe(plain!.capability.id);
    // 0.49 since round 12 joined the calibration (0.5 or more before), spelt right or not.
    expect(top!.confidence).toBe(plain!.confidence);
    expect(top!.confidence).toBeGreaterThanOrEqual(0.4);
    expect(top!.reason).toMatch(/read "transcrbe" as "transcrib(e|…)", "meetng" as "meeting"/);
  });
});

describe('confidence in a small catalogue (calibrated on 121 capabilities)', () => {
  it('is lowered below registry size, by at most SMALL_CATALOGUE_MAX_SHIFT in log-odds, and not at all above it', () => {
    expect(smallCatalogueShift(CALIBRATION_CAPABILITIES)).toBe(0);
    expect(smallCatalogueShift(10_000)).toBe(0);
    expect(smallCatalogueShift(60)).toBeCloseTo(SMALL_CATALOGUE_SLOPE * Math.log(CALIBRATION_CAPABILITIES / 60), 9);
    expect(smallCatalogueShift(6)).toBe(SMALL_CATALOGUE_MAX_SHIFT);
    const built = new IntentIndex({ vectors: testVectors() });
    built.add(loadBuiltin());
    const [m] = built.rank('describe a screenshot', { limit: 1 });
    expect(m!.confidence).toBeCloseTo(confidenceOf(m!.features, FIRST_CONFIDENCE_WEIGHTS, SMALL_CATALOGUE_MAX_SHIFT), 4);
  });

  it('keeps the 90 % promise with the built-in passport alone, over every labelled intent it could answer', () => {
    const built = new IntentIndex({ vectors: testVectors() });
    built.add(loadBuiltin());
    const ids = new Set(loadBuiltin().passport.unfragile.capabilities.map((c) => c.id));
    const cut = loadRealIntents().map((i) => ({ ...i, expected: i.expected.filter((id) => ids.has(id)) }));
    const c = evaluateConfidence(cut, (q) => built.search(q, { limit: 10 }).map((m) => ({ id: m.capability.id, confidence: m.confidence })));
    expect(c.served).toBeGreaterThan(0);
    expect(c.precision).toBeGreaterThanOrEqual(0.9);
    expect(c.offUnanswered).toBeGreaterThanOrEqual(0.9);
  });
});

describe('the built-in Mistral passport alone', () => {
  const index = new IntentIndex({ vectors: testVectors() });
  index.add(loadBuiltin());
  const top = (q: string) => index.search(q, { limit: 3 })[0]!;

  it.each([
    ['read the text in a scanned receipt', 1],
    ['what does this chart show', 1],
    ['JSON I can parse', 5],
    ['show tokens as they arrive', 2],
    ['same answer every time', 4],
  ])('"%s" leads with capability %i', (intent, cap) => {
    expect(top(intent).capability.id).toBe(`${MISTRAL}__cap_${cap}`);
  });

  // Its text capability names "reasoning", so it outscored the vision one on a question about a photo (with the built-in
  // passport alone, at 0.57); it declares that it takes and makes text only, so a medium in the intent lowers it.
  it('leads a question about a photo with its vision capability, not its text one', () => {
    expect(top('ask questions about a photo and get a reasoned answer').capability.id).toBe(`${MISTRAL}__cap_1`);
  });

  it('does not claim to generate music from a melody', () => {
    expect(index.search('generate music from a melody', { limit: 10 }).every((m) => m.confidence < DEFAULT_MIN_CONFIDENCE)).toBe(true);
  });

  // Its vision capability says "text" and "image", and "generates" text, apart; its own failure modes say it makes
  // no images. A direction or a making phrase is answered by its concept only (analyze.ts), not by the words apart.
  it.each(['text to image', 'generate an image', 'generate an image from text', 'image to video', 'text to speech', 'speech to text'])(
    'does not claim "%s"',
    (intent) => {
      expect(index.search(intent, { limit: 10 }).every((m) => m.confidence < DEFAULT_MIN_CONFIDENCE)).toBe(true);
    },
  );

  it('still answers what its vision capability does, when the intent says it in words of its own', () => {
    expect(top('describe a screenshot').capability.id).toBe(`${MISTRAL}__cap_1`);
    expect(top('describe a screenshot').confidence).toBeGreaterThanOrEqual(DEFAULT_MIN_CONFIDENCE);
    expect(top('turn this photo into a text description').capability.id).toBe(`${MISTRAL}__cap_1`);
  });
});
