// The layer rules of AGENTS.md, enforced: the import graph of src/ is read with the TypeScript compiler API
// (static imports, re-exports, dynamic `await import()` and `import('...').T` types) and every rule below is a
// test that names the offending edge. Change a rule here and in AGENTS.md together.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as TS from 'typescript';
import { describe, expect, it } from 'vitest';

// Loaded with require, not import: the compiler is one 9 MB CommonJS file, and importing it from ESM makes Node scan
// all of it for named exports first (about half of its ~1 s of load time).
const ts: typeof TS = createRequire(import.meta.url)('typescript');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = path.join(ROOT, 'src');

type Kind = 'static' | 'dynamic' | 'type';
interface Edge {
  from: string;
  /** src-relative path for a local module, the bare specifier for a package, `node:x` for a built-in. */
  to: string;
  kind: Kind;
  local: boolean;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? walk(path.join(dir, d.name)) : d.name.endsWith('.ts') ? [path.join(dir, d.name)] : [],
  );
}

/** Every import of one file, classified: a declaration whose bindings are all types counts as `type`. */
function importsOf(file: string): Edge[] {
  return edgesOf(path.relative(SRC, file).split(path.sep).join('/'), readFileSync(file, 'utf8'));
}

function edgesOf(from: string, text: string): Edge[] {
  const sf = ts.createSourceFile(from, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edges: Edge[] = [];
  const add = (spec: string, kind: Kind) => {
    const local = spec.startsWith('.');
    const to = local ? path.posix.normalize(path.posix.join(path.posix.dirname(from), spec)).replace(/\.js$/, '.ts') : spec;
    edges.push({ from, to, kind, local });
  };
  const visit = (node: TS.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const c = node.importClause;
      const named = c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
      const typeOnly = !!c && (c.isTypeOnly || (!c.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      add(node.moduleSpecifier.text, typeOnly ? 'type' : 'static');
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : undefined;
      const typeOnly = node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly));
      add(node.moduleSpecifier.text, typeOnly ? 'type' : 'static');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg)) add(arg.text, 'dynamic');
      else add(`<computed import in ${from}>`, 'dynamic');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text, 'type');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

const FILES = walk(SRC)
  .map((f) => path.relative(SRC, f).split(path.sep).join('/'))
  .sort();
const EDGES = walk(SRC).flatMap(importsOf);
const LOCAL = EDGES.filter((e) => e.local);
const show = (e: Edge) => `${e.from} -> ${e.to} (${e.kind})`;

const under = (dir: string) => (p: string) => p.startsWith(`${dir}/`);
const isCore = under('core');
const isConfig = under('config');
const isMcp = under('mcp');
const isCommands = under('commands');
const isEntry = (p: string) => p === 'cli.ts' || p === 'main.ts';

describe('layering (AGENTS.md "Layers"; see the rules listed there)', () => {
  it('reads a graph that resolves: every local import names a file in src/, every dynamic import is a literal', () => {
    expect(FILES.length).toBeGreaterThan(20);
    expect(LOCAL.filter((e) => !FILES.includes(e.to)).map(show)).toEqual([]);
    expect(EDGES.filter((e) => e.to.startsWith('<computed')).map(show)).toEqual([]);
    // The reader sees each kind of edge, or a rule below could pass by reading nothing.
    for (const k of ['static', 'dynamic', 'type'] as const) expect(LOCAL.some((e) => e.kind === k)).toBe(true);
  });

  it('the reader classifies edges: type-only, mixed, re-exports, dynamic import() and import("...").T types', () => {
    const edges = edgesOf(
      'core/x.ts',
      [
        "import type { A } from '../config/config.js';",
        "import { type B } from './errors.js';",
        "import { c, type D } from './logger.js';",
        "export { e } from './secrets.js';",
        "export type { F } from './app.js';",
        "const m = await import('../mcp/server.js');",
        "let t: import('./llm/client.js').LlmClient;",
        "import 'zod';",
      ].join('\n'),
    );
    expect(edges.map(show)).toEqual([
      'core/x.ts -> config/config.ts (type)',
      'core/x.ts -> core/errors.ts (type)',
      'core/x.ts -> core/logger.ts (static)',
      'core/x.ts -> core/secrets.ts (static)',
      'core/x.ts -> core/app.ts (type)',
      'core/x.ts -> mcp/server.ts (dynamic)',
      'core/x.ts -> core/llm/client.ts (type)',
      'core/x.ts -> zod (static)',
    ]);
  });

  it('core/ never imports mcp/, commands/, main.ts or cli.ts, nor the MCP SDK', () => {
    const bad = EDGES.filter((e) => isCore(e.from) && (isMcp(e.to) || isCommands(e.to) || isEntry(e.to) || e.to.startsWith('@modelcontextprotocol/')));
    expect(bad.map(show)).toEqual([]);
  });

  it('core/ imports config/ only as `import type` (config imports core/errors and core/logger at run time)', () => {
    expect(LOCAL.filter((e) => isCore(e.from) && isConfig(e.to) && e.kind !== 'type').map(show)).toEqual([]);
  });

  it('config/ imports only the leaf modules of core (errors, logger, secrets) and nothing above it', () => {
    const allowed = new Set(['core/errors.ts', 'core/logger.ts', 'core/secrets.ts']);
    const bad = LOCAL.filter((e) => isConfig(e.from) && !isConfig(e.to) && !allowed.has(e.to));
    expect(bad.map(show)).toEqual([]);
    // ...and those leaves import nothing local, so the config -> core edge can never close a cycle.
    expect(LOCAL.filter((e) => allowed.has(e.from)).map(show)).toEqual([]);
    expect(EDGES.filter((e) => isConfig(e.from) && e.to.startsWith('@modelcontextprotocol/')).map(show)).toEqual([]);
  });

  it('core/app.ts does not reach into the layers built on it (core/llm): they find the app, not the reverse', () => {
    expect(LOCAL.filter((e) => e.from === 'core/app.ts' && under('core/llm')(e.to)).map(show)).toEqual([]);
  });

  it('commands/ never import mcp/ (both are adapters over core)', () => {
    expect(LOCAL.filter((e) => isCommands(e.from) && isMcp(e.to)).map(show)).toEqual([]);
  });

  it('mcp/ never imports commands/; nothing imports main.ts but cli.ts, and cli.ts only as a type', () => {
    expect(LOCAL.filter((e) => isMcp(e.from) && isCommands(e.to)).map(show)).toEqual([]);
    expect(LOCAL.filter((e) => e.to === 'main.ts' && e.from !== 'cli.ts').map(show)).toEqual([]);
    expect(LOCAL.filter((e) => e.to === 'cli.ts' && e.kind !== 'type').map(show)).toEqual([]);
  });

  it('cli.ts is import-free: its one import is the dynamic import of main.ts (signal handlers first)', () => {
    expect(EDGES.filter((e) => e.from === 'cli.ts').map(show)).toEqual(['cli.ts -> main.ts (dynamic)']);
  });

  it('the import graph has no cycle (all edges, types included)', () => {
    const next = new Map<string, string[]>();
    for (const e of LOCAL) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const dfs = (f: string) => {
      state.set(f, 'open');
      stack.push(f);
      for (const t of next.get(f) ?? []) {
        if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t].join(' -> '));
        else if (!state.has(t)) dfs(t);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of FILES) if (!state.has(f)) dfs(f);
    // cli.ts <-> main.ts is the one allowed loop: main.ts names cli's SignalControl type, cli.ts loads main lazily.
    expect(cycles.filter((c) => c !== 'cli.ts -> main.ts -> cli.ts' && c !== 'main.ts -> cli.ts -> main.ts')).toEqual([]);
  });

  it('cold start: nothing tools/list needs imports the LLM layer, the search index, Ed25519 or undici at load time', () => {
    // The static (load-time) closure of what the stdio server imports before its first tool call.
    const statics = new Map<string, string[]>();
    for (const e of EDGES) if (e.kind === 'static') statics.set(e.from, [...(statics.get(e.from) ?? []), e.to]);
    const seen = new Set<string>();
    const todo = ['main.ts', 'mcp/server.ts'];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f)) continue;
      seen.add(f);
      todo.push(...(statics.get(f) ?? []));
    }
    // core/llm/contract.ts and core/search/find-result.ts are tool schemas (and limits) that tools/list shows: they
    // may load, and import only zod at run time (find-result.ts also the import-free confidence constants).
    const light = new Set(['core/llm/contract.ts', 'core/search/find-result.ts', 'core/search/confidence.ts', 'core/passport/verify-result.ts']);
    const heavy = [...seen].filter(
      (f) =>
        ((under('core/llm')(f) || under('core/search')(f)) && !light.has(f)) ||
        f === 'core/passport/verify.ts' ||
        ['undici', 'eventsource-parser', '@noble/ed25519'].includes(f),
    );
    expect(heavy).toEqual([]);
    expect(EDGES.filter((e) => light.has(e.from) && e.kind !== 'type' && e.to !== 'zod' && !light.has(e.to)).map(show)).toEqual([]);
  });

  it('core/ and config/ never read process.env or write with console', () => {
    const bad: string[] = [];
    for (const f of FILES.filter((p) => isCore(p) || isConfig(p))) {
      const code = readFileSync(path.join(SRC, f), 'utf8')
        .split('\n')
        .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l));
      code.forEach((l, i) => {
        if (/\bprocess\.env\b|\bconsole\.[a-z]+\(/.test(l)) bad.push(`${f}:${i + 1}`);
      });
    }
    expect(bad).toEqual([]);
  });
});
