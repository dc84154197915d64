/**
 * Reciprocal-rank fusion: merges ranked lists (the vector ranking, the keyword ranking) into one
 * by rank alone, so scores on unrelated scales (cosine, BM25) never have to be compared.
 *
 * A list of weight w adds to each of its ids 1 / (rank / w + k), rank counted from 1.
 * With w = 1 this is Cormack, Clarke and Büttcher's 1 / (k + rank) (SIGIR 2009), whose k = 60
 * is the default. A weight stretches or compresses ranks rather than scaling the contribution:
 * with w = 2, rank 2 counts like rank 1 of a weight-1 list. This is how Qdrant 1.19 weights its
 * `rrf` fusion (`Rrf.weights`), chosen so both stores fuse the same way; Qdrant counts positions
 * from 0 and scores 1 / ((position + 1) / w + k' - 1), which is this formula with k' = k + 1.
 */

/** Cormack et al.'s constant: large enough that rank 1 does not drown out the ranks behind it. */
export const DEFAULT_RRF_K = 60;

/** Ids are strings, or numbers (a store's ordinals) where making a string of each would only cost time. */
export type RankedId = string | number;

export interface RankedList<Id extends RankedId = string> {
  /** Names the list in each fused hit's `ranks`; unique among the lists fused. */
  name: string;
  /** Greater than 0; 1 is neutral, 2 makes rank 2 count like rank 1. */
  weight: number;
  /** Best first. An id repeated in one list counts at its first (best) rank only. */
  ids: readonly Id[];
}

export interface FusedHit<Id extends RankedId = string> {
  id: Id;
  score: number;
  /** 1-based rank of the id in each list that holds it. */
  ranks: Record<string, number>;
}

export interface FusionOptions {
  /** Integer, at least 1 (as Qdrant requires); default {@link DEFAULT_RRF_K}. */
  k?: number;
}

/**
 * Fuses ranked lists, best first. Ties (equal scores) go to the id with the better best rank in
 * any list, then to the smaller id (code-unit order of its text, numbers too), so the order never
 * depends on input order.
 */
export function fuseByReciprocalRank<Id extends RankedId = string>(lists: readonly RankedList<Id>[], options: FusionOptions = {}): FusedHit<Id>[] {
  const fused = fuse(lists, options);
  return fused.order.map((entry) => {
    const ranks: Record<string, number> = {};
    lists.forEach((list, l) => {
      const rank = fused.rankIn(entry, l);
      if (rank > 0) ranks[list.name] = rank;
    });
    return { id: fused.ids[entry], score: fused.scores[entry], ranks };
  });
}

/** fuseByReciprocalRank's ids and scores, in its order, without each hit's ranks (a store fusing 10,000-deep rankings per query). */
export function fusedScores<Id extends RankedId>(lists: readonly RankedList<Id>[], options: FusionOptions = {}): Array<{ id: Id; score: number }> {
  const { order, ids, scores } = fuse(lists, options);
  return order.map((entry) => ({ id: ids[entry], score: scores[entry] }));
}

/** The fused entries (one per distinct id) in typed arrays, and their order. */
function fuse<Id extends RankedId>(lists: readonly RankedList<Id>[], options: FusionOptions) {
  const k = options.k ?? DEFAULT_RRF_K;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`RRF k must be an integer of at least 1, got ${k}`);
  const names = new Set<string>();
  for (const list of lists) {
    if (typeof list.name !== 'string' || list.name === '') throw new RangeError('every ranked list needs a non-empty name');
    if (names.has(list.name)) throw new RangeError(`ranked list "${list.name}" appears twice`);
    names.add(list.name);
    if (!Number.isFinite(list.weight) || list.weight <= 0)
      throw new RangeError(`ranked list "${list.name}" has weight ${list.weight}; a weight must be a finite number above 0`);
  }

  // Entry e's rank in list l is ranks[e * lists.length + l] (0: not in the list).
  const listCount = lists.length;
  const entryOf = new Map<Id, number>();
  const ids: Id[] = [];
  const ranks = new Int32Array(lists.reduce((sum, list) => sum + list.ids.length, 0) * listCount);
  lists.forEach((list, l) => {
    for (let index = 0; index < list.ids.length; index++) {
      const id = list.ids[index];
      let entry = entryOf.get(id);
      if (entry === undefined) {
        entry = ids.length;
        ids.push(id);
        entryOf.set(id, entry);
      }
      if (ranks[entry * listCount + l] === 0) ranks[entry * listCount + l] = index + 1;
    }
  });

  const scores = new Float64Array(ids.length);
  const bestRanks = new Int32Array(ids.length);
  const contributions: number[] = [];
  for (let entry = 0; entry < ids.length; entry++) {
    contributions.length = 0;
    let bestRank = Infinity;
    for (let l = 0; l < listCount; l++) {
      const rank = ranks[entry * listCount + l];
      if (rank === 0) continue;
      contributions.push(1 / (rank / lists[l].weight + k));
      bestRank = Math.min(bestRank, rank);
    }
    // Summed smallest first: the same contributions give the same sum whatever the list order.
    if (contributions.length > 2) contributions.sort((a, b) => a - b);
    let score = 0;
    for (const contribution of contributions) score += contribution;
    scores[entry] = score;
    bestRanks[entry] = bestRank;
  }
  const order = ids.map((_, entry) => entry);
  order.sort((a, b) => scores[b] - scores[a] || bestRanks[a] - bestRanks[b] || compareIds(ids[a], ids[b]));
  return { order, ids, scores, rankIn: (entry: number, list: number) => ranks[entry * listCount + list] };
}

/** Code-unit order of the ids' text (String of a string is the string itself). */
function compareIds(a: RankedId, b: RankedId): number {
  const first = String(a);
  const second = String(b);
  return first < second ? -1 : first > second ? 1 : 0;
}
