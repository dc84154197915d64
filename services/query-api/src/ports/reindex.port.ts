/** Ports for merchandisers' reindex jobs: publishing requests and reading progress from ingestion. */
import type { ReindexJob, ReindexTopicMessage } from '@vsearch/contracts';
import type { RequestContext } from './request-context';

export type { ReindexJob, ReindexJobState } from '@vsearch/contracts';

export abstract class ReindexRequestPublisher {
  /** Appends the request (a reindex or a rollback) to `catalog.reindex.v1`; throws DependencyUnavailableError when the log is down. */
  abstract publish(request: ReindexTopicMessage, context: RequestContext): Promise<void>;
  abstract close(): Promise<void>;
}

export abstract class ReindexProgressSource {
  /** `undefined` when ingestion knows no such job. */
  abstract getJob(jobId: string, context: RequestContext): Promise<ReindexJob | undefined>;
}
