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

export interface RankedList {
  /** Names the list in each fused hit's `ranks`; unique among the lists fused. */
  name: string;
  /** Greater than 0; 1 is neutral, 2 makes rank 2 count like rank 1. */
  weight: number;
  /** Best first. An id repeated in one list counts at its first (best) rank only. */
  ids: readonly string[];
}

export interface FusedHit {
  id: string;
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
 * any list, then to the smaller id (code-unit order), so the order never depends on input order.
 */
export function fuseByReciprocalRank(lists: readonly RankedList[], options: FusionOptions = {}): FusedHit[] {
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

  const fused = new Map<string, { contributions: number[]; ranks: Record<string, number>; bestRank: number }>();
  for (const list of lists) {
    list.ids.forEach((id, index) => {
      const rank = index + 1;
      let entry = fused.get(id);
      if (!entry) {
        entry = { contributions: [], ranks: {}, bestRank: rank };
        fused.set(id, entry);
      }
      if (entry.ranks[list.name] !== undefined) return;
      entry.ranks[list.name] = rank;
      entry.bestRank = Math.min(entry.bestRank, rank);
      entry.contributions.push(1 / (rank / list.weight + k));
    });
  }

  const hits = [...fused.entries()].map(([id, entry]) => ({
    id,
    // Summed smallest first: the same contributions give the same sum whatever the list order.
    score: entry.contributions.sort((a, b) => a - b).reduce((sum, contribution) => sum + contribution, 0),
    ranks: entry.ranks,
    bestRank: entry.bestRank,
  }));
  hits.sort((a, b) => b.score - a.score || a.bestRank - b.bestRank || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return hits.map(({ id, score, ranks }) => ({ id, score, ranks }));
}
