// A loopback fake of the unfragile.ai registry (API v1), speaking the shapes REGISTRY.md documents: POST /resolve,
// GET /search, GET /passport/{slug}, GET /trust-passport-public-key. Its passports are built from the eval
// fixtures and reshaped the way the real registry writes them (nulls for free prices and unknown stars/dates, odd
// slugs with `.`, `_` and `--`, mixed casing such as `why_alternative`, unknown extra fields), signed with a
// per-run test key. One catalogue entry is tampered after signing, one is unsigned. `fault` makes every answer
// fail one way: slow, down, HTML, truncated or wrong-shaped JSON, an endless body, 429 with or without Retry-After.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { makeKey, seedDocument, signPassport, type TestKey } from './keys.js';

export type RegistryFault = 'slow' | 'slow-body' | 'down' | 'html' | 'html-500' | 'truncated' | 'wrong-shape' | 'endless' | '429' | 'error-json';
export type KeyForm = 'raw-b64' | 'hex' | 'pem' | 'jwk' | 'wrapper';

export interface RegistryHit {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface CatalogueEntry {
  slug: string;
  /** The passport exactly as GET /passport/{slug} serves it ({ passport, _links }). */
  document: { passport: Record<string, unknown> & { unfragile: Record<string, any> }; _links: Record<string, string> };
  /** The confidence /resolve gives its matches. */
  confidence: number | null;
  kind: 'signed' | 'tampered' | 'unsigned';
}

export interface FakeRegistry {
  base: string;
  port: number;
  key: TestKey;
  hits: RegistryHit[];
  catalogue: Map<string, CatalogueEntry>;
  /** When set, every answer fails this way (until cleared). */
  fault?: RegistryFault;
  /** Retry-After for fault '429' (undefined: no header). */
  retryAfter?: string;
  /** Form of the public key at /trust-passport-public-key. */
  keyForm: KeyForm;
  /** Resolve hits only (POST /resolve). */
  resolves(): RegistryHit[];
  close(): Promise<void>;
}

const EVAL = (name: string) => fileURLToPath(new URL(`../fixtures/eval/passports/${name}.passport.json`, import.meta.url));

/** The real registry's habits, applied to a fixture passport. */
function reshape(doc: any, slug: string, i: number): void {
  const u = doc.passport.unfragile;
  u.artifact.slug = slug;
  u.artifact.id = `art_${i}_${slug}`;
  // Free artifacts: the registry writes null for the price; unknown numbers and dates are null too.
  if (i % 2 === 0) u.artifact.pricing = { model: 'free', free: true, starting_price: null };
  u.artifact.verified = false;
  u.artifact.status = i % 3 === 0 ? 'inactive' : 'active';
  u.artifact.unfragileRank = null;
  u.trust = { ...(u.trust ?? {}), verified: false, community: { stars: null, forks: null, downloads: i * 1000 } };
  if (u.trust.maintenance) u.trust.maintenance.last_commit = null;
  u.capabilities[0].requires = null;
  u.capabilities[0].description = `${u.capabilities[0].description ?? ''} — “registry” text, non-ASCII…`;
}

const CATALOGUE: [string, string, number | null][] = [
  ['openai-whisper-large-v3', 'openai--whisper-large-v3.1', 0.91],
  ['tesseract-ocr', 'z_ai-tesseract_ocr', null],
  ['deepl-api', 'deepl-api', 0.62],
  ['pyannote-speaker-diarization-3.1', 'pyannote--speaker-diarization-3.1', 0.35],
];

function buildCatalogue(key: TestKey, base: string): Map<string, CatalogueEntry> {
  const out = new Map<string, CatalogueEntry>();
  CATALOGUE.forEach(([file, slug, confidence], i) => {
    const doc = JSON.parse(readFileSync(EVAL(file), 'utf8'));
    reshape(doc, slug, i);
    doc._links = { self: `${base}/passport/${slug}`, verify: `${base}/verify?slug=${slug}`, publicKey: `${base}/trust-passport-public-key` };
    signPassport(doc.passport, key);
    doc.passport.signedAt = '2026-11-20T10:00:00.000Z';
    doc.passport.version = 1;
    signPassport(doc.passport, key);
    out.set(slug, { slug, document: doc, confidence, kind: 'signed' });
  });
  // Real registry passports (test/fixtures/registry, kept byte for byte by the shapes work): nulls, odd slugs,
  // non-ASCII text, unknown fields. Re-signed with the test key; everything else as the registry wrote it.
  for (const [file, confidence] of [
    ['black-forest-labs--flux.1-schnell.envelope.json', 0.84],
    ['z_ai-mcp-server.envelope.json', 0.66],
    ['openrouter-auto.envelope.json', 0.58],
  ] as const) {
    const doc = JSON.parse(readFileSync(fileURLToPath(new URL(`../fixtures/registry/${file}`, import.meta.url)), 'utf8'));
    signPassport(doc.passport, key);
    const slug = doc.passport.unfragile.artifact.slug as string;
    out.set(slug, { slug, document: doc, confidence, kind: 'signed' });
  }
  // A model whose artifact URL is an OpenRouter model page: invoke_model can call it like the built-in one.
  const vl = seedDocument() as any;
  Object.assign(vl.passport.unfragile.artifact, {
    slug: 'qwen--qwen2.5-vl-72b-instruct',
    name: 'Qwen2.5 VL 72B Instruct',
    url: 'https://openrouter.ai/models/qwen~qwen2.5-vl-72b-instruct',
    verified: false,
  });
  vl.passport.unfragile.artifact.pricing = { model: 'paid', free: false, starting_price: '$2.50e-7 per prompt token' };
  vl._links = { self: `${base}/passport/qwen--qwen2.5-vl-72b-instruct` };
  signPassport(vl.passport, key);
  out.set('qwen--qwen2.5-vl-72b-instruct', { slug: 'qwen--qwen2.5-vl-72b-instruct', document: vl, confidence: 0.88, kind: 'signed' });
  // Signed, then altered: the tampered passport inside a resolve answer.
  const t = JSON.parse(readFileSync(EVAL('openai-whisper-large-v3'), 'utf8'));
  reshape(t, 'evil--whisper-clone', 9);
  signPassport(t.passport, key);
  t.passport.unfragile.capabilities[0].name = 'multilingual speech recognition (now 100% accurate!)';
  t._links = {};
  out.set('evil--whisper-clone', { slug: 'evil--whisper-clone', document: t, confidence: 0.99, kind: 'tampered' });
  // The older unsigned shape still met in the wild.
  const un = JSON.parse(readFileSync(EVAL('rhasspy-piper'), 'utf8'));
  reshape(un, 'rhasspy_piper', 10);
  delete un.passport.signature;
  delete un.passport.signedBy;
  un._links = {};
  out.set('rhasspy_piper', { slug: 'rhasspy_piper', document: un, confidence: 0.7, kind: 'unsigned' });
  return out;
}

function words(s: string): Set<string> {
  return new Set(
    s
      .toLowerCase()
      .split(/[^a-z0-9]+/)
      .filter((w) => w.length > 3),
  );
}

function resolveAnswer(cat: Map<string, CatalogueEntry>, intent: string, limit: number, base: string) {
  const q = words(intent);
  const resolved: unknown[] = [];
  for (const e of cat.values()) {
    const u = e.document.passport.unfragile;
    for (const cap of u.capabilities as any[]) {
      const text = words([cap.name, cap.description, ...(cap.intents ?? [])].join(' '));
      if (![...q].some((w) => text.has(w))) continue;
      const { unfragile, signature, signedAt, signedBy, version } = e.document.passport as any;
      resolved.push({
        artifact: { name: u.artifact.name, slug: e.slug, type: u.artifact.type ?? null, url: u.artifact.url ?? null },
        capability: {
          id: cap.id,
          name: cap.name,
          intent,
          description: cap.description ?? null,
          whyThisMatches: `shares "${[...q]
            .filter((w) => text.has(w))
            .slice(0, 3)
            .join('", "')}"`,
          vsAlternatives: null,
          bestFor: cap.best_for ?? [],
          limitations: cap.limitations ?? null,
        },
        invocation: { language: 'mcp', snippet: `claude mcp add ${e.slug} -- npx -y ${e.slug}`, requires: [] },
        trust: { verified: false, signature: signature ?? null, signedAt: signedAt ?? null, signedBy: signedBy ?? null, version: version ?? null, unfragile },
        alternatives: [{ slug: 'some-other', name: 'Some other', why_alternative: 'cheaper' }],
        matchConfidence: e.confidence,
        lastVerified: null,
        feedbackUrl: `${base}/feedback`,
        callbackToken: 'cb_123',
      });
      break; // one capability per artifact, as the registry does
    }
  }
  return {
    resolved: resolved.slice(0, limit),
    resolvedAt: new Date().toISOString(),
    resolveId: `resolve_${Math.random().toString(36).slice(2, 10)}`,
    resolverVersion: 'fake-1',
  };
}

function keyBody(key: TestKey, form: KeyForm): [string, string] {
  switch (form) {
    case 'raw-b64':
      return ['text/plain', key.rawBase64];
    case 'hex':
      return ['text/plain', key.rawHex];
    case 'pem':
      return ['application/x-pem-file', key.pem];
    case 'jwk':
      return ['application/json', JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: key.rawBase64Url })];
    case 'wrapper':
      return ['application/json', JSON.stringify({ issuer: 'unfragile.ai', algorithm: 'Ed25519', publicKey: key.rawBase64 })];
  }
}

export async function startFakeRegistry(opts: { key?: TestKey } = {}): Promise<FakeRegistry> {
  const key = opts.key ?? makeKey();
  const sockets = new Set<Socket>();
  const reg = { key, hits: [] as RegistryHit[], keyForm: 'raw-b64' as KeyForm } as FakeRegistry;
  const send = (res: ServerResponse, status: number, body: string, type = 'application/json', extra: Record<string, string> = {}) =>
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra }).end(body);

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const body = Buffer.concat(chunks).toString('utf8');
      reg.hits.push({ method: req.method ?? '', path: url.pathname, headers: req.headers, body });
      switch (reg.fault) {
        case 'slow':
          return; // never answers
        case 'slow-body':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"resolved": [');
          return;
        case 'down':
          req.socket.destroy();
          return;
        case 'html':
          return send(res, 200, '<!doctype html><html><body>Just a moment...</body></html>', 'text/html; charset=utf-8');
        case 'html-500':
          return send(res, 502, '<html><body>Bad gateway</body></html>', 'text/html');
        case 'truncated': {
          const full = JSON.stringify(resolveAnswer(reg.catalogue, 'speech text audio', 5, reg.base));
          return send(res, 200, full.slice(0, Math.floor(full.length / 2)));
        }
        case 'wrong-shape':
          return send(res, 200, JSON.stringify({ results: [{ slug: 'x' }], resolved: { not: 'a list' } }));
        case 'endless': {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"resolved": [');
          const piece = Buffer.from(`${JSON.stringify({ artifact: { slug: 'x'.repeat(200) } })},`.repeat(256));
          const pump = () => {
            while (!res.destroyed) if (!res.write(piece)) return void res.once('drain', pump);
          };
          pump();
          return;
        }
        case '429':
          return send(res, 429, '{"error":"Rate limit exceeded"}', 'application/json', reg.retryAfter !== undefined ? { 'retry-after': reg.retryAfter } : {});
        case 'error-json':
          return send(res, 500, '{"error":"internal error"}');
        default:
          break;
      }
      const p = url.pathname.replace(/^\/api\/v1/, '');
      if (req.method === 'POST' && p === '/resolve') {
        let q: { intent?: unknown; limit?: unknown };
        try {
          q = JSON.parse(body);
        } catch {
          return send(res, 400, '{"error":"invalid JSON"}');
        }
        if (typeof q.intent !== 'string' || !q.intent) return send(res, 400, '{"error":"intent is required"}');
        const limit = typeof q.limit === 'number' ? q.limit : 5;
        return send(res, 200, JSON.stringify(resolveAnswer(reg.catalogue, q.intent, limit, reg.base)));
      }
      if (req.method === 'GET' && p === '/search') {
        const qs = url.searchParams.get('q') ?? '';
        const ans = resolveAnswer(reg.catalogue, qs, Number(url.searchParams.get('limit') ?? 5), reg.base);
        const matches = (ans.resolved as any[]).map((r) => {
          const u = reg.catalogue.get(r.artifact.slug)!.document.passport.unfragile;
          return {
            artifact: {
              id: u.artifact.id,
              name: u.artifact.name,
              type: u.artifact.type,
              url: u.artifact.url,
              slug: r.artifact.slug,
              description: null,
              categories: u.artifact.categories ?? [],
              pricing: u.artifact.pricing,
              verified: false,
              unfragileRank: null,
              pageUrl: null,
            },
            capabilities: [{ name: r.capability.name, description: r.capability.description, matchScore: r.matchConfidence, bestFor: r.capability.bestFor }],
          };
        });
        return send(res, 200, JSON.stringify({ query: qs, intent: { type: null, category: null, refined: qs }, matches }));
      }
      const m = /^\/passport\/([^/]+)$/.exec(p);
      if (req.method === 'GET' && m) {
        const e = reg.catalogue.get(decodeURIComponent(m[1]!));
        return e ? send(res, 200, JSON.stringify(e.document)) : send(res, 404, '{"error":"Passport not found"}');
      }
      if (req.method === 'GET' && p === '/trust-passport-public-key') {
        const [type, text] = keyBody(key, reg.keyForm);
        return send(res, 200, text, type);
      }
      send(res, 404, '{"error":"Not found"}');
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  reg.port = (server.address() as AddressInfo).port;
  reg.base = `http://127.0.0.1:${reg.port}/api/v1`;
  reg.catalogue = buildCatalogue(key, reg.base);
  reg.resolves = () => reg.hits.filter((h) => h.path.endsWith('/resolve'));
  reg.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return reg;
}
