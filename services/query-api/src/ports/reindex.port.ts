/** Ports for merchandisers' reindex jobs: publishing requests and reading job state from the durable job store. */
import type { ReindexJob, ReindexTopicMessage } from '@vsearch/contracts';
import type { RequestContext } from './request-context';

export type { ReindexJob, ReindexJobState } from '@vsearch/contracts';

export abstract class ReindexRequestPublisher {
  /** Appends the request (a reindex or a rollback) to `catalog.reindex.v1`; throws DependencyUnavailableError when the log is down. */
  abstract publish(request: ReindexTopicMessage, context: RequestContext): Promise<void>;
  abstract close(): Promise<void>;
}

/** Reindex jobs as every ingestion replica records them; each method throws DependencyUnavailableError while the store cannot answer. */
export abstract class ReindexProgressSource {
  /** `undefined` when no replica ever recorded such a job. */
  abstract getJob(jobId: string, context: RequestContext): Promise<ReindexJob | undefined>;
  /** Every known job, newest first. */
  abstract listJobs(context: RequestContext): Promise<ReindexJob[]>;
  /** Records a job queued as soon as its request is published, so it is known before an ingestion replica reads the request. */
  abstract recordQueued(job: ReindexJob, context: RequestContext): Promise<void>;
}
