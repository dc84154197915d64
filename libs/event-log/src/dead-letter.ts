/**
 * A dead letter as read back from the dead-letter topic: its stable id (`<partition>-<offset>`
 * on the DLQ topic), why and where it failed (the headers DeadLetterPublisher wrote), where it
 * came from, and the original key and value untouched. Also the filter merchandisers narrow a
 * list with, and what a replay republishes.
 */
import { DLQ_HEADERS, type DeadLetterStage } from './dead-letter.publisher';
import type { ConsumedEvent, EventRecord } from './event-log.port';

export interface DeadLetter {
  /** `<partition>-<offset>` on the dead-letter topic: the same on every read, on Kafka and on the embedded log. */
  id: string;
  /** `stage` and `errorCode` as the publisher wrote them (`unknown` for a record without the headers). */
  stage: DeadLetterStage | 'unknown';
  errorCode: string;
  reason: string;
  /** When it was dead-lettered (the header, else the append time), ISO 8601. */
  failedAt: string;
  originalTopic?: string;
  originalPartition?: number;
  originalOffset?: string;
  key: string | null;
  value: Buffer | null;
  /** The original event's own headers (the dead-letter headers taken off). */
  originalHeaders: Record<string, string>;
  /** Read from the value when it is a JSON object with them; a malformed event may have neither. */
  productId?: string;
  version?: number;
}

/** What `vsearch dlq list` / `replay` narrow to; every field given must match. */
export interface DeadLetterFilter {
  /** Only letters dead-lettered at or after this instant (ms since the epoch). */
  sinceMs?: number;
  /** Matches the error code (`refused_address`, `schema_violation`, ...) or the stage (`parse`, `fetch`, ...). */
  reason?: string;
  id?: string;
}

const DEAD_LETTER_ID = /^(\d+)-(\d+)$/;
const STAGES: readonly string[] = ['parse', 'fetch', 'decode', 'embed', 'upsert', 'handle'];
const DLQ_HEADER_NAMES: ReadonlySet<string> = new Set(Object.values(DLQ_HEADERS));

/** Header set on a republished event, naming the dead letter it came from (for tracing; ingestion ignores it). */
export const REPLAYED_FROM_HEADER = 'x-dlq-replayed-from';

export function deadLetterId(partition: number, offset: string): string {
  return `${partition}-${offset}`;
}

/** True for a well-formed id (`<partition>-<offset>`, both whole numbers). */
export function isDeadLetterId(text: string): boolean {
  return DEAD_LETTER_ID.test(text);
}

export function deadLetterFromEvent(event: ConsumedEvent): DeadLetter {
  const headers = event.headers;
  const stage = headers[DLQ_HEADERS.stage];
  const originalPartition = headers[DLQ_HEADERS.originalPartition];
  const originalHeaders: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) if (!DLQ_HEADER_NAMES.has(name) && name !== REPLAYED_FROM_HEADER) originalHeaders[name] = value;
  return {
    id: deadLetterId(event.partition, event.offset),
    stage: stage !== undefined && STAGES.includes(stage) ? (stage as DeadLetterStage) : 'unknown',
    errorCode: headers[DLQ_HEADERS.errorCode] ?? 'unknown',
    reason: headers[DLQ_HEADERS.reason] ?? '',
    failedAt: headers[DLQ_HEADERS.failedAt] ?? new Date(event.timestamp).toISOString(),
    originalTopic: headers[DLQ_HEADERS.originalTopic],
    originalPartition: originalPartition !== undefined && /^\d+$/.test(originalPartition) ? Number(originalPartition) : undefined,
    originalOffset: headers[DLQ_HEADERS.originalOffset],
    key: event.key,
    value: event.value,
    originalHeaders,
    ...productIdentity(event.value),
  };
}

export function matchesDeadLetterFilter(letter: DeadLetter, filter: DeadLetterFilter): boolean {
  if (filter.id !== undefined && letter.id !== filter.id) return false;
  if (filter.reason !== undefined && letter.errorCode !== filter.reason && letter.stage !== filter.reason) return false;
  if (filter.sinceMs !== undefined) {
    const failedAt = Date.parse(letter.failedAt);
    if (!(failedAt >= filter.sinceMs)) return false;
  }
  return true;
}

/** The original event as it was first published, plus the header naming the dead letter it is replayed from. */
export function replayRecordOf(letter: DeadLetter): EventRecord {
  return { key: letter.key, value: letter.value, headers: { ...letter.originalHeaders, [REPLAYED_FROM_HEADER]: letter.id } };
}

/**
 * The product id and version, when the value is a JSON object carrying them: for listing only.
 * The dead letter may be exactly the malformed event the parser refused, so nothing here is trusted
 * beyond display; a replay republishes the bytes unchanged and ingestion parses them at its edge.
 */
function productIdentity(value: Buffer | null): { productId?: string; version?: number } {
  if (!value) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString('utf8'));
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const { productId, version } = parsed as { productId?: unknown; version?: unknown };
  return {
    ...(typeof productId === 'string' ? { productId } : {}),
    ...(typeof version === 'number' && Number.isFinite(version) ? { version } : {}),
  };
}
