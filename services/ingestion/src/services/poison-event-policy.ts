/**
 * What happens to an event that fails with an unexpected error (a bug in our code or data that
 * trips one, never a dependency outage): its partition is retried with backoff a bounded number
 * of times, then the event is given up on (dead-lettered by the handler) so the partition moves
 * on. Outages (DependencyUnavailableError, CollectionDamagedError is one) are not this policy's
 * business: they pause the partition for as long as they last and are never dead-lettered.
 *
 * Attempts are counted per event (topic, partition, offset) in this process: a partition that
 * moves to another replica starts counting again, which only costs a few more tries.
 */
import { DependencyUnavailableError } from '@vsearch/contracts';
import type { ConsumedEvent } from '@vsearch/event-log';
import { backoffDelay } from './concurrency';

export interface PoisonEventSettings {
  /** Tries of the event, the first included; after the last one it is given up on. */
  maxAttempts: number;
  /** Pause before the second try, doubled for each further one (with jitter) up to `backoffMaxMs`. */
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export const DEFAULT_POISON_EVENT_SETTINGS: PoisonEventSettings = { maxAttempts: 5, backoffBaseMs: 1_000, backoffMaxMs: 30_000 };

/** The verdict on one failed try of an event. */
export type PoisonVerdict = { action: 'retry'; attempt: number; delayMs: number } | { action: 'give_up'; attempts: number };

/** True for our own outages (the embedder, search or the log not answering, a damaged collection): they pause, never dead-letter. */
export function isOutage(error: unknown): boolean {
  return error instanceof DependencyUnavailableError;
}

export class PoisonEventPolicy {
  /** Failed tries by partition, then by offset: only the chunk a partition is retrying is ever here. */
  private readonly attempts = new Map<string, Map<string, number>>();

  constructor(
    private readonly settings: PoisonEventSettings,
    private readonly random: () => number = Math.random,
  ) {}

  /** Records a failed try of `event` and says whether to try it again (after `delayMs`) or give up on it. */
  failed(event: ConsumedEvent): PoisonVerdict {
    const partition = partitionKey(event);
    const byOffset = this.attempts.get(partition) ?? new Map<string, number>();
    this.attempts.set(partition, byOffset);
    const attempt = (byOffset.get(event.offset) ?? 0) + 1;
    if (attempt >= this.settings.maxAttempts) {
      byOffset.delete(event.offset);
      return { action: 'give_up', attempts: attempt };
    }
    byOffset.set(event.offset, attempt);
    return { action: 'retry', attempt, delayMs: backoffDelay(attempt - 1, this.settings.backoffBaseMs, this.settings.backoffMaxMs, this.random) };
  }

  /** Forgets a partition's tries once its chunk is committed. */
  committed(topic: string, partition: number): void {
    this.attempts.delete(`${topic}/${partition}`);
  }

  /** Events being retried, for tests and logs. */
  get pending(): number {
    let count = 0;
    for (const byOffset of this.attempts.values()) count += byOffset.size;
    return count;
  }
}

/**
 * The dead letter's reason for an unexpected error: its name and the first line of its message,
 * without the stack (it names our files and lines, not the event's problem), credentials or
 * query strings of URLs (signed image URLs carry tokens there), cut to 300 characters.
 */
export function stackFreeReason(error: unknown, attempts: number): string {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const firstLine = message.split('\n', 1)[0].trim();
  const redacted = firstLine.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]*@/gi, '$1').replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#]*)[?#]\S*/gi, '$1');
  const reason = `${name}: ${redacted || '(no message)'} (failed ${attempts} time${attempts === 1 ? '' : 's'})`;
  return reason.length > 300 ? `${reason.slice(0, 299)}…` : reason;
}

function partitionKey(event: ConsumedEvent): string {
  return `${event.topic}/${event.partition}`;
}
