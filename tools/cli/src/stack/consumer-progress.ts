/**
 * How far a consumer group (ingestion) got through a topic: the sum of its
 * committed offsets against the sum of the log end offsets. Ingestion commits
 * only after search acknowledged the write (or the event was dead-lettered), so
 * "committed = end" means every published event is done.
 */
import { FileEventLog, KafkaEventLog, type EventLog } from '@vsearch/event-log';

export interface ConsumerProgress {
  /** Events processed (committed) by the group. */
  done: number;
  /** Events in the topic (log end offsets). */
  total: number;
}

/** Events ever appended to `topic` (0 when it does not exist yet). */
export async function endOffsetSum(eventLog: EventLog, topic: string): Promise<number> {
  let ends: Map<number, string>;
  try {
    ends = await eventLog.endOffsets(topic);
  } catch {
    return 0;
  }
  let total = 0;
  for (const end of ends.values()) total += Number(end);
  return total;
}

export async function consumerProgress(eventLog: EventLog, groupId: string, topic: string): Promise<ConsumerProgress> {
  const ends = await eventLog.endOffsets(topic);
  const committed = await committedOffsets(eventLog, groupId, topic);
  let done = 0;
  let total = 0;
  for (const [partition, end] of ends) {
    total += Number(end);
    done += Math.min(Number(end), committed.get(partition) ?? 0);
  }
  return { done, total };
}

async function committedOffsets(eventLog: EventLog, groupId: string, topic: string): Promise<Map<number, number>> {
  const result = new Map<number, number>();
  if (eventLog instanceof FileEventLog) {
    for (const [partition, offset] of Object.entries(eventLog.readCommitted(groupId)[topic] ?? {})) result.set(Number(partition), Number(offset));
    return result;
  }
  if (eventLog instanceof KafkaEventLog) {
    const admin = eventLog.kafkaClient.admin();
    await admin.connect();
    try {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      for (const { partition, offset } of offsets?.partitions ?? []) if (Number(offset) >= 0) result.set(partition, Number(offset));
    } finally {
      await admin.disconnect();
    }
    return result;
  }
  throw new Error(`cannot read committed offsets from a ${eventLog.kind} event log`);
}
