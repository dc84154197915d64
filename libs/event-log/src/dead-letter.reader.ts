/**
 * Reading and replaying the dead-letter topic, on whichever event log it is (Kafka or the
 * embedded file log): list with a filter, find one by id, count per reason, and republish the
 * original events to the catalog topic once their cause is fixed. Reads go through
 * `EventLog.replayTopic` (the topic from its beginning to its end at the call), so nothing here
 * joins ingestion's consumer group or moves its offsets.
 */
import { deadLetterFromEvent, matchesDeadLetterFilter, replayRecordOf, type DeadLetter, type DeadLetterFilter } from './dead-letter';
import type { EventLog } from './event-log.port';

export interface DeadLetterTopics {
  /** Where the dead letters are (`catalog.products.v1.dlq`, with TOPIC_PREFIX). */
  deadLetters: string;
  /** Where a replay republishes (`catalog.products.v1`, with TOPIC_PREFIX): the only topic that dead letters come from. */
  products: string;
}

export interface DeadLetterReplay {
  /** Republished (or, in a dry run, that would be), oldest first. */
  republished: DeadLetter[];
  /** Matched but left out: the same product version was already in this replay (a letter dead-lettered twice). */
  duplicates: DeadLetter[];
}

export class DeadLetterReader {
  constructor(
    private readonly eventLog: EventLog,
    private readonly topics: DeadLetterTopics,
  ) {}

  /** Every dead letter matching the filter, oldest first (by partition, then offset). */
  async listDeadLetters(filter: DeadLetterFilter = {}): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    await this.eventLog.replayTopic(this.topics.deadLetters, async (batch) => {
      for (const event of batch.messages) {
        const letter = deadLetterFromEvent(event);
        if (matchesDeadLetterFilter(letter, filter)) letters.push(letter);
      }
    });
    return letters.sort(byPosition);
  }

  async findDeadLetter(id: string): Promise<DeadLetter | undefined> {
    return (await this.listDeadLetters({ id }))[0];
  }

  /** Dead letters per error code, most frequent first. */
  async countByReason(filter: DeadLetterFilter = {}): Promise<{ errorCode: string; stage: string; count: number }[]> {
    const counts = new Map<string, { errorCode: string; stage: string; count: number }>();
    for (const letter of await this.listDeadLetters(filter)) {
      const key = `${letter.stage}\u0000${letter.errorCode}`;
      const entry = counts.get(key) ?? { errorCode: letter.errorCode, stage: letter.stage, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    return [...counts.values()].sort((a, b) => b.count - a.count || a.errorCode.localeCompare(b.errorCode));
  }

  /**
   * Republishes the original key, value and headers of every matching letter to the products
   * topic, one record per product version. Replaying twice is harmless: ingestion skips an event
   * whose version is already stored, and a letter whose cause is not fixed is dead-lettered again
   * under a new id. The dead letters stay where they are (the topic is a log).
   */
  async replayDeadLetters(filter: DeadLetterFilter, options: { dryRun?: boolean } = {}): Promise<DeadLetterReplay> {
    const republished: DeadLetter[] = [];
    const duplicates: DeadLetter[] = [];
    const seen = new Set<string>();
    for (const letter of await this.listDeadLetters(filter)) {
      // Unidentifiable events (unparseable JSON) are compared by their bytes.
      const identity =
        letter.productId !== undefined && letter.version !== undefined
          ? `${letter.productId}@${letter.version}`
          : `bytes:${letter.value?.toString('base64') ?? ''}`;
      if (seen.has(identity)) duplicates.push(letter);
      else {
        seen.add(identity);
        republished.push(letter);
      }
    }
    if (!options.dryRun && republished.length > 0) await this.eventLog.publish(this.topics.products, republished.map(replayRecordOf));
    return { republished, duplicates };
  }
}

function byPosition(a: DeadLetter, b: DeadLetter): number {
  const [partitionA, offsetA] = a.id.split('-').map(BigInt);
  const [partitionB, offsetB] = b.id.split('-').map(BigInt);
  if (partitionA !== partitionB) return partitionA < partitionB ? -1 : 1;
  return offsetA < offsetB ? -1 : offsetA > offsetB ? 1 : 0;
}
