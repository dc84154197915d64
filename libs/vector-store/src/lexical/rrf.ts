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

  const fused = new Map<Id, { contributions: number[]; ranks: Record<string, number>; bestRank: number }>();
  for (const list of lists) {
    const { ids, name, weight } = list;
    for (let index = 0; index < ids.length; index++) {
      const rank = index + 1;
      let entry = fused.get(ids[index]);
      if (!entry) {
        entry = { contributions: [], ranks: {}, bestRank: rank };
        fused.set(ids[index], entry);
      }
      if (entry.ranks[name] !== undefined) continue;
      entry.ranks[name] = rank;
      entry.bestRank = Math.min(entry.bestRank, rank);
      entry.contributions.push(1 / (rank / weight + k));
    }
  }

  const hits: Array<FusedHit<Id> & { bestRank: number }> = [];
  for (const [id, { contributions, ranks, bestRank }] of fused) {
    // Summed smallest first: the same contributions give the same sum whatever the list order.
    if (contributions.length > 2) contributions.sort((a, b) => a - b);
    const score = contributions.length === 1 ? contributions[0] : contributions.reduce((sum, contribution) => sum + contribution, 0);
    hits.push({ id, score, ranks, bestRank });
  }
  hits.sort((a, b) => b.score - a.score || a.bestRank - b.bestRank || compareIds(a.id, b.id));
  return hits.map(({ id, score, ranks }) => ({ id, score, ranks }));
}

function compareIds(a: RankedId, b: RankedId): number {
  const [first, second] = typeof a === 'string' && typeof b === 'string' ? [a, b] : [String(a), String(b)];
  return first < second ? -1 : first > second ? 1 : 0;
}
