import type { CollectionInfo } from '@vsearch/contracts';
import { formatHealAndDeadLetters } from './heal-and-dead-letters';

const collection = (name: string, productCount: number, extra: Partial<CollectionInfo> = {}): CollectionInfo => ({
  name,
  modelId: 'clip@1',
  dimension: 4,
  productCount,
  pointCount: productCount,
  aliases: [],
  ...extra,
});

describe(formatHealAndDeadLetters.name, () => {
  it('shows a damaged collection, the heal in progress and the index against the catalog log', () => {
    const live = collection('products_v1', 383, { aliases: ['products'], damage: 'wal.log frame 5: checksum mismatch' });
    const lines = formatHealAndDeadLetters(
      live,
      [live, collection('products_v2', 120)],
      { enabled: true, state: 'healing', damagedCollection: 'products_v1', healingInto: 'products_v2', jobId: 'heal-products_v1-x' },
      { deadLetters: [], expectation: { liveProducts: 400, deadLettered: 0, expectedProducts: 400 } },
    );
    expect(lines).toEqual([
      'DAMAGED: products_v1: wal.log frame 5: checksum mismatch',
      'self-heal: rebuilding products_v1 from the catalog topic into products_v2 (job heal-products_v1-x)',
      'index: 383 products but the catalog log says 400',
      'dead letters: none',
    ]);
  });

  it('counts dead letters per reason and says when the index holds what the log says', () => {
    const live = collection('products_v2', 398, { aliases: ['products'] });
    const lines = formatHealAndDeadLetters(
      live,
      [live],
      { enabled: true, state: 'idle', lastOutcome: { outcome: 'healed', collection: 'products_v1', at: '2025-03-01T10:00:00.000Z' } },
      {
        deadLetters: [
          { errorCode: 'refused_address', stage: 'fetch', count: 2 },
          { errorCode: 'schema_violation', stage: 'parse', count: 1 },
        ],
        expectation: { liveProducts: 400, deadLettered: 2, expectedProducts: 398 },
      },
    );
    expect(lines).toEqual([
      'self-heal: idle (last: healed products_v1 at 2025-03-01T10:00:00.000Z)',
      'index: 398 products, as the catalog log says',
      'dead letters: 3 (refused_address 2, schema_violation 1; npx vsearch dlq list)',
    ]);
  });

  it('says why a part could not be read instead of guessing', () => {
    expect(formatHealAndDeadLetters(undefined, undefined, { error: 'fetch failed' }, { error: 'no embedded event log in /data' })).toEqual([
      'self-heal: unknown (fetch failed)',
      'catalog log: not read (no embedded event log in /data)',
    ]);
  });
});
