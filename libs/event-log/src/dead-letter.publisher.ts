/**
 * Dead letters: the original key and value, unchanged, on `<topic>.dlq` (by default
 * `catalog.products.v1.dlq`), with headers naming why and where it failed and where it came from.
 */
import { CATALOG_PRODUCTS_DLQ_TOPIC } from '@vsearch/contracts';
import type { ConsumedEvent, EventLog } from './event-log.port';

/** Where it failed; `handle` is an unexpected error (a bug, not an outage) that outlasted its retries. */
export type DeadLetterStage = 'parse' | 'fetch' | 'decode' | 'embed' | 'upsert' | 'handle';

export interface DeadLetterReason {
  stage: DeadLetterStage;
  /** Stable machine code, e.g. `invalid_json`, `schema_violation`, `refused_address`, `all_images_failed`, `unexpected_error`. */
  errorCode: string;
  /** Human-readable reason (truncated to 1000 characters). */
  reason: string;
}

export const DLQ_HEADERS = {
  reason: 'x-dlq-reason',
  stage: 'x-dlq-stage',
  errorCode: 'x-dlq-error-code',
  originalTopic: 'x-original-topic',
  originalPartition: 'x-original-partition',
  originalOffset: 'x-original-offset',
  failedAt: 'x-dlq-failed-at',
} as const;

export class DeadLetterPublisher {
  constructor(
    private readonly eventLog: EventLog,
    private readonly topic: string = CATALOG_PRODUCTS_DLQ_TOPIC,
  ) {}

  get dlqTopic(): string {
    return this.topic;
  }

  async publishDeadLetter(original: ConsumedEvent, why: DeadLetterReason): Promise<void> {
    await this.eventLog.publish(this.topic, [
      {
        key: original.key,
        value: original.value,
        headers: {
          ...original.headers,
          [DLQ_HEADERS.reason]: why.reason.slice(0, 1000),
          [DLQ_HEADERS.stage]: why.stage,
          [DLQ_HEADERS.errorCode]: why.errorCode,
          [DLQ_HEADERS.originalTopic]: original.topic,
          [DLQ_HEADERS.originalPartition]: String(original.partition),
          [DLQ_HEADERS.originalOffset]: original.offset,
          [DLQ_HEADERS.failedAt]: new Date().toISOString(),
        },
      },
    ]);
  }
}
