/**
 * The merchandisers' golden query set in the compacted topic `catalog.golden-queries.v1`: one
 * record under one key, the newest wins. The query API writes it; every ingestion replica reads it
 * when it gates a swap, on Kafka and on the embedded log alike.
 */
import { DependencyUnavailableError, goldenQuerySetSchema, type GoldenQuerySet } from '@vsearch/contracts';
import type { EventLog, TopicSpec } from './event-log.port';

/** The one key of the topic: compaction keeps only the newest set. */
export const GOLDEN_QUERIES_KEY = 'golden-queries';

export function goldenQueriesTopicSpec(topic: string): TopicSpec {
  return { topic, partitions: 1, config: { 'cleanup.policy': 'compact' } };
}

export class GoldenQueryLog {
  constructor(
    private readonly eventLog: EventLog,
    /** `catalogTopicNames(TOPIC_PREFIX).goldenQueries`. */
    private readonly topic: string,
  ) {}

  /** Replaces the stored set; throws DependencyUnavailableError when the log cannot be written. */
  async put(set: GoldenQuerySet): Promise<void> {
    const value = JSON.stringify(goldenQuerySetSchema.parse(set));
    await this.unavailableAs('publish to', async () => {
      await this.eventLog.ensureTopics([goldenQueriesTopicSpec(this.topic)]);
      await this.eventLog.publishOne(this.topic, GOLDEN_QUERIES_KEY, value);
    });
  }

  /**
   * The newest stored set, or undefined when none was ever stored; a record that does not parse is
   * skipped (an older one is used). Throws DependencyUnavailableError when the log cannot be read.
   */
  get(signal?: AbortSignal): Promise<GoldenQuerySet | undefined> {
    return this.unavailableAs('read', () => this.newest(signal));
  }

  private async newest(signal?: AbortSignal): Promise<GoldenQuerySet | undefined> {
    await this.eventLog.ensureTopics([goldenQueriesTopicSpec(this.topic)]);
    let newest: GoldenQuerySet | undefined;
    await this.eventLog.replayTopic(
      this.topic,
      async (batch) => {
        for (const message of batch.messages) {
          if (message.key !== GOLDEN_QUERIES_KEY || !message.value) continue;
          const parsed = goldenQuerySetSchema.safeParse(parseJson(message.value.toString('utf8')));
          if (parsed.success) newest = parsed.data;
        }
      },
      { signal },
    );
    return newest;
  }

  private async unavailableAs<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw new DependencyUnavailableError('event-log', `cannot ${what} ${this.topic} (${this.eventLog.kind}): ${(error as Error).message}`, { cause: error });
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
