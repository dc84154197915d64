/**
 * How many products the index should hold according to the catalog log, the source of truth:
 * the products topic replayed as ingestion applies it (per product the highest version wins, a
 * delete removes), less the products whose winning event was dead-lettered and never indexed.
 * "The index is up to date" is said only when the store holds that many.
 */
import { parseCatalogEvent } from '@vsearch/contracts';
import { DeadLetterReader, type EventLog } from '@vsearch/event-log';

export interface CatalogExpectation {
  /** Products whose latest version is an upsert. */
  liveProducts: number;
  /** Of those, products whose latest version was dead-lettered on every attempt (not in the index). */
  deadLettered: number;
  /** What the serving collection should hold: liveProducts − deadLettered. */
  expectedProducts: number;
}

export async function catalogExpectation(eventLog: EventLog, topics: { products: string; deadLetters: string }): Promise<CatalogExpectation> {
  // Per product: the winning version, whether it is an upsert, and how often that version was published (a dead-letter replay republishes it).
  const latest = new Map<string, { version: number; upsert: boolean; published: number }>();
  await eventLog.replayTopic(topics.products, async (batch) => {
    for (const message of batch.messages) {
      if (!message.value) continue;
      const parsed = parseCatalogEvent(message.value);
      if (!parsed.ok) continue;
      const { productId, version, type } = parsed.value;
      const current = latest.get(productId);
      if (current && current.version > version) continue;
      if (current && current.version === version) current.published++;
      else latest.set(productId, { version, upsert: type === 'product.upserted', published: 1 });
    }
  });
  const failures = new Map<string, number>();
  for (const letter of await new DeadLetterReader(eventLog, topics).listDeadLetters()) {
    if (letter.productId === undefined || letter.version === undefined) continue;
    const key = `${letter.productId}@${letter.version}`;
    failures.set(key, (failures.get(key) ?? 0) + 1);
  }
  let liveProducts = 0;
  let deadLettered = 0;
  for (const [productId, entry] of latest) {
    if (!entry.upsert) continue;
    liveProducts++;
    // Indexed when some publication of the winning version was not dead-lettered.
    if ((failures.get(`${productId}@${entry.version}`) ?? 0) >= entry.published) deadLettered++;
  }
  return { liveProducts, deadLettered, expectedProducts: liveProducts - deadLettered };
}
