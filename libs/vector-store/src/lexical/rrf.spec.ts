import { fusedScores, fuseByReciprocalRank } from './rrf';

describe(fuseByReciprocalRank.name, () => {
  it('adds 1 / (k + rank) per list, with k = 60 by default', () => {
    const fused = fuseByReciprocalRank([
      { name: 'vector', weight: 1, ids: ['a', 'b', 'c'] },
      { name: 'lexical', weight: 1, ids: ['b', 'd'] },
    ]);
    expect(fused).toEqual([
      { id: 'b', score: 1 / 62 + 1 / 61, ranks: { vector: 2, lexical: 1 } },
      { id: 'a', score: 1 / 61, ranks: { vector: 1 } },
      { id: 'd', score: 1 / 62, ranks: { lexical: 2 } },
      { id: 'c', score: 1 / 63, ranks: { vector: 3 } },
    ]);
    expect(fused[0].score).toBeCloseTo(0.0325224749, 10);
  });

  it('divides a rank by its list weight: with weight 2, rank 2 counts like rank 1', () => {
    // k = 1: x = 1/(1/2 + 1) = 2/3; y = 1/(2/2 + 1) = 1/2; z = 1/(3/2 + 1) + 1/(1 + 1) = 0.4 + 0.5.
    const fused = fuseByReciprocalRank(
      [
        { name: 'lexical', weight: 2, ids: ['x', 'y', 'z'] },
        { name: 'vector', weight: 1, ids: ['z'] },
      ],
      { k: 1 },
    );
    expect(fused.map(({ id }) => id)).toEqual(['z', 'x', 'y']);
    expect(fused[0].score).toBeCloseTo(0.9, 12);
    expect(fused[1].score).toBeCloseTo(2 / 3, 12);
    expect(fused[2].score).toBeCloseTo(1 / 2, 12);
  });

  it('breaks a tie by the better best rank, then by id', () => {
    // k = 1: w = 1/2 + 1/6 and v = 1/3 + 1/3, both 2/3; w was ranked first somewhere, v never was.
    const byBestRank = fuseByReciprocalRank(
      [
        { name: 'c', weight: 1, ids: ['w', 'v'] },
        { name: 'd', weight: 1, ids: ['x1', 'v', 'x2', 'x3', 'w'] },
      ],
      { k: 1 },
    );
    expect(byBestRank.map(({ id }) => id).slice(0, 2)).toEqual(['w', 'v']);
    expect(byBestRank[0].score).toBe(byBestRank[1].score);

    const byId = fuseByReciprocalRank([
      { name: 'vector', weight: 1, ids: ['q', 'p'] },
      { name: 'lexical', weight: 1, ids: ['p', 'q'] },
    ]);
    expect(byId.map(({ id }) => id)).toEqual(['p', 'q']);
  });

  it('gives the same result whatever order the lists come in', () => {
    const lists = [
      { name: 'a', weight: 1, ids: ['1', '2', '3', '4'] },
      { name: 'b', weight: 0.5, ids: ['4', '3', '2'] },
      { name: 'c', weight: 3, ids: ['2', '4', '5'] },
    ];
    expect(fuseByReciprocalRank([...lists].reverse(), { k: 2 })).toEqual(fuseByReciprocalRank(lists, { k: 2 }));
  });

  it('counts an id repeated in one list at its first rank only', () => {
    expect(fuseByReciprocalRank([{ name: 'lexical', weight: 1, ids: ['a', 'b', 'a'] }])).toEqual([
      { id: 'a', score: 1 / 61, ranks: { lexical: 1 } },
      { id: 'b', score: 1 / 62, ranks: { lexical: 2 } },
    ]);
  });

  it('fuses numeric ids as their text would be fused: ties by code-unit order, so 10 before 9', () => {
    const numeric = fuseByReciprocalRank([
      { name: 'vector', weight: 1, ids: [9, 3] },
      { name: 'keyword', weight: 1, ids: [10, 3] },
    ]);
    const text = fuseByReciprocalRank([
      { name: 'vector', weight: 1, ids: ['9', '3'] },
      { name: 'keyword', weight: 1, ids: ['10', '3'] },
    ]);
    expect(numeric.map((hit) => hit.id)).toEqual([3, 10, 9]);
    expect(numeric.map((hit) => ({ ...hit, id: String(hit.id) }))).toEqual(text);
  });

  it('gives, without the ranks, the same ids and scores in the same order (fusedScores)', () => {
    const lists = [
      { name: 'vector', weight: 1, ids: ['a', 'b', 'c', 'd'] },
      { name: 'keyword', weight: 2, ids: ['d', 'e', 'a', 'e'] },
      { name: 'tags', weight: 0.5, ids: ['e', 'c'] },
    ];
    const full = fuseByReciprocalRank(lists, { k: 10 });
    expect(fusedScores(lists, { k: 10 })).toEqual(full.map(({ id, score }) => ({ id, score })));
    expect(full.find((hit) => hit.id === 'e')!.ranks).toEqual({ keyword: 2, tags: 1 });
  });

  it('returns nothing for no lists or empty lists', () => {
    expect(fuseByReciprocalRank([])).toEqual([]);
    expect(fuseByReciprocalRank([{ name: 'vector', weight: 1, ids: [] }])).toEqual([]);
  });

  it('refuses a k, weight or name that would make the scores meaningless, saying which', () => {
    const list = { name: 'vector', weight: 1, ids: ['a'] };
    expect(() => fuseByReciprocalRank([list], { k: 0 })).toThrow('RRF k must be an integer of at least 1, got 0');
    expect(() => fuseByReciprocalRank([list], { k: 2.5 })).toThrow('RRF k must be an integer of at least 1, got 2.5');
    expect(() => fuseByReciprocalRank([{ ...list, weight: 0 }])).toThrow('ranked list "vector" has weight 0; a weight must be a finite number above 0');
    expect(() => fuseByReciprocalRank([{ ...list, weight: Number.NaN }])).toThrow('has weight NaN');
    expect(() => fuseByReciprocalRank([list, list])).toThrow('ranked list "vector" appears twice');
    expect(() => fuseByReciprocalRank([{ ...list, name: '' }])).toThrow('every ranked list needs a non-empty name');
  });
});
