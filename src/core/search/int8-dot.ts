// Dot products of int8 vectors with WebAssembly SIMD: the closeness feature of intent search compares each word of
// an intent that a candidate lacks with every word of the candidate, thousands of 100-dimensional int8 dot products
// per search, and a JavaScript loop reads one byte at a time. The module is a single function, assembled here byte by
// byte (about a hundred bytes, nothing to build or download); each instruction is commented. Sums are exact integers
// either way, so the results are the same to the last bit as the JavaScript loop they replace.

/** `dot(a, b)`: the dot product of rows a and b of the table the kernel was made from. */
export interface Int8Dot {
  dot(a: number, b: number): number;
}

const leb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    out.push(b);
  } while (n);
  return out;
};
const section = (id: number, body: number[]) => [id, ...leb(body.length), ...body];
const vector = (items: number[][]) => [...leb(items.length), ...items.flat()];
const name = (s: string) => [...leb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];
const simd = (op: number) => [0xfd, ...leb(op)];
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const V128_LOAD_ALIGNED = [...simd(0x00), 4, 0]; // v128.load, 16-byte alignment, offset 0
const EXTEND_LOW = simd(0x87); // i16x8.extend_low_i8x16_s
const EXTEND_HIGH = simd(0x88); // i16x8.extend_high_i8x16_s
const DOT = simd(0xba); // i32x4.dot_i16x8_s: pairwise products of i16 lanes, summed into i32 lanes
const ADD = simd(0xae); // i32x4.add
const LANE = simd(0x1b); // i32x4.extract_lane

// (func (param $a i32) (param $b i32) (param $chunks i32) (result i32) (local $acc v128) (local $x v128) (local $y v128))
// Sums 16 bytes per step from byte offsets $a and $b, $chunks steps (at least one).
// prettier-ignore
const BODY = [
  1, 3, 0x7b, // three v128 locals: 3 $acc, 4 $x, 5 $y (zeroed)
  0x03, 0x40, // loop
  ...[LOCAL_GET, 0, ...V128_LOAD_ALIGNED, LOCAL_SET, 4], // $x = 16 bytes at $a
  ...[LOCAL_GET, 1, ...V128_LOAD_ALIGNED, LOCAL_SET, 5], // $y = 16 bytes at $b
  ...[LOCAL_GET, 3],
  ...[LOCAL_GET, 4, ...EXTEND_LOW, LOCAL_GET, 5, ...EXTEND_LOW, ...DOT, ...ADD], // $acc + low 8 bytes' products
  ...[LOCAL_GET, 4, ...EXTEND_HIGH, LOCAL_GET, 5, ...EXTEND_HIGH, ...DOT, ...ADD], // + high 8 bytes' products
  ...[LOCAL_SET, 3],
  ...[LOCAL_GET, 0, 0x41, 16, 0x6a, LOCAL_SET, 0], // $a += 16
  ...[LOCAL_GET, 1, 0x41, 16, 0x6a, LOCAL_SET, 1], // $b += 16
  ...[LOCAL_GET, 2, 0x41, 1, 0x6b, LOCAL_TEE, 2], // --$chunks
  ...[0x0d, 0], // br_if loop (while $chunks != 0)
  0x0b, // end loop
  ...[LOCAL_GET, 3, ...LANE, 0, LOCAL_GET, 3, ...LANE, 1, 0x6a], // lane 0 + lane 1
  ...[LOCAL_GET, 3, ...LANE, 2, 0x6a, LOCAL_GET, 3, ...LANE, 3, 0x6a], // + lane 2 + lane 3
  0x0b, // end function
];

// prettier-ignore
const MODULE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0], // "\0asm", version 1
  ...section(1, vector([[0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7f]])), // type 0: (i32, i32, i32) -> i32
  ...section(2, vector([[...name('m'), ...name('memory'), 0x02, 0x00, 0x01]])), // import m.memory, at least 1 page
  ...section(3, vector([[0]])), // function 0 has type 0
  ...section(7, vector([[...name('dot'), 0x00, 0]])), // export it as "dot"
  ...section(10, vector([[...leb(BODY.length), ...BODY]])), // its code
]);

interface WebAssemblyApi {
  Memory: new (d: { initial: number }) => { buffer: ArrayBuffer };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: object };
}

/**
 * A kernel over a copy of `count` rows of `dims` int8 values (row r at `r * dims` in `data`), each row padded with
 * zeros to a multiple of 16 bytes. Undefined where WebAssembly or its SIMD is missing: the caller keeps its own loop.
 */
export function int8Dot(data: Int8Array, count: number, dims: number): Int8Dot | undefined {
  // The part of the WebAssembly API used here (the compiler's libraries for Node do not declare it).
  const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
  if (!wasm || dims <= 0 || count <= 0) return undefined;
  try {
    const chunks = Math.ceil(dims / 16);
    const stride = chunks * 16;
    const memory = new wasm.Memory({ initial: Math.ceil((count * stride) / 65536) });
    const rows = new Int8Array(memory.buffer);
    for (let r = 0; r < count; r++) rows.set(data.subarray(r * dims, (r + 1) * dims), r * stride);
    const exports = new wasm.Instance(new wasm.Module(MODULE), { m: { memory } }).exports as {
      dot(a: number, b: number, chunks: number): number;
    };
    const dot = exports.dot;
    return { dot: (a, b) => dot(a * stride, b * stride, chunks) };
  } catch {
    return undefined;
  }
}
