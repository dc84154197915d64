/**
 * The scan kernel of the embedded store: int8 dot products in WebAssembly
 * SIMD (i32x4.dot_i16x8_s), about 4x the throughput of scalar float32 in
 * JavaScript (V8 does not vectorise loops) on a quarter of the memory traffic.
 * Vectors are quantised per vector (codes in [-127, 127] with one float scale);
 * queries to int16 in [-4095, 4095], so 512-dimensional sums stay far from
 * int32 overflow. Candidates found on codes are re-scored with the float32
 * originals, so quantisation error only affects which candidates are kept.
 *
 * Each slot holds a record of `stride` code bytes (the dimension rounded up
 * to 16) followed by its float32 scale, padded to 16 bytes.
 *
 * The module is assembled below from its instructions (no toolchain needed),
 * equivalent to this WebAssembly text:
 *
 *   (module (import "env" "memory" (memory 1 65536))
 *     ;; out[i] = codes(first + i) · query as raw int32 sums
 *     (func (export "dotRange") (param $codes $first $count $stride $record $query $out i32))
 *     ;; out[i] = codes(slots[i]) · query
 *     (func (export "dotSlots") (param $codes $slots $count $stride $record $query $out i32))
 *     ;; the slots whose score (sum x query scale x slot scale) beats $floor, with their scores;
 *     ;; returns how many (the scan's hot loop: JavaScript only sees promising candidates)
 *     (func (export "selectRange") (param $codes $first $count $stride $record $query i32)
 *                                  (param $queryScale $floor f32) (param $outSlots $outScores i32) (result i32))
 *     (func (export "selectSlots") ... same with $slots ...))
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

const F32 = 0x7d;
const f32op = {
  load: (offset: number) => [0x2a, 0x02, ...uleb(offset)],
  store: [0x38, 0x02, 0x00],
  convertI32S: [0xb2],
  mul: [0x94],
  gt: [0x5e],
};
const ifBlock = [0x04, 0x40];

/**
 * One kernel body. Params: 0 codes, 1 first|slots, 2 count, 3 stride, 4 record, 5 query,
 * then for dot: 6 out; for select: 6 queryScale (f32), 7 floor (f32), 8 outSlots, 9 outScores.
 */
function kernelBody(bySlots: boolean, select: boolean): number[] {
  const [CODES, FIRST, COUNT, STRIDE, RECORD, QUERY] = [0, 1, 2, 3, 4, 5];
  const [OUT, QUERY_SCALE, FLOOR, OUT_SLOTS, OUT_SCORES] = [6, 6, 7, 8, 9];
  const firstLocal = select ? 10 : 7;
  // i32 locals: i, slot, p, j, n; v128 locals: acc, v; f32 local: score.
  const [I, SLOT, P, J, N, ACC, V, SCORE] = [
    firstLocal,
    firstLocal + 1,
    firstLocal + 2,
    firstLocal + 3,
    firstLocal + 4,
    firstLocal + 5,
    firstLocal + 6,
    firstLocal + 7,
  ];
  const slotOf = bySlots
    ? [...op.get(FIRST), ...op.get(I), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.i32Load]
    : [...op.get(FIRST), ...op.get(I), ...op.i32Add];
  const sumOfLanes = [
    ...op.get(ACC),
    ...op.i32x4ExtractLane(0),
    ...op.get(ACC),
    ...op.i32x4ExtractLane(1),
    ...op.i32Add,
    ...op.get(ACC),
    ...op.i32x4ExtractLane(2),
    ...op.i32Add,
    ...op.get(ACC),
    ...op.i32x4ExtractLane(3),
    ...op.i32Add,
  ];
  const emit = select
    ? [
        // score = f32(sum) * queryScale * scale(slot); if score > floor: outSlots[n] = slot, outScores[n] = score, n++
        ...sumOfLanes,
        ...f32op.convertI32S,
        ...op.get(QUERY_SCALE),
        ...f32op.mul,
        ...op.get(P),
        ...op.get(STRIDE),
        ...op.i32Add,
        ...f32op.load(0),
        ...f32op.mul,
        ...op.set(SCORE),
        ...op.get(SCORE),
        ...op.get(FLOOR),
        ...f32op.gt,
        ...ifBlock,
        ...op.get(OUT_SLOTS),
        ...op.get(N),
        ...op.i32(2),
        ...op.i32Shl,
        ...op.i32Add,
        ...op.get(SLOT),
        ...op.i32Store,
        ...op.get(OUT_SCORES),
        ...op.get(N),
        ...op.i32(2),
        ...op.i32Shl,
        ...op.i32Add,
        ...op.get(SCORE),
        ...f32op.store,
        ...op.get(N),
        ...op.i32(1),
        ...op.i32Add,
        ...op.set(N),
        ...op.end,
      ]
    : [...op.get(OUT), ...op.get(I), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...sumOfLanes, ...op.i32Store];
  const code = [
    ...op.i32(0),
    ...op.set(I),
    ...op.i32(0),
    ...op.set(N),
    ...op.block,
    ...op.loop,
    ...op.get(I),
    ...op.get(COUNT),
    ...op.i32GeU,
    ...op.brIf(1),
    ...slotOf,
    ...op.set(SLOT),
    ...op.get(SLOT),
    ...op.get(RECORD),
    ...op.i32Mul,
    ...op.get(CODES),
    ...op.i32Add,
    ...op.set(P),
    ...op.i32(0),
    ...op.i32x4Splat,
    ...op.set(ACC),
    ...op.i32(0),
    ...op.set(J),
    ...op.block,
    ...op.loop,
    ...op.get(J),
    ...op.get(STRIDE),
    ...op.i32GeU,
    ...op.brIf(1),
    // v = 16 codes at p + j
    ...op.get(P),
    ...op.get(J),
    ...op.i32Add,
    ...op.v128Load(0),
    ...op.set(V),
    // acc += dot(low 8 codes, query[j .. j+8]) + dot(high 8 codes, query[j+8 .. j+16]); the query is int16, at query + 2j
    ...op.get(ACC),
    ...op.get(V),
    ...op.i16x8ExtendLowI8x16S,
    ...op.get(QUERY),
    ...op.get(J),
    ...op.i32(1),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.v128Load(0),
    ...op.i32x4DotI16x8S,
    ...op.i32x4Add,
    ...op.get(V),
    ...op.i16x8ExtendHighI8x16S,
    ...op.get(QUERY),
    ...op.get(J),
    ...op.i32(1),
    ...op.i32Shl,
    ...op.i32Add,
    ...op.v128Load(16),
    ...op.i32x4DotI16x8S,
    ...op.i32x4Add,
    ...op.set(ACC),
    ...op.get(J),
    ...op.i32(16),
    ...op.i32Add,
    ...op.set(J),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...emit,
    ...op.get(I),
    ...op.i32(1),
    ...op.i32Add,
    ...op.set(I),
    ...op.br(0),
    ...op.end,
    ...op.end,
    ...(select ? op.get(N) : []),
    ...op.end,
  ];
  const locals = vec([
    [5, I32],
    [2, V128],
    [1, F32],
  ]);
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

function assemble(shared: boolean): Uint8Array<ArrayBuffer> {
  const dotType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32], [I32]]), ...vec([])];
  const selectType = [0x60, ...vec([[I32], [I32], [I32], [I32], [I32], [I32], [F32], [F32], [I32], [I32]]), ...vec([[I32]])];
  const type = section(1, vec([dotType, selectType]));
  // Memory limits flag: 0x01 = has a maximum; 0x03 = shared too (threads may scan the same codes).
  const imports = section(2, vec([[...name('env'), ...name('memory'), 0x02, shared ? 0x03 : 0x01, ...uleb(1), ...uleb(65536)]]));
  const functions = section(3, vec([[0], [0], [1], [1]]));
  const exports = section(
    7,
    vec([
      [...name('dotRange'), 0x00, 0],
      [...name('dotSlots'), 0x00, 1],
      [...name('selectRange'), 0x00, 2],
      [...name('selectSlots'), 0x00, 3],
    ]),
  );
  const code = section(10, vec([kernelBody(false, false), kernelBody(true, false), kernelBody(false, true), kernelBody(true, true)]));
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...type, ...imports, ...functions, ...exports, ...code]);
}

const compiled = new Map<boolean, WebAssembly.Module | null>();

/**
 * The compiled kernel module, or null where WebAssembly SIMD is unavailable
 * (the store then scans float32 in JavaScript). `shared`: the variant over a
 * shared memory, so a worker thread can scan half of the codes.
 */
export function int8KernelModule(shared = false): WebAssembly.Module | null {
  if (!compiled.has(shared)) {
    const bytes = assemble(shared);
    let module: WebAssembly.Module | null = null;
    try {
      module = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null;
    } catch {
      module = null;
    }
    compiled.set(shared, module);
  }
  return compiled.get(shared) ?? null;
}

const PAGE = 65536;
type DotKernel = (codes: number, first: number, count: number, stride: number, record: number, query: number, out: number) => void;
type SelectKernel = (
  codes: number,
  first: number,
  count: number,
  stride: number,
  record: number,
  query: number,
  queryScale: number,
  floor: number,
  outSlots: number,
  outScores: number,
) => number;

/**
 * Int8 codes of one collection's vectors in WebAssembly memory, by slot.
 * Layout: [query int16 | scores int32 x CHUNK | slots int32 x CHUNK | selected slots x CHUNK | selected scores x CHUNK | records].
 */
export class Int8Codes {
  static readonly CHUNK = 16_384;
  /** Result areas a scan worker fills ahead of the main thread (see ParallelScan). */
  static readonly RING = 8;

  readonly stride: number;
  /** Bytes per slot: the codes, then the float32 scale, padded to 16. */
  readonly record: number;
  readonly memory: WebAssembly.Memory;
  /** Int32 control words shared with a scan worker, then RING result areas of CHUNK slots + CHUNK scores. */
  readonly controlAt: number;
  readonly ringAt: number;
  private readonly kernels: { dotRange: DotKernel; dotSlots: DotKernel; selectRange: SelectKernel; selectSlots: SelectKernel };
  readonly queryAt = 0;
  private readonly scoresAt: number;
  private readonly slotsAt: number;
  private readonly selectedSlotsAt: number;
  private readonly selectedScoresAt: number;
  readonly codesAt: number;
  private capacity = 0;
  /** Dequantisation scale of the loaded query. */
  queryScale = 1;
  private bytes!: Int8Array;
  private floats!: Float32Array;
  private query16!: Int16Array;
  private scoreView!: Int32Array;
  private slotView!: Int32Array;
  private selectedSlots!: Int32Array;
  private selectedScores!: Float32Array;

  constructor(
    readonly module: WebAssembly.Module,
    readonly dimension: number,
    readonly shared = false,
  ) {
    this.stride = Math.ceil(dimension / 16) * 16;
    this.record = this.stride + 16;
    this.scoresAt = align(this.stride * 2);
    this.slotsAt = this.scoresAt + Int8Codes.CHUNK * 4;
    this.selectedSlotsAt = this.slotsAt + Int8Codes.CHUNK * 4;
    this.selectedScoresAt = this.selectedSlotsAt + Int8Codes.CHUNK * 4;
    this.controlAt = align(this.selectedScoresAt + Int8Codes.CHUNK * 4);
    this.ringAt = this.controlAt + 256;
    this.codesAt = align(shared ? this.ringAt + Int8Codes.RING * Int8Codes.CHUNK * 8 : this.controlAt);
    this.memory = new WebAssembly.Memory({ initial: Math.ceil(this.codesAt / PAGE) + 1, maximum: 65536, shared });
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernels = instance.exports as unknown as Int8Codes['kernels'];
    this.refreshViews();
  }

  /** Makes room for `slots` vectors (memory only grows). */
  reserve(slots: number): void {
    if (slots <= this.capacity) return;
    const needed = this.codesAt + slots * this.record;
    const pages = Math.ceil(needed / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (pages > 0) this.memory.grow(pages);
    this.capacity = slots;
    this.refreshViews();
  }

  /** Quantises the (unit) vector stored at `offset` of `data` into `slot`. */
  encode(slot: number, data: Float32Array, offset: number): void {
    if (slot >= this.capacity) this.reserve(Math.max(slot + 1, this.capacity * 2, 1024));
    let max = 0;
    for (let d = 0; d < this.dimension; d++) max = Math.max(max, Math.abs(data[offset + d]));
    const scale = max > 0 ? max / CODE_SCALE : 1;
    const base = this.codesAt + slot * this.record;
    for (let d = 0; d < this.dimension; d++) this.bytes[base + d] = Math.round(data[offset + d] / scale);
    this.floats[(base + this.stride) >> 2] = scale;
  }

  /** Loads a query for the next scans; returns its dequantisation scale. */
  setQuery(query: Float32Array): number {
    let max = 0;
    for (let d = 0; d < this.dimension; d++) max = Math.max(max, Math.abs(query[d]));
    const scale = max > 0 ? max / QUERY_SCALE : 1;
    this.query16.fill(0);
    for (let d = 0; d < this.dimension; d++) this.query16[d] = Math.round(query[d] / scale);
    this.queryScale = scale;
    return scale;
  }

  /** Raw int32 sums of the loaded query with slots [first, first + count) (count ≤ CHUNK). */
  scoreRange(first: number, count: number): Int32Array {
    this.kernels.dotRange(this.codesAt, first, count, this.stride, this.record, this.queryAt, this.scoresAt);
    return this.scoreView.subarray(0, count);
  }

  /** Raw int32 sums with the given slots (≤ CHUNK). */
  scoreSlots(slots: Int32Array): Int32Array {
    this.slotView.set(slots);
    this.kernels.dotSlots(this.codesAt, this.slotsAt, slots.length, this.stride, this.record, this.queryAt, this.scoresAt);
    return this.scoreView.subarray(0, slots.length);
  }

  /** Slots of [first, first + count) whose approximate score beats `floor`, with those scores (views valid until the next call). */
  selectRange(first: number, count: number, floor: number): { slots: Int32Array; scores: Float32Array } {
    const n = this.kernels.selectRange(
      this.codesAt,
      first,
      count,
      this.stride,
      this.record,
      this.queryAt,
      this.queryScale,
      floor,
      this.selectedSlotsAt,
      this.selectedScoresAt,
    );
    return { slots: this.selectedSlots.subarray(0, n), scores: this.selectedScores.subarray(0, n) };
  }

  /** The given slots (≤ CHUNK) whose approximate score beats `floor`, with those scores. */
  selectSlots(slots: Int32Array, floor: number): { slots: Int32Array; scores: Float32Array } {
    this.slotView.set(slots);
    const n = this.kernels.selectSlots(
      this.codesAt,
      this.slotsAt,
      slots.length,
      this.stride,
      this.record,
      this.queryAt,
      this.queryScale,
      floor,
      this.selectedSlotsAt,
      this.selectedScoresAt,
    );
    return { slots: this.selectedSlots.subarray(0, n), scores: this.selectedScores.subarray(0, n) };
  }

  /** Slots of the worker's result area `area` (see ParallelScan). */
  ringResult(area: number, count: number): { slots: Int32Array; scores: Float32Array } {
    const at = this.ringAt + area * Int8Codes.CHUNK * 8;
    return { slots: new Int32Array(this.memory.buffer, at, count), scores: new Float32Array(this.memory.buffer, at + Int8Codes.CHUNK * 4, count) };
  }

  /** Dequantisation scale of a slot (code x scale ≈ value). */
  scaleOf(slot: number): number {
    return this.floats[(this.codesAt + slot * this.record + this.stride) >> 2];
  }

  private refreshViews(): void {
    const buffer = this.memory.buffer;
    this.bytes = new Int8Array(buffer);
    this.floats = new Float32Array(buffer);
    this.query16 = new Int16Array(buffer, this.queryAt, this.stride);
    this.scoreView = new Int32Array(buffer, this.scoresAt, Int8Codes.CHUNK);
    this.slotView = new Int32Array(buffer, this.slotsAt, Int8Codes.CHUNK);
    this.selectedSlots = new Int32Array(buffer, this.selectedSlotsAt, Int8Codes.CHUNK);
    this.selectedScores = new Float32Array(buffer, this.selectedScoresAt, Int8Codes.CHUNK);
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
