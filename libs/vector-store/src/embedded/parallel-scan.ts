/**
 * A second thread for full scans of large collections: the codes live in a
 * shared WebAssembly memory and the main thread and a worker thread claim
 * chunks of slots from one atomic counter (work sharing, so a worker that the
 * OS does not schedule just claims fewer chunks) and run the select kernel on
 * them. The main thread keeps the result pool and consumes the worker's
 * candidates between its own chunks. The scan stays synchronous for its
 * caller (the main thread blocks on Atomics.wait only for a chunk the worker
 * is in the middle of), so a search still sees one consistent state and no
 * write can interleave with it.
 *
 * The worker reads the pool's current floor (published by the main thread
 * after each chunk) before each chunk; a stale floor is lower, so it only
 * returns more candidates, never fewer. It writes into RING result areas and
 * waits when they are all unread. If the worker dies or delivers nothing for
 * WORKER_TIMEOUT_MS, the main thread rescans the chunks it did not deliver and
 * stops using it.
 */
import { Worker } from 'node:worker_threads';
import { Int8Codes } from './int8-kernel';

// Control words (int32 indices into the control block).
const JOB = 0;
const STOP = 1;
const HIGH_WATER = 2;
const QUERY_SCALE = 3; // float32 bits
const FLOOR = 4; // float32 bits
const PRODUCED = 5;
const CONSUMED = 6;
const NEXT_CHUNK = 7;
const WORKER_CLAIMED = 8;
const IDLE = 9; // the last job the worker finished claiming chunks for
const AREA_COUNT = 16; // RING counts of candidates
const AREA_CHUNK = 32; // RING chunk indices

const WORKER_TIMEOUT_MS = 2_000;

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, controlAt, ringAt, codesAt, stride, record, queryAt, chunk, ring } = workerData;
const { selectRange } = new WebAssembly.Instance(module, { env: { memory } }).exports;
const control = new Int32Array(memory.buffer, controlAt, 64);
const floats = new Float32Array(memory.buffer, controlAt, 64);
let job = 0;
for (;;) {
  Atomics.wait(control, ${JOB}, job);
  job = Atomics.load(control, ${JOB});
  if (Atomics.load(control, ${STOP})) break;
  const highWater = control[${HIGH_WATER}];
  const chunks = Math.ceil(highWater / chunk);
  const queryScale = floats[${QUERY_SCALE}];
  let produced = 0;
  for (;;) {
    const index = Atomics.add(control, ${NEXT_CHUNK}, 1);
    if (index >= chunks) break;
    Atomics.add(control, ${WORKER_CLAIMED}, 1);
    while (produced - Atomics.load(control, ${CONSUMED}) >= ring) Atomics.wait(control, ${CONSUMED}, Atomics.load(control, ${CONSUMED}), 20);
    const area = produced % ring;
    const at = ringAt + area * chunk * 8;
    const first = index * chunk;
    control[${AREA_CHUNK} + area] = index;
    control[${AREA_COUNT} + area] = selectRange(codesAt, first, Math.min(chunk, highWater - first), stride, record, queryAt, queryScale, floats[${FLOOR}], at, at + chunk * 4);
    produced++;
    Atomics.store(control, ${PRODUCED}, produced);
    Atomics.notify(control, ${PRODUCED});
  }
  Atomics.store(control, ${IDLE}, job);
  Atomics.notify(control, ${IDLE});
}
`;

export type Consider = (candidates: { slots: Int32Array; scores: Float32Array }) => void;

export class ParallelScan {
  private worker: Worker | undefined;
  private broken = false;
  private jobs = 0;
  private readonly control: Int32Array;
  private readonly floats: Float32Array;

  constructor(private readonly codes: Int8Codes) {
    this.control = new Int32Array(codes.memory.buffer, codes.controlAt, 64);
    this.floats = new Float32Array(codes.memory.buffer, codes.controlAt, 64);
  }

  /** False once the worker failed (callers then scan on one thread). */
  get usable(): boolean {
    return !this.broken && this.codes.shared;
  }

  /**
   * Scans slots [0, highWater) for the query loaded in `codes`; every chunk's
   * candidates go to `consider` on this thread; `floor()` is the pool's current floor.
   */
  scan(highWater: number, floor: () => number, consider: Consider): void {
    const chunk = Int8Codes.CHUNK;
    const chunks = Math.ceil(highWater / chunk);
    const control = this.control;
    const done = new Uint8Array(chunks);
    let doneCount = 0;
    let consumed = 0;
    const scanHere = (index: number) => {
      const first = index * chunk;
      consider(this.codes.selectRange(first, Math.min(chunk, highWater - first), floor()));
      done[index] = 1;
      doneCount++;
      this.floats[FLOOR] = floor();
    };
    const drain = () => {
      const produced = Atomics.load(control, PRODUCED);
      while (consumed < produced) {
        const area = consumed % Int8Codes.RING;
        consider(this.codes.ringResult(area, control[AREA_COUNT + area]));
        done[control[AREA_CHUNK + area]] = 1;
        doneCount++;
        consumed++;
        Atomics.store(control, CONSUMED, consumed);
        Atomics.notify(control, CONSUMED);
        this.floats[FLOOR] = floor();
      }
    };

    // The worker must have left the previous job (it may still be claiming past its end) before the counters are reset.
    if (!this.broken && this.jobs > 0 && !this.waitUntil(IDLE, (value) => value === this.jobs)) this.fail();
    if (this.broken) {
      for (let index = 0; index < chunks; index++) scanHere(index);
      return;
    }
    this.start();
    Atomics.store(control, HIGH_WATER, highWater);
    this.floats[QUERY_SCALE] = this.codes.queryScale;
    this.floats[FLOOR] = floor();
    Atomics.store(control, PRODUCED, 0);
    Atomics.store(control, CONSUMED, 0);
    Atomics.store(control, WORKER_CLAIMED, 0);
    Atomics.store(control, NEXT_CHUNK, 0);
    this.jobs = Atomics.add(control, JOB, 1) + 1;
    Atomics.notify(control, JOB);

    for (;;) {
      const index = Atomics.add(control, NEXT_CHUNK, 1);
      if (index >= chunks) break;
      scanHere(index);
      drain();
    }
    // Every chunk is claimed; take the worker's results until all are in.
    while (doneCount < chunks && !this.broken) {
      drain();
      if (doneCount < chunks && !this.waitUntil(PRODUCED, (value) => value > consumed)) this.fail();
    }
    if (this.broken) {
      drain();
      for (let index = 0; index < chunks; index++) if (!done[index]) scanHere(index);
    }
  }

  /** Blocks until the control word satisfies `ready`, up to WORKER_TIMEOUT_MS; false on timeout. */
  private waitUntil(word: number, ready: (value: number) => boolean): boolean {
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    for (;;) {
      const value = Atomics.load(this.control, word);
      if (ready(value)) return true;
      const left = deadline - Date.now();
      if (left <= 0) return false;
      Atomics.wait(this.control, word, value, left);
    }
  }

  stop(): void {
    if (!this.worker) return;
    Atomics.store(this.control, STOP, 1);
    Atomics.add(this.control, JOB, 1);
    Atomics.notify(this.control, JOB);
    void this.worker.terminate();
    this.worker = undefined;
  }

  private start(): void {
    if (this.worker || this.broken) return;
    const codes = this.codes;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        module: codes.module,
        memory: codes.memory,
        controlAt: codes.controlAt,
        ringAt: codes.ringAt,
        codesAt: codes.codesAt,
        stride: codes.stride,
        record: codes.record,
        queryAt: codes.queryAt,
        chunk: Int8Codes.CHUNK,
        ring: Int8Codes.RING,
      },
    });
    this.worker.unref();
    this.worker.on('error', () => this.fail());
    this.worker.on('exit', () => {
      if (!Atomics.load(this.control, STOP)) this.fail();
    });
  }

  private fail(): void {
    if (this.broken) return;
    this.broken = true;
    this.stop();
  }
}
