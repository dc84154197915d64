/** GoldenQuerySource over the compacted topic `catalog.golden-queries.v1` (Kafka or the embedded log), read at each gated swap. */
import { DependencyUnavailableError, type GoldenQuerySet } from '@vsearch/contracts';
import { GoldenQueryLog, type EventLog } from '@vsearch/event-log';
import { GoldenQuerySource } from '../ports';

export class EventLogGoldenQuerySource extends GoldenQuerySource {
  private readonly log: GoldenQueryLog;

  constructor(
    private readonly eventLog: EventLog,
    private readonly topic: string,
  ) {
    super();
    this.log = new GoldenQueryLog(eventLog, topic);
  }

  async current(): Promise<GoldenQuerySet | undefined> {
    try {
      return await this.log.get();
    } catch (error) {
      throw new DependencyUnavailableError('event-log', `cannot read ${this.topic} (${this.eventLog.kind}): ${(error as Error).message}`, { cause: error });
    }
  }
}
