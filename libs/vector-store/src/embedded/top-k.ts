/** Bounded min-heap keeping the k best (score, id) pairs seen, in typed arrays (no per-point garbage). */
export class TopK {
  private readonly scores: Float32Array;
  private readonly ids: Int32Array;
  private count = 0;

  constructor(readonly capacity: number) {
    this.scores = new Float32Array(Math.max(1, capacity));
    this.ids = new Int32Array(Math.max(1, capacity));
  }

  get size(): number {
    return this.count;
  }

  /** Lowest score kept once full; -Infinity before, so every candidate is taken. */
  get floor(): number {
    return this.count < this.capacity ? -Infinity : this.scores[0];
  }

  push(score: number, id: number): void {
    if (this.capacity === 0) return;
    if (this.count < this.capacity) {
      let i = this.count++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (this.scores[parent] <= score) break;
        this.scores[i] = this.scores[parent];
        this.ids[i] = this.ids[parent];
        i = parent;
      }
      this.scores[i] = score;
      this.ids[i] = id;
      return;
    }
    if (score <= this.scores[0]) return;
    let i = 0;
    const n = this.count;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.scores[right] < this.scores[left] ? right : left;
      if (this.scores[child] >= score) break;
      this.scores[i] = this.scores[child];
      this.ids[i] = this.ids[child];
      i = child;
    }
    this.scores[i] = score;
    this.ids[i] = id;
  }

  /** Each entry's id, in no particular order (no sort, no allocation: for a pool that is re-scored anyway). */
  forEachId(visit: (id: number) => void): void {
    for (let i = 0; i < this.count; i++) visit(this.ids[i]);
  }

  /** Entries best first. */
  sorted(): Array<{ id: number; score: number }> {
    const out: Array<{ id: number; score: number }> = [];
    for (let i = 0; i < this.count; i++) out.push({ id: this.ids[i], score: this.scores[i] });
    return out.sort((a, b) => b.score - a.score || a.id - b.id);
  }
}

/** Dot product of `query` with the vector stored at `offset` in `data` (unrolled: V8 does not vectorise). */
export function dotAt(data: Float32Array, offset: number, query: Float32Array, dimension: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const end4 = dimension - (dimension % 4);
  for (; i < end4; i += 4) {
    s0 += data[offset + i] * query[i];
    s1 += data[offset + i + 1] * query[i + 1];
    s2 += data[offset + i + 2] * query[i + 2];
    s3 += data[offset + i + 3] * query[i + 3];
  }
  for (; i < dimension; i++) s0 += data[offset + i] * query[i];
  return s0 + s1 + s2 + s3;
}
