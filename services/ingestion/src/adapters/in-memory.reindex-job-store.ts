/**
 * ReindexJobStore in this process's memory: the newest record per job id. Job state and the
 * generation history derived from it (gate reports, swap times, retained and rejected
 * generations) last as long as the process and are seen by this replica only; a durable store
 * (a compacted topic) replaces it behind the same port.
 */
import type { ReindexJob, ReindexJobStore } from '@vsearch/contracts';

export class InMemoryReindexJobStore implements ReindexJobStore {
  private readonly jobs = new Map<string, ReindexJob>();

  async put(job: ReindexJob): Promise<void> {
    this.jobs.set(job.jobId, structuredClone(job));
  }

  async get(jobId: string): Promise<ReindexJob | undefined> {
    const job = this.jobs.get(jobId);
    return job ? structuredClone(job) : undefined;
  }

  async list(): Promise<ReindexJob[]> {
    return [...this.jobs.values()].map((job) => structuredClone(job)).sort((a, b) => timeOf(b) - timeOf(a));
  }
}

function timeOf(job: ReindexJob): number {
  return Date.parse(job.updatedAt ?? job.startedAt ?? '') || 0;
}
