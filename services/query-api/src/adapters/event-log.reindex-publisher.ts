/** Reindex requests appended to `<TOPIC_PREFIX>catalog.reindex.v1` (Kafka, or the embedded log under DATA_DIR). */
import { CATALOG_REINDEX_TOPIC, DependencyUnavailableError, type ReindexTopicMessage } from '@vsearch/contracts';
import type { EventLog } from '@vsearch/event-log';
import { ReindexRequestPublisher, type RequestContext } from '../ports';

export class EventLogReindexPublisher extends ReindexRequestPublisher {
  constructor(
    private readonly eventLog: EventLog,
    /** `catalogTopicNames(TOPIC_PREFIX).reindex`: the topic ingestion consumes. */
    private readonly topic: string = CATALOG_REINDEX_TOPIC,
  ) {
    super();
  }

  async publish(request: ReindexTopicMessage, context: RequestContext): Promise<void> {
    try {
      await this.eventLog.publishOne(this.topic, request.jobId, JSON.stringify(request), { 'x-request-id': context.requestId });
    } catch (error) {
      throw new DependencyUnavailableError('event-log', `cannot publish to ${this.topic} (${this.eventLog.kind}): ${(error as Error).message}`);
    }
  }

  async close(): Promise<void> {
    await this.eventLog.close();
  }
}
