/** Reindex jobs read from the durable job store (`<TOPIC_PREFIX>catalog.reindex-jobs.v1`), which every ingestion replica writes. */
import type { ReindexJob } from '@vsearch/contracts';
import type { EventLogReindexJobStore } from '@vsearch/event-log';
import { ReindexProgressSource } from '../ports';

export class EventLogReindexProgress extends ReindexProgressSource {
  constructor(private readonly store: EventLogReindexJobStore) {
    super();
  }

  getJob(jobId: string): Promise<ReindexJob | undefined> {
    return this.store.get(jobId);
  }

  listJobs(): Promise<ReindexJob[]> {
    return this.store.list();
  }

  recordQueued(job: ReindexJob): Promise<void> {
    return this.store.put(job);
  }
}
