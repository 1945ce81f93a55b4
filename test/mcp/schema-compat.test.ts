// Every tool schema, as a client sees it in tools/list, held to the rule sets of the model APIs agent frameworks
// send tools to: OpenAI strict function calling (what the OpenAI Agents SDK's strict conversion needs) and
// Gemini's function declarations (an OpenAPI 3.0 subset). The checkers are written from the vendors' documented
// rules, not from our schemas. Output schemas are compiled and checked against real results with ajv (Draft-07,
// the dialect they declare, and Draft 2020-12): a proxy for the Python SDK, which validates with `jsonschema`.
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcess } from '../support/in-process.js';
import { SEED_SLUG } from '../support/spawn.js';

type Schema = Record<string, any>;
const isObj = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Annotations every rule set ignores. */
const META = new Set(['description', 'title', 'default', 'examples', '$comment', 'deprecated', 'readOnly', 'writeOnly']);
const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);

/**
 * OpenAI strict mode (Structured Outputs "supported schemas", function calling with strict: true): every object
 * has additionalProperties: false and lists every property in `required` (optional ones become nullable), so an
 * object must declare its properties and must not be an open map; types string, number, integer, boolean, object,
 * array, enum, anyOf (not at the root); no oneOf, allOf, not, if/then/else, propertyNames, patternProperties,
 * dependent*, unevaluated*, prefixItems, contains; at most 10 levels of nesting and 5000 properties.
 * The OpenAI Agents SDK's converter (ensureStrictJsonSchema) adds: anyOf carries no sibling keyword but
 * annotations, an object inside an anyOf branch has no optional property (it cannot strip the synthetic nulls
 * there), every optional property has a type it can make nullable, and no node is typeless.
 * Length keywords (minLength, maxLength) pass: the Agents SDK keeps them, and they narrow nothing a model sends.
 */
const OPENAI_ALLOWED = new Set([
  ...META,
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'enum',
  '$ref',
  '$defs',
  'pattern',
  'format',
  'minLength',
  'maxLength',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);

export function openAiStrictProblems(root: Schema): string[] {
  const problems: string[] = [];
  let properties = 0;
  if (root.type !== 'object' || 'anyOf' in root) problems.push('root: must be type object, not anyOf');
  const walk = (s: unknown, path: string, depth: number, inAnyOfBranch: boolean) => {
    if (!isObj(s)) return void problems.push(`${path}: not a schema object`);
    for (const k of Object.keys(s))
      if (!OPENAI_ALLOWED.has(k) && !(path === '' && k === '$schema')) problems.push(`${path || 'root'}: unsupported keyword ${k}`);
    if (!('type' in s) && !('anyOf' in s) && !('enum' in s) && !('$ref' in s)) problems.push(`${path}: no type`);
    const types = [s.type].flat().filter((t) => t !== undefined);
    for (const t of types) if (!TYPES.has(t)) problems.push(`${path}: type ${t}`);
    if (Array.isArray(s.enum) && s.enum.length > 1000) problems.push(`${path}: enum over 1000 values`);
    if ('anyOf' in s) {
      for (const k of Object.keys(s)) if (k !== 'anyOf' && !META.has(k)) problems.push(`${path}: anyOf with sibling ${k}`);
      (s.anyOf as unknown[]).forEach((b, i) => walk(b, `${path}.anyOf[${i}]`, depth, true));
    }
    if (types.includes('object')) {
      if (depth > 10) problems.push(`${path}: more than 10 levels of nesting`);
      const props = isObj(s.properties) ? s.properties : {};
      if (!Object.keys(props).length) problems.push(`${path}: object without properties (strict mode would close it: it could carry nothing)`);
      if ('additionalProperties' in s && s.additionalProperties !== false)
        problems.push(`${path}: open map (additionalProperties) that strict mode cannot express`);
      const required = new Set<string>(s.required ?? []);
      for (const [k, v] of Object.entries(props)) {
        properties++;
        if (!required.has(k)) {
          if (inAnyOfBranch) problems.push(`${path}.${k}: optional property inside an anyOf branch`);
          if (!isObj(v) || (!('type' in v) && !('anyOf' in v))) problems.push(`${path}.${k}: optional property whose nullable form cannot be written`);
          else if ([v.type].flat().includes('null')) problems.push(`${path}.${k}: optional and already nullable (null would be ambiguous)`);
        }
        walk(v, `${path}.${k}`, depth + 1, false);
      }
    }
    if ('items' in s) walk(s.items, `${path}[]`, depth, false);
  };
  walk(root, '', 1, false);
  if (properties > 5000) problems.push(`more than 5000 properties`);
  return problems;
}

/** The conversion strict mode needs: close every object, require every property, make optional ones nullable. */
export function toOpenAiStrict(s: Schema): Schema {
  const out: Schema = { ...s };
  if (isObj(s.properties)) {
    const required = new Set<string>(s.required ?? []);
    out.properties = Object.fromEntries(
      Object.entries(s.properties).map(([k, v]) => {
        const c = toOpenAiStrict(v as Schema);
        if (required.has(k)) return [k, c];
        return [k, 'anyOf' in c ? { ...c, anyOf: [...c.anyOf, { type: 'null' }] } : { ...c, type: [c.type, 'null'].flat() }];
      }),
    );
    out.required = Object.keys(s.properties);
    out.additionalProperties = false;
  }
  if (isObj(s.items)) out.items = toOpenAiStrict(s.items);
  if (Array.isArray(s.anyOf)) out.anyOf = s.anyOf.map((b: Schema) => toOpenAiStrict(b));
  return out;
}

/**
 * Gemini function declarations (`parameters` is a Schema, an OpenAPI 3.0 subset): type (one of STRING, NUMBER,
 * INTEGER, BOOLEAN, ARRAY, OBJECT, NULL), format, title, description, nullable, enum (strings), minItems,
 * maxItems, properties, required, minProperties, maxProperties, minLength, maxLength, pattern, example, anyOf,
 * propertyOrdering, default, items, minimum, maximum. No oneOf, allOf, const, not, $ref, propertyNames or open
 * maps; an object must have properties; a node without a type (and no anyOf) is rejected.
 */
const GEMINI_ALLOWED = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'minItems',
  'maxItems',
  'properties',
  'required',
  'minProperties',
  'maxProperties',
  'minLength',
  'maxLength',
  'pattern',
  'example',
  'anyOf',
  'propertyOrdering',
  'default',
  'items',
  'minimum',
  'maximum',
]);

export function geminiProblems(root: Schema): string[] {
  const problems: string[] = [];
  const walk = (s: unknown, path: string) => {
    if (!isObj(s)) return void problems.push(`${path}: not a schema object`);
    for (const k of Object.keys(s)) {
      // $schema at the root and additionalProperties: false are dropped by the converters without loss.
      if (path === '' && k === '$schema') continue;
      if (k === 'additionalProperties' && s[k] === false) continue;
      if (!GEMINI_ALLOWED.has(k)) problems.push(`${path || 'root'}: unsupported keyword ${k}`);
    }
    if (!('anyOf' in s)) {
      if (typeof s.type !== 'string' || !TYPES.has(s.type)) problems.push(`${path || 'root'}: needs exactly one type (got ${JSON.stringify(s.type)})`);
    } else (s.anyOf as unknown[]).forEach((b, i) => walk(b, `${path}.anyOf[${i}]`));
    if ('enum' in s && (s.type !== 'string' || !(s.enum as unknown[]).every((v) => typeof v === 'string')))
      problems.push(`${path}: enum must be strings on a string`);
    if ('format' in s && !['enum', 'date-time', 'int32', 'int64', 'float', 'double'].includes(s.format)) problems.push(`${path}: format ${s.format}`);
    if (s.type === 'object') {
      if (!isObj(s.properties) || !Object.keys(s.properties).length) problems.push(`${path || 'root'}: object without properties`);
      for (const [k, v] of Object.entries(isObj(s.properties) ? s.properties : {})) walk(v, `${path}.${k}`);
    }
    if ('items' in s) walk(s.items, `${path}[]`);
  };
  walk(root, '');
  return problems;
}

describe('the rule checkers catch what the frameworks reject', () => {
  it('flags oneOf, propertyNames, const, property-less and typeless objects, open maps', () => {
    // The shapes the tools had before (issue 13.3): a record for verify_passport.passport, oneOf with const.
    const before = {
      type: 'object',
      properties: {
        passport: { description: 'd', anyOf: [{ type: 'string' }, { type: 'object', propertyNames: { type: 'string' }, additionalProperties: {} }] },
        response_format: { oneOf: [{ type: 'object', properties: { type: { type: 'string', const: 'text' } }, required: ['type'] }] },
        loose: {},
      },
    };
    const openai = openAiStrictProblems(before).join('\n');
    expect(openai).toMatch(/unsupported keyword propertyNames/);
    expect(openai).toMatch(/open map/);
    expect(openai).toMatch(/unsupported keyword oneOf/);
    expect(openai).toMatch(/loose: no type/);
    const gemini = geminiProblems(before).join('\n');
    expect(gemini).toMatch(/unsupported keyword oneOf/);
    expect(gemini).toMatch(/passport\.anyOf\[1\]: object without properties/);
    expect(gemini).toMatch(/loose: needs exactly one type/);
    expect(geminiProblems({ type: 'object', properties: { t: { type: 'string', const: 'x' } } }).join()).toMatch(/const/);
    // Optional properties inside anyOf branches cannot be normalised by the Agents SDK.
    expect(openAiStrictProblems({ type: 'object', properties: { r: { anyOf: [{ type: 'object', properties: { a: { type: 'string' } } }] } } }).join()).toMatch(
      /inside an anyOf branch/,
    );
  });

  it('passes a schema written the strict way', () => {
    const good = { type: 'object', properties: { a: { type: 'string', description: 'x' }, b: { type: 'array', items: { type: 'integer' } } }, required: ['a'] };
    expect(openAiStrictProblems(good)).toEqual([]);
    expect(geminiProblems(good)).toEqual([]);
  });
});

// The schemas as a client sees them in tools/list, from the server the CLI runs, in process: test/e2e/
// in-process-parity.test.ts holds its tools/list equal to the built binary's.
describe('every tool schema converts cleanly', () => {
  let s: InProcess;
  let tools: { name: string; inputSchema: Schema; outputSchema?: Schema }[];
  beforeAll(async () => {
    s = await startInProcess();
    tools = (await s.client.listTools()).tools as typeof tools;
  });
  afterAll(async () => s?.close());

  it('input schemas: OpenAI strict mode (as the Agents SDK converts them)', () => {
    for (const t of tools) {
      expect(openAiStrictProblems(t.inputSchema), t.name).toEqual([]);
      // The converted form holds the invariants strict mode checks: closed objects, everything required.
      const strict = toOpenAiStrict(t.inputSchema);
      const objects: Schema[] = [];
      const collect = (x: unknown) => {
        if (!isObj(x)) return;
        if (x.type === 'object' || [x.type].flat().includes('object')) objects.push(x);
        for (const v of Object.values(x)) if (isObj(v) || Array.isArray(v)) [v].flat().forEach(collect);
      };
      collect(strict);
      for (const o of objects) {
        expect(o.additionalProperties, t.name).toBe(false);
        expect([...(o.required ?? [])].sort(), t.name).toEqual(Object.keys(o.properties).sort());
      }
      expect(() => new Ajv({ strict: false }).compile(strict), t.name).not.toThrow();
    }
  });

  it("input schemas: Gemini's function-declaration subset", () => {
    for (const t of tools) expect(geminiProblems(t.inputSchema), t.name).toEqual([]);
  });

  it('nothing the tools accepted is lost: an object passport and an object response schema still pass', async () => {
    const { readFileSync } = await import('node:fs');
    const { SEED } = await import('../support/spawn.js');
    const doc = JSON.parse(readFileSync(SEED, 'utf8'));
    const asObject = await s.client.callTool({ name: 'verify_passport', arguments: { passport: doc } });
    const asText = await s.client.callTool({ name: 'verify_passport', arguments: { passport: JSON.stringify(doc) } });
    expect(asObject.isError).toBeFalsy();
    expect(asObject.structuredContent).toEqual(asText.structuredContent);
    expect((asObject.structuredContent as { slug: string }).slug).toBe(SEED_SLUG);
    // response_format is checked before any upstream is asked: with no provider configured the call fails on
    // that, not on the arguments, for each accepted shape; a malformed one is refused by name.
    const args = (rf: unknown) => ({ name: 'invoke_model', arguments: { prompt: 'x', response_format: rf } });
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    for (const rf of [
      { type: 'json_object' },
      { type: 'json_schema', json_schema: { name: 'n', schema } },
      { type: 'json_schema', json_schema: { name: 'n', schema: JSON.stringify(schema), strict: true } },
    ]) {
      const r = await s.client.callTool(args(rf));
      expect(JSON.stringify(r.content), JSON.stringify(rf)).not.toMatch(/response_format|Invalid arguments/);
    }
    for (const [rf, msg] of [
      [{ type: 'json_schema' }, /json_schema: required/],
      [{ type: 'json_schema', json_schema: { name: 'n', schema: '[1,2]' } }, /schema: not a JSON object/],
      [{ type: 'xml' }, /response_format/],
    ] as const) {
      const r = await s.client.callTool(args(rf)).catch((err: Error) => ({ isError: true, content: [{ type: 'text', text: err.message }] }));
      expect(r.isError, JSON.stringify(rf)).toBe(true);
      expect(JSON.stringify(r.content)).toMatch(msg);
    }
  });

  it('output schemas compile (Draft-07 as declared, and Draft 2020-12) and accept real results', async () => {
    const draft7 = new Ajv({ strict: false, allErrors: true });
    const draft2020 = new Ajv2020({ strict: false, allErrors: true });
    const results: Record<string, unknown> = {
      find_capability_by_intent: (await s.client.callTool({ name: 'find_capability_by_intent', arguments: { intent: 'describe an image' } })).structuredContent,
      verify_passport: (await s.client.callTool({ name: 'verify_passport', arguments: { slug: SEED_SLUG } })).structuredContent,
      get_failure_modes: (await s.client.callTool({ name: 'get_failure_modes', arguments: { slug: SEED_SLUG } })).structuredContent,
    };
    for (const t of tools) {
      expect(t.outputSchema, t.name).toBeDefined();
      const v7 = draft7.compile(t.outputSchema!);
      const { $schema: _declared, ...body } = t.outputSchema!;
      const v2020 = draft2020.compile(body);
      if (results[t.name] === undefined) continue;
      expect(v7(results[t.name]), `${t.name}: ${JSON.stringify(v7.errors)}`).toBe(true);
      expect(v2020(results[t.name]), `${t.name}: ${JSON.stringify(v2020.errors)}`).toBe(true);
    }
  });
});
