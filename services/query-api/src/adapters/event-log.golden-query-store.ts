/** The golden query set in `<TOPIC_PREFIX>catalog.golden-queries.v1` (compacted, one key; Kafka or the embedded log), where ingestion reads it. */
import type { GoldenQuerySet } from '@vsearch/contracts';
import type { GoldenQueryLog } from '@vsearch/event-log';
import { GoldenQueryStore } from '../ports';

export class EventLogGoldenQueryStore extends GoldenQueryStore {
  constructor(private readonly log: GoldenQueryLog) {
    super();
  }

  /** Throws DependencyUnavailableError (503) when the log cannot be read. */
  get(): Promise<GoldenQuerySet | undefined> {
    return this.log.get();
  }

  put(set: GoldenQuerySet): Promise<void> {
    return this.log.put(set);
  }
}
