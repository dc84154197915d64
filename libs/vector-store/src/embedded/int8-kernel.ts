/**
 * The scan kernel of the embedded store: int8 dot products in WebAssembly
 * SIMD (i32x4.dot_i16x8_s), about 4x the throughput of scalar float32 in
 * JavaScript (V8 does not vectorise loops) on a quarter of the memory traffic.
 * Vectors are quantised per vector (codes in [-127, 127] with one float scale);
 * queries to int16 in [-4095, 4095], so 512-dimensional sums stay far from
 * int32 overflow. Candidates found on codes are re-scored with the float32
 * originals, so quantisation error only affects which candidates are kept.
 *
 * The module is assembled below from its instructions (no toolchain needed),
 * equivalent to this WebAssembly text:
 *
 *   (module (import "env" "memory" (memory 1 65536))
 *     ;; scores[i] = codes[first + i] · query, for count vectors of `stride` bytes
 *     (func (export "dotRange") (param $codes i32) (param $first i32) (param $count i32)
 *                               (param $stride i32) (param $query i32) (param $out i32) ...)
 *     ;; scores[i] = codes[slots[i]] · query
 *     (func (export "dotSlots") (param $codes i32) (param $slots i32) (param $count i32)
 *                               (param $stride i32) (param $query i32) (param $out i32) ...))
 *
 * where each dot product loops over 16 codes at a time: load 16 int8 codes,
 * sign-extend the low and high halves to int16x8, multiply-add each with 8
 * int16 query values into an int32x4 accumulator, and add its 4 lanes.
 */

/** Query values are scaled to this magnitude (int16, kept small enough to sum 4096 dimensions without overflow). */
export const QUERY_SCALE = 4095;
/** Vector codes are scaled to this magnitude (int8). */
export const CODE_SCALE = 127;

// --- a tiny assembler: just the instructions the two functions need ---
const uleb = (value: number): number[] => {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
};
const sleb = (value: number): number[] => {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    if ((value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0)) {
      bytes.push(byte);
      return bytes;
    }
    bytes.push(byte | 0x80);
  }
};
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (text: string): number[] => vec([...Buffer.from(text)].map((byte) => [byte]));

const I32 = 0x7f;
const V128 = 0x7b;
const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  get: (local: number) => [0x20, ...uleb(local)],
  set: (local: number) => [0x21, ...uleb(local)],
  i32: (value: number) => [0x41, ...sleb(value)],
  i32Load: [0x28, 0x02, 0x00],
  i32Store: [0x36, 0x02, 0x00],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  v128Load: (offset: number) => [0xfd, 0x00, 0x00, ...uleb(offset)],
  i32x4Splat: [0xfd, ...uleb(0x11)],
  i32x4ExtractLane: (lane: number) => [0xfd, ...uleb(0x1b), lane],
  i16x8ExtendLowI8x16S: [0xfd, ...uleb(0x87)],
  i16x8ExtendHighI8x16S: [0xfd, ...uleb(0x88)],
  i32x4Add: [0xfd, ...uleb(0xae)],
  i32x4DotI16x8S: [0xfd, ...uleb(0xba)],
};

/**
 * Body of one kernel. Params: 0 codes, 1 first|slots, 2 count, 3 stride, 4 query, 5 out.
 * Locals: 6 i, 7 p (vector address), 8 j (byte offset in the vector), 9 acc (v128), 10 v (v128).
 */
function kernelBody(bySlots: boolean): number[] {
  const [CODES, FIRST, COUNT, STRIDE, QUERY, OUT, I, P, J, ACC, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const vectorAddress = bySlots
    ? [...op.get(FIRST), ...op.get(I), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load] // slots[i]
    : [...op.get(FIRST), ...op.get(I), ...op.i32Add];
  const code = [
    ...op.i32(0), ...op.set(I),
    ...op.block, ...op.loop,
    ...op.get(I), ...op.get(COUNT), ...op.i32GeU, ...op.brIf(1),
    ...vectorAddress, ...op.get(STRIDE), ...op.i32Mul, ...op.get(CODES), ...op.i32Add, ...op.set(P),
    ...op.i32(0), ...op.i32x4Splat, ...op.set(ACC),
    ...op.i32(0), ...op.set(J),
    ...op.block, ...op.loop,
    ...op.get(J), ...op.get(STRIDE), ...op.i32GeU, ...op.brIf(1),
    // v = 16 codes at p + j
    ...op.get(P), ...op.get(J), ...op.i32Add, ...op.v128Load(0), ...op.set(V),
    // acc += dot(low 8 codes, query[j .. j+8]) + dot(high 8 codes, query[j+8 .. j+16]); query is int16, at query + 2j
    ...op.get(ACC),
    ...op.get(V), ...op.i16x8ExtendLowI8x16S,
    ...op.get(QUERY), ...op.get(J), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...op.v128Load(0),
    ...op.i32x4DotI16x8S, ...op.i32x4Add,
    ...op.get(V), ...op.i16x8ExtendHighI8x16S,
    ...op.get(QUERY), ...op.get(J), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...op.v128Load(16),
    ...op.i32x4DotI16x8S, ...op.i32x4Add,
    ...op.set(ACC),
    ...op.get(J), ...op.i32(16), ...op.i32Add, ...op.set(J),
    ...op.br(0), ...op.end, ...op.end,
    // out[i] = sum of acc's lanes
    ...op.get(OUT), ...op.get(I), ...op.i32(2), ...op.i32Shl, ...op.i32Add,
    ...op.get(ACC), ...op.i32x4ExtractLane(0),
    ...op.get(ACC), ...op.i32x4ExtractLane(1), ...op.i32Add,
    ...op.get(ACC), ...op.i32x4ExtractLane(2), ...op.i32Add,
    ...op.get(ACC), ...op.i32x4ExtractLane(3), ...op.i32Add,
    ...op.i32Store,
    ...op.get(I), ...op.i32(1), ...op.i32Add, ...op.set(I),
    ...op.br(0), ...op.end, ...op.end,
    ...op.end,
  ];
  const locals = vec([[3, I32], [2, V128]]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

function assemble(): Uint8Array<ArrayBuffer> {
  const type = section(1, vec([[0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([])]]));
  const imports = section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x01, ...uleb(1), ...uleb(65536)]]));
  const functions = section(3, vec([[0], [0]]));
  const exports = section(7, vec([[...name('dotRange'), 0x00, 0], [...name('dotSlots'), 0x00, 1]]));
  const code = section(10, vec([kernelBody(false), kernelBody(true)]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...functions, ...exports, ...code]);
}

let compiled: WebAssembly.Module | null | undefined;

/** The compiled kernel module, or null where WebAssembly SIMD is unavailable (the store then scans float32 in JavaScript). */
export function int8KernelModule(): WebAssembly.Module | null {
  if (compiled === undefined) {
    const bytes = assemble();
    compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
  }
  return compiled;
}

const PAGE = 65536;

/**
 * Int8 codes of one collection's vectors in WebAssembly memory, by slot.
 * Layout: [query int16 | scores int32 x chunk | slots int32 x chunk | codes (stride bytes per slot)].
 */
export class Int8Codes {
  readonly stride: number;
  private readonly memory: WebAssembly.Memory;
  private readonly dotRange: (codes: number, first: number, count: number, stride: number, query: number, out: number) => void;
  private readonly dotSlots: (codes: number, slots: number, count: number, stride: number, query: number, out: number) => void;
  private readonly queryAt: number;
  private readonly scoresAt: number;
  private readonly slotsAt: number;
  private readonly codesAt: number;
  private capacity = 0;
  /** Per-slot dequantisation scale: code x scale ≈ value. */
  private scales = new Float32Array(0);
  private bytes!: Int8Array;
  private query16!: Int16Array;
  private scoreView!: Int32Array;
  private slotView!: Int32Array;

  static readonly CHUNK = 16_384;

  constructor(
    module: WebAssembly.Module,
    readonly dimension: number,
  ) {
    this.stride = Math.ceil(dimension / 16) * 16;
    this.queryAt = 0;
    this.scoresAt = align(this.stride * 2);
    this.slotsAt = this.scoresAt + Int8Codes.CHUNK * 4;
    this.codesAt = align(this.slotsAt + Int8Codes.CHUNK * 4);
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(this.codesAt / PAGE) + 1, maximum: 65536 });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.dotRange = instance.exports.dotRange as Int8Codes['dotRange'];
    this.dotSlots = instance.exports.dotSlots as Int8Codes['dotSlots'];
    this.refreshViews();
  }

  /** Makes room for `slots` vectors (memory only grows). */
  reserve(slots: number): void {
    if (slots <= this.capacity) return;
    const needed = this.codesAt + slots * this.stride;
    const pages = Math.ceil(needed / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    const scales = new Float32Array(slots);
    scales.set(this.scales);
    this.scales = scales;
    this.capacity = slots;
    this.refreshViews();
  }

  /** Quantises the (unit) vector stored at `offset` of `data` into `slot`. */
  encode(slot: number, data: Float32Array, offset: number): void {
    if (slot >= this.capacity) this.reserve(Math.max(slot + 1, this.capacity * 2, 1024));
    let max = 0;
    for (let d = 0; d < this.dimension; d++) max = Math.max(max, Math.abs(data[offset + d]));
    const scale = max > 0 ? max / CODE_SCALE : 1;
    const base = this.codesAt + slot * this.stride;
    for (let d = 0; d < this.dimension; d++) this.bytes[base + d] = Math.round(data[offset + d] / scale);
    this.scales[slot] = scale;
  }

  /** Loads a query; returns its dequantisation scale. */
  setQuery(query: Float32Array): number {
    let max = 0;
    for (let d = 0; d < this.dimension; d++) max = Math.max(max, Math.abs(query[d]));
    const scale = max > 0 ? max / QUERY_SCALE : 1;
    this.query16.fill(0);
    for (let d = 0; d < this.dimension; d++) this.query16[d] = Math.round(query[d] / scale);
    return scale;
  }

  /** Approximate dot products of the loaded query with slots [first, first + count) (count ≤ CHUNK), as raw int32 sums. */
  scoreRange(first: number, count: number): Int32Array {
    this.dotRange(this.codesAt, first, count, this.stride, this.queryAt, this.scoresAt);
    return this.scoreView.subarray(0, count);
  }

  /** Approximate dot products with the given slots (≤ CHUNK), as raw int32 sums. */
  scoreSlots(slots: Int32Array): Int32Array {
    this.slotView.set(slots);
    this.dotSlots(this.codesAt, this.slotsAt, slots.length, this.stride, this.queryAt, this.scoresAt);
    return this.scoreView.subarray(0, slots.length);
  }

  scaleOf(slot: number): number {
    return this.scales[slot];
  }

  get scaleArray(): Float32Array {
    return this.scales;
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    this.bytes = new Int8Array(buffer);
    this.query16 = new Int16Array(buffer, this.queryAt, this.stride);
    this.scoreView = new Int32Array(buffer, this.scoresAt, Int8Codes.CHUNK);
    this.slotView = new Int32Array(buffer, this.slotsAt, Int8Codes.CHUNK);
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
