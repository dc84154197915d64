/**
 * Inverted-file (IVF-flat) index over unit vectors: spherical k-means
 * centroids partition the points into lists; a query scans the lists of its
 * `nprobe` nearest centroids with exact dot products. Chosen over HNSW for this
 * TypeScript engine because building it costs one k-means plus one assignment
 * pass (HNSW needs ~efConstruction distance evaluations per insert, about 15
 * minutes for 1M x 128 in single-threaded JavaScript), inserts and deletes are
 * O(nlist x dim) and O(1), filters apply during the list scan, and nprobe
 * trades recall for latency at query time (figures in docs/benchmarks.md).
 */
import { Int8Codes, int8KernelModule } from './int8-kernel';
import { dotAt } from './top-k';

export interface IvfTrainingOptions {
  /** Number of lists; default round(sqrt(points)), clamped to [16, 4096]. */
  lists?: number;
  /** k-means iterations over the training sample. */
  iterations?: number;
  /** Points sampled for training (per list). */
  samplePerList?: number;
  seed?: number;
}

/** A deterministic PRNG (mulberry32), so builds are reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Nearest centroid of a vector. With WebAssembly SIMD the centroids are held
 * as int8 codes and scored by the scan kernel (about 20x faster than scalar
 * JavaScript, which makes assigning 1M points to 1,000 lists take seconds,
 * not minutes); a slightly suboptimal list for a borderline point only
 * costs recall marginally, and queries rank lists with float32 centroids.
 */
class CentroidAssigner {
  private readonly codes: Int8Codes | undefined;

  constructor(
    private readonly centroids: Float32Array,
    private readonly lists: number,
    private readonly dimension: number,
  ) {
    const kernel = int8KernelModule();
    if (kernel && lists <= Int8Codes.CHUNK) {
      this.codes = new Int8Codes(kernel, dimension);
      this.codes.reserve(lists);
      for (let c = 0; c < lists; c++) this.codes.encode(c, centroids, c * dimension);
    }
  }

  nearest(data: Float32Array, offset: number): number {
    if (!this.codes) return nearestCentroid(this.centroids, this.lists, this.dimension, data, offset);
    this.codes.setQuery(data.subarray(offset, offset + this.dimension));
    const scores = this.codes.scoreRange(0, this.lists);
    let best = 0;
    let bestScore = -Infinity;
    for (let c = 0; c < scores.length; c++) {
      const score = scores[c] * this.codes.scaleOf(c);
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    return best;
  }
}

export class IvfIndex {
  /** Posting lists: slots per list, grown by doubling. */
  private readonly members: Int32Array[];
  private readonly memberCounts: Int32Array;
  /** slot → list, and slot → position inside that list (for O(1) removal). */
  private slotList = new Int32Array(0);
  private slotPosition = new Int32Array(0);
  private indexed = 0;
  private readonly assigner: CentroidAssigner;

  private constructor(
    readonly dimension: number,
    readonly centroids: Float32Array,
    /** Number of points the centroids were trained on; the store retrains when the collection outgrows it. */
    readonly trainedOn: number,
  ) {
    const lists = centroids.length / dimension;
    this.members = Array.from({ length: lists }, () => new Int32Array(8));
    this.memberCounts = new Int32Array(lists);
    this.assigner = new CentroidAssigner(centroids, lists, dimension);
  }

  get listCount(): number {
    return this.memberCounts.length;
  }

  get size(): number {
    return this.indexed;
  }

  static fromCentroids(dimension: number, centroids: Float32Array, trainedOn: number): IvfIndex {
    return new IvfIndex(dimension, centroids, trainedOn);
  }

  /** Trains centroids with spherical k-means on a sample of `slots` (vectors stored at slot * dimension in `data`). */
  static train(data: Float32Array, slots: Int32Array, dimension: number, options: IvfTrainingOptions = {}): IvfIndex {
    const n = slots.length;
    const lists = Math.max(1, Math.min(n, options.lists ?? Math.min(4096, Math.max(16, Math.round(Math.sqrt(n))))));
    const random = seededRandom(options.seed ?? 42);
    const sampleSize = Math.min(n, lists * (options.samplePerList ?? 32));
    const sample = new Int32Array(sampleSize);
    // Reservoir-free partial Fisher-Yates over a copy of the slot list.
    const pool = Int32Array.from(slots);
    for (let i = 0; i < sampleSize; i++) {
      const j = i + Math.floor(random() * (n - i));
      const swap = pool[i];
      pool[i] = pool[j];
      pool[j] = swap;
      sample[i] = pool[i];
    }

    const centroids = new Float32Array(lists * dimension);
    for (let c = 0; c < lists; c++) centroids.set(data.subarray(sample[c] * dimension, sample[c] * dimension + dimension), c * dimension);

    const assignment = new Int32Array(sampleSize);
    const iterations = options.iterations ?? 8;
    for (let iteration = 0; iteration < iterations; iteration++) {
      const assigner = new CentroidAssigner(centroids, lists, dimension);
      for (let i = 0; i < sampleSize; i++) assignment[i] = assigner.nearest(data, sample[i] * dimension);
      const sums = new Float64Array(lists * dimension);
      const counts = new Int32Array(lists);
      for (let i = 0; i < sampleSize; i++) {
        const c = assignment[i];
        counts[c]++;
        const base = sample[i] * dimension;
        for (let d = 0; d < dimension; d++) sums[c * dimension + d] += data[base + d];
      }
      for (let c = 0; c < lists; c++) {
        if (counts[c] === 0) {
          // An empty list takes a random sample point, so no centroid is wasted.
          const pick = sample[Math.floor(random() * sampleSize)];
          centroids.set(data.subarray(pick * dimension, pick * dimension + dimension), c * dimension);
          continue;
        }
        let norm = 0;
        for (let d = 0; d < dimension; d++) norm += sums[c * dimension + d] ** 2;
        const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
        for (let d = 0; d < dimension; d++) centroids[c * dimension + d] = sums[c * dimension + d] * scale;
      }
    }
    return new IvfIndex(dimension, centroids, n);
  }

  /** Adds the vector stored at `slot`. */
  add(data: Float32Array, slot: number): void {
    this.ensureSlotCapacity(slot + 1);
    this.addToList(slot, this.assigner.nearest(data, slot * this.dimension));
  }

  /** Adds `slot` to a known list (restoring a persisted assignment). */
  addToList(slot: number, list: number): void {
    this.ensureSlotCapacity(slot + 1);
    let members = this.members[list];
    const count = this.memberCounts[list];
    if (count === members.length) {
      const grown = new Int32Array(members.length * 2);
      grown.set(members);
      members = this.members[list] = grown;
    }
    members[count] = slot;
    this.memberCounts[list] = count + 1;
    this.slotList[slot] = list;
    this.slotPosition[slot] = count;
    this.indexed++;
  }

  remove(slot: number): void {
    if (slot >= this.slotList.length) return;
    const list = this.slotList[slot];
    if (list < 0) return;
    const position = this.slotPosition[slot];
    const members = this.members[list];
    const last = --this.memberCounts[list];
    const moved = members[last];
    members[position] = moved;
    this.slotPosition[moved] = position;
    this.slotList[slot] = -1;
    this.indexed--;
  }

  listOf(slot: number): number {
    return slot < this.slotList.length ? this.slotList[slot] : -1;
  }

  /** Lists ordered by closeness of their centroid to the (unit) query. */
  probeOrder(query: Float32Array): Int32Array {
    const lists = this.listCount;
    const scores = new Float32Array(lists);
    for (let c = 0; c < lists; c++) scores[c] = dotAt(this.centroids, c * this.dimension, query, this.dimension);
    const order = new Int32Array(lists);
    for (let c = 0; c < lists; c++) order[c] = c;
    return order.sort((a, b) => scores[b] - scores[a]);
  }

  /** Slots of one list (a view; valid until the next write). */
  list(list: number): Int32Array {
    return this.members[list].subarray(0, this.memberCounts[list]);
  }

  private ensureSlotCapacity(capacity: number): void {
    if (capacity <= this.slotList.length) return;
    const size = Math.max(capacity, this.slotList.length * 2, 1024);
    const lists = new Int32Array(size).fill(-1);
    lists.set(this.slotList);
    const positions = new Int32Array(size);
    positions.set(this.slotPosition);
    this.slotList = lists;
    this.slotPosition = positions;
  }
}

function nearestCentroid(centroids: Float32Array, lists: number, dimension: number, data: Float32Array, offset: number): number {
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < lists; c++) {
    const base = c * dimension;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let d = 0;
    const end4 = dimension - (dimension % 4);
    for (; d < end4; d += 4) {
      s0 += centroids[base + d] * data[offset + d];
      s1 += centroids[base + d + 1] * data[offset + d + 1];
      s2 += centroids[base + d + 2] * data[offset + d + 2];
      s3 += centroids[base + d + 3] * data[offset + d + 3];
    }
    for (; d < dimension; d++) s0 += centroids[base + d] * data[offset + d];
    const score = s0 + s1 + s2 + s3;
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  return best;
}
