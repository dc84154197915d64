/** GoldenQuerySource over the compacted topic `catalog.golden-queries.v1` (Kafka or the embedded log), read at each gated swap. */
import type { GoldenQuerySet } from '@vsearch/contracts';
import type { GoldenQueryLog } from '@vsearch/event-log';
import { GoldenQuerySource } from '../ports';

export class EventLogGoldenQuerySource extends GoldenQuerySource {
  constructor(private readonly log: GoldenQueryLog) {
    super();
  }

  /** Throws DependencyUnavailableError (the gating job waits) when the log cannot be read. */
  current(): Promise<GoldenQuerySet | undefined> {
    return this.log.get();
  }
}
