// fast-check generators for hostile tool arguments: what a model steering tool calls could send.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { SEED, SEED_SLUG } from '../support/spawn.js';
import { binaryUnit } from './units.js';

export const SEED_TEXT = readFileSync(SEED, 'utf8');

/** Any UTF-16 code unit, lone surrogates included (fc's 'binary' unit never makes those). */
const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: binaryUnit, maxLength: 300 }),
  fc.string({ unit: anyUnit, maxLength: 300 }),
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.constantFrom(
    '',
    ' ',
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    '../../../../etc/passwd',
    '/etc/passwd',
    'C:\\Windows\\win.ini',
    '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    'passport://../x',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '${user_config.X}',
    '{{7*7}}',
    "'; DROP TABLE passports; --",
    '<script>alert(1)</script>',
    '\u202e\u2066evil',
    'ｍｉｓｔｒａｌ',
    SEED_SLUG,
    `${SEED_SLUG}\u0000`,
    `${SEED_SLUG} `,
    `${SEED_SLUG}/../${SEED_SLUG}`,
  ),
  // Huge strings: 10 KB to 1.5 M units of one repeated unit. Bounded so the JSON-escaped request stays under the
  // SDK's 10 MB stdio line limit (a lone surrogate escapes to 6 bytes); past it see protocol.test.ts.
  fc
    .tuple(fc.integer({ min: 10_000, max: 1_500_000 }), fc.constantFrom('a', 'é', '\ud83d\ude00', '\ud800', '[', '{"a":', ' '))
    .map(([n, c]) => c.repeat(Math.ceil(n / c.length))),
);

/** Numbers and number-like strings: NaN-like text, huge exponents, negative zero, beyond 2^53. */
export const hostileNumber: fc.Arbitrary<unknown> = fc.oneof(
  fc.double(), // includes NaN and ±Infinity (JSON sends them as null) and -0
  fc.integer(),
  fc.constantFrom(0, -1, 0.5, 51, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, 2 ** 64),
  fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e999', '-1e999', '0x10', '1_000', ' 5 ', '', '-0', '9007199254740993', '5', 'true'),
);

/** Plain JSON with `__proto__` / `constructor` / `prototype` keys as own properties (made by JSON.parse). */
export const protoObject: fc.Arbitrary<unknown> = fc
  .tuple(
    fc.constantFrom('__proto__', 'constructor', 'prototype'),
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom('polluted', 'isAdmin', 'unfragile', 'passport'),
  )
  .map(([k, v, marker]) =>
    JSON.parse(
      k === 'constructor'
        ? `{"constructor":{"prototype":{"${marker}":${JSON.stringify(v) ?? 'null'}}}}`
        : `{"${k}":{"${marker}":${JSON.stringify(v) ?? 'null'}},"x":1}`,
    ),
  );

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 2, arbitrary: hostileNumber },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 5 }) },
  { weight: 2, arbitrary: protoObject },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
);

/** Mutations of the seed passport text: cut, byte-flipped, key-duplicated, wrapped. */
export const passportTextArb: fc.Arbitrary<string> = fc.oneof(
  fc.nat({ max: SEED_TEXT.length }).map((n) => SEED_TEXT.slice(0, n)),
  fc.tuple(fc.nat({ max: SEED_TEXT.length - 1 }), fc.integer({ min: 1, max: 127 })).map(([i, x]) => {
    const b = Buffer.from(SEED_TEXT);
    b[i % b.length] = b[i % b.length]! ^ x;
    return b.toString('utf8');
  }),
  fc.constant(SEED_TEXT.replace('"slug":', '"slug":"dup","slug":')),
  fc.constant(SEED_TEXT.replace('"unfragile":{', '"unfragile":{"__proto__":{"polluted":true},')),
  fc.constant(SEED_TEXT.replace(/"score":\s*\d+/, '"score": 123456789012345678901234567890')),
  fc.constant(`[${SEED_TEXT},${SEED_TEXT}]`),
  fc.constant(`${'['.repeat(5000)}${']'.repeat(5000)}`),
);

export const passportObjectArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(JSON.parse(SEED_TEXT)),
  fc.constant({ passport: {} }),
  fc.constant({ passport: { unfragile: null } }),
  fc.constant({ passport: { unfragile: 'x', signature: 5 } }),
  fc.constant({ unfragile: { artifact: [], capabilities: {} } }),
  fc.constant({ passport: JSON.parse(SEED_TEXT).passport, signature: 'AAAA' }),
  protoObject,
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(hostileString, hostileValue, { maxKeys: 5 }),
);

/** Arguments for one tool: its own property names (and some others) with hostile values, or a wrong-typed whole. */
export function argsFor(_tool: string, props: string[]): fc.Arbitrary<unknown> {
  const specific = new Map<string, fc.Arbitrary<unknown>>(
    Object.entries({
      intent: fc.oneof(hostileString, fc.string({ minLength: 1, maxLength: 2000 }), fc.constantFrom('describe an image', 'read text from a screenshot')),
      limit: fc.oneof(hostileNumber, fc.integer({ min: 1, max: 50 })),
      min_trust_score: fc.oneof(hostileNumber, fc.double({ min: 0, max: 100, noNaN: true })),
      verified_only: fc.oneof(fc.boolean(), hostileValue),
      slug: fc.oneof(hostileString, fc.constant(SEED_SLUG)),
      capability_id: hostileString,
      passport: fc.oneof(passportTextArb, passportObjectArb, hostileValue),
    }),
  );
  const keyArb = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...props) },
    { weight: 1, arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString') },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  );
  const entries = fc.array(
    keyArb.chain((k) => (specific.get(k) ?? hostileValue).map((v) => [k, v] as const)),
    { maxLength: Math.max(3, props.length + 1) },
  );
  const asObject = entries.map((kvs) => {
    // Built with defineProperty so "__proto__" becomes an own key, the way JSON.parse makes it on the server.
    const o: Record<string, unknown> = {};
    for (const [k, v] of kvs) Object.defineProperty(o, k, { value: v, enumerable: true, configurable: true, writable: true });
    return o;
  });
  return fc.oneof({ weight: 8, arbitrary: asObject }, { weight: 1, arbitrary: hostileValue.map((v) => ({ wrapped: v })) });
}
