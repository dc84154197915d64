/** The golden query set in `<TOPIC_PREFIX>catalog.golden-queries.v1` (compacted, one key; Kafka or the embedded log), where ingestion reads it. */
import { DependencyUnavailableError, type GoldenQuerySet } from '@vsearch/contracts';
import { GoldenQueryLog, type EventLog } from '@vsearch/event-log';
import { GoldenQueryStore } from '../ports';

export class EventLogGoldenQueryStore extends GoldenQueryStore {
  private readonly log: GoldenQueryLog;

  constructor(
    private readonly eventLog: EventLog,
    private readonly topic: string,
  ) {
    super();
    this.log = new GoldenQueryLog(eventLog, topic);
  }

  async get(): Promise<GoldenQuerySet | undefined> {
    try {
      return await this.log.get();
    } catch (error) {
      throw new DependencyUnavailableError('event-log', `cannot read ${this.topic} (${this.eventLog.kind}): ${(error as Error).message}`);
    }
  }

  async put(set: GoldenQuerySet): Promise<void> {
    try {
      await this.log.put(set);
    } catch (error) {
      throw new DependencyUnavailableError('event-log', `cannot publish to ${this.topic} (${this.eventLog.kind}): ${(error as Error).message}`);
    }
  }
}
