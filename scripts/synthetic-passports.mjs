// Synthetic-but-realistic passports for scale benchmarks: variations of real base passports (the eval corpus)
// with new slugs and names, domain-specific wording, synonym swaps, borrowed intents and varied trust, so the
// index sees a registry-like spread of vocabulary rather than 10,000 copies of the same text.
// Deterministic (seeded), pure: `generateSyntheticPassports(bases, n, seed)` returns passport envelopes.
// CLI: node scripts/synthetic-passports.mjs <out-dir> [count]  (writes one file per passport)
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const VENDORS = [
  'acme',
  'northwind',
  'helix',
  'orbital',
  'lumen',
  'quanta',
  'vertex',
  'cobalt',
  'nimbus',
  'zephyr',
  'tessera',
  'kestrel',
  'atlas',
  'ember',
  'polaris',
  'sable',
  'juniper',
  'onyx',
  'halcyon',
  'meridian',
];
const SUFFIXES = [
  'community fine-tune',
  'distilled',
  'quantized int8',
  'enterprise edition',
  'turbo',
  'lite',
  'pro',
  'v2',
  'large',
  'small',
  'edge build',
  'research preview',
];
const DOMAINS = [
  ['medical', 'clinical notes, radiology reports and patient records'],
  ['legal', 'contracts, court filings and case law'],
  ['finance', 'earnings calls, filings and banking documents'],
  ['e-commerce', 'product catalogues, listings and shopper questions'],
  ['education', 'lectures, course material and student work'],
  ['gaming', 'game assets, player chat and in-game dialogue'],
  ['customer support', 'tickets, chats and help-centre articles'],
  ['media', 'broadcast, newsroom and editorial content'],
  ['public sector', 'forms, records and citizen requests'],
  ['manufacturing', 'inspection images, manuals and maintenance logs'],
  ['automotive', 'dashcam footage, sensor logs and in-car assistants'],
  ['marketing', 'campaign copy, creatives and brand assets'],
];
const SWAPS = [
  ['image', 'picture'],
  ['images', 'pictures'],
  ['photo', 'image'],
  ['transcript', 'transcription'],
  ['audio', 'sound'],
  ['generate', 'produce'],
  ['generates', 'produces'],
  ['text', 'written text'],
  ['documents', 'files'],
  ['users', 'customers'],
  ['model', 'network'],
  ['fast', 'quick'],
  ['large', 'big'],
  ['translate', 'convert'],
  ['summary', 'synopsis'],
  ['code', 'source code'],
];

function prng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

/** @param {object[]} bases passport envelopes ({ passport: { unfragile } }) or bare passports */
export function generateSyntheticPassports(bases, n, seed = 42) {
  const rnd = prng(seed);
  const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
  const unf = bases.map((b) => (b.passport ?? b).unfragile);
  const allCaps = unf.flatMap((u) => u.capabilities.map((c) => ({ cap: c, cats: c.categories ?? [] })));
  const out = [];
  for (let i = 0; i < n; i++) {
    const base = unf[i % unf.length];
    const vendor = pick(VENDORS);
    const suffix = pick(SUFFIXES);
    const [domain, domainText] = pick(DOMAINS);
    const slug = `${vendor}-${base.artifact.slug}-${i}`.slice(0, 200);
    const artifactId = `syn-${slug}`;
    const swap = rnd() < 0.5 ? pick(SWAPS) : undefined;
    const vary = (s) => (swap ? s.replace(new RegExp(`\\b${swap[0]}\\b`, 'g'), swap[1]) : s);
    let caps = base.capabilities.filter((_, k) => k === 0 || rnd() > 0.2);
    // Sometimes borrow a capability from another artifact that shares a category.
    if (rnd() < 0.3) {
      const cat = pick(caps[0].categories ?? ['x']);
      const donors = allCaps.filter((x) => x.cats.includes(cat) && x.cap.id !== caps[0].id);
      if (donors.length) caps = [...caps, pick(donors).cap];
    }
    const capabilities = caps.map((c, k) => {
      const intents = (c.intents ?? []).map(vary);
      if (rnd() < 0.5) intents.push(`I need this for ${domain} work: ${vary(pick(c.intents ?? ['general use'])).replace(/^I (need|want) (to )?/, '')}`);
      return {
        ...c,
        id: `${artifactId}__cap_${k}`,
        name: rnd() < 0.3 ? `${vary(c.name)} for ${domain}` : vary(c.name),
        description: `${vary(c.description ?? '')} This build by ${vendor} is tuned on ${domainText}.`,
        intents: rnd() < 0.5 ? intents.reverse() : intents,
        best_for: [...(c.best_for ?? []).map(vary), `${domain} teams working with ${domainText}`],
      };
    });
    const score = Math.round(10 + rnd() * 85);
    const verified = rnd() < 0.3;
    const unfragile = {
      ...base,
      artifact: {
        ...base.artifact,
        id: artifactId,
        slug,
        name: `${vendor[0].toUpperCase()}${vendor.slice(1)} ${base.artifact.name} (${suffix})`,
        tags: [...(base.artifact.tags ?? []), vendor, domain.replace(/\s+/g, '-')],
        verified,
        pricing:
          rnd() < 0.4
            ? { model: 'free', free: true, starting_price: 'free' }
            : { model: 'paid', free: false, starting_price: `$${(rnd() * 10).toFixed(2)} per 1M tokens` },
      },
      capabilities,
      trust: { ...base.trust, score, verified },
    };
    out.push({ passport: { unfragile, version: 1 } });
  }
  return out;
}

/** The eval corpus (fixtures + the built-in seed) as parsed JSON documents. */
export function readEvalBases(root = fileURLToPath(new URL('..', import.meta.url))) {
  const dir = path.join(root, 'test/fixtures/eval/passports');
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')));
  docs.push(JSON.parse(readFileSync(path.join(root, 'passports/mistral-small-3.1.passport.json'), 'utf8')));
  return docs;
}

/** Writes `n` synthetic passports, one file each, into `dir`. */
export function writeSyntheticPassports(dir, n, seed = 42) {
  mkdirSync(dir, { recursive: true });
  const docs = generateSyntheticPassports(readEvalBases(), n, seed);
  for (const d of docs) writeFileSync(path.join(dir, `${d.passport.unfragile.artifact.slug}.json`), JSON.stringify(d));
  return docs.length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const [dir, count] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: node scripts/synthetic-passports.mjs <out-dir> [count]\n');
    process.exit(2);
  }
  process.stdout.write(`wrote ${writeSyntheticPassports(dir, Number(count ?? 10_000))} passports to ${dir}\n`);
}
