/**
 * real: the embedded file event log under a temp dir (two store instances on one log play two replicas).
 * mock: nothing; the view is fed hand-made records.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DependencyUnavailableError, type ReindexJob } from '@vsearch/contracts';
import { FileEventLog } from './file.event-log';
import { EventLogReindexJobStore, ReindexJobView } from './reindex-job.store';

const job = (jobId: string, updatedAt: string, fields: Partial<ReindexJob> = {}): ReindexJob => ({
  jobId,
  state: 'running',
  total: 10,
  done: 0,
  collection: 'products_v2',
  updatedAt,
  ...fields,
});

const record = (value: unknown, offset = 0, key: string | null = (value as { jobId?: string }).jobId ?? null) => ({
  key,
  value: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
  partition: 0,
  offset: String(offset),
});

describe(ReindexJobView.name, () => {
  it('keeps the newest record per job id, whatever order the records come in', () => {
    const view = new ReindexJobView();
    view.applyRecord(record(job('rx-1', '2026-12-01T10:00:02Z', { done: 5 }), 1));
    view.applyRecord(record(job('rx-1', '2026-12-01T10:00:01Z', { done: 2 }), 2));
    view.applyRecord(record(job('rx-1', '2026-12-01T10:00:03Z', { state: 'done', done: 10 }), 3));
    view.applyRecord(record(job('rx-1', '2026-12-01T10:00:03Z', { state: 'done', done: 10, finishedAt: '2026-12-01T10:00:03Z' }), 4));
    expect(view.get('rx-1')).toEqual(job('rx-1', '2026-12-01T10:00:03Z', { state: 'done', done: 10, finishedAt: '2026-12-01T10:00:03Z' }));
  });

  it('skips malformed records with a warning naming the problem, and keeps reading', () => {
    const warnings: Record<string, unknown>[] = [];
    const view = new ReindexJobView((fields) => warnings.push(fields));
    view.applyRecord(record(job('rx-1', '2026-12-01T10:00:00Z', { done: 3 }), 0));
    view.applyRecord(record('{not json', 1, 'rx-1'));
    view.applyRecord(record({ ...job('rx-1', '2026-12-01T10:00:09Z'), done: -4 }, 2));
    view.applyRecord(record({ jobId: 'rx-1', state: 'exploded', updatedAt: '2026-12-01T10:00:09Z' }, 3));
    view.applyRecord(record(job('rx-2', '2026-12-01T10:00:09Z'), 4, 'rx-1'));
    view.applyRecord(record(job('rx-3', '2026-12-01T10:00:05Z'), 5));
    expect(view.get('rx-1')).toEqual(job('rx-1', '2026-12-01T10:00:00Z', { done: 3 }));
    expect(view.get('rx-2')).toBeUndefined();
    expect(view.get('rx-3')).toBeDefined();
    expect(warnings.map((warning) => warning.offset)).toEqual(['1', '2', '3', '4']);
    expect(String(warnings[1].error)).toMatch(/done/);
    expect(String(warnings[2].error)).toMatch(/state|total/);
  });

  it('forgets a job on a tombstone and lists the rest newest first', () => {
    const view = new ReindexJobView();
    view.apply(job('rx-old', '2026-12-01T10:05:00Z', { startedAt: '2026-12-01T09:00:00Z' }));
    view.apply(job('rx-new', '2026-12-01T10:01:00Z', { startedAt: '2026-12-01T10:00:00Z' }));
    view.apply(job('rx-queued', '2026-12-01T10:02:00Z', { state: 'queued' }));
    view.apply(job('rx-gone', '2026-12-01T11:00:00Z'));
    view.applyRecord({ key: 'rx-gone', value: null, partition: 0, offset: '9' });
    expect(view.list().map((listed) => listed.jobId)).toEqual(['rx-queued', 'rx-new', 'rx-old']);
  });
});

describe(EventLogReindexJobStore.name, () => {
  let dir: string;
  let eventLog: FileEventLog;
  const stores: EventLogReindexJobStore[] = [];
  const newStore = () => {
    const store = new EventLogReindexJobStore(eventLog, { topic: 'catalog.reindex-jobs.v1', groupPrefix: 'test', retryMs: 50 });
    stores.push(store);
    return store;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'reindex-jobs-'));
    eventLog = new FileEventLog({ dir, pollMs: 20, sync: false });
  });

  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    await eventLog.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("shows one writer's records to another reader, the newest per job, after a restart too", async () => {
    const writer = newStore();
    const reader = newStore();
    expect(await writer.whenCaughtUp(10_000)).toBe(true);
    expect(await reader.whenCaughtUp(10_000)).toBe(true);
    await writer.put(job('rx-1', '2026-12-01T10:00:00Z', { done: 4 }));
    await writer.put(job('rx-1', '2026-12-01T10:00:01Z', { state: 'done', done: 10 }));
    expect(await writer.get('rx-1')).toMatchObject({ state: 'done', done: 10 });
    await pollUntil(async () => (await reader.get('rx-1'))?.state === 'done');

    // A process started later reads the whole topic before it answers.
    const restarted = newStore();
    expect(await restarted.whenCaughtUp(10_000)).toBe(true);
    expect(await restarted.list()).toEqual([job('rx-1', '2026-12-01T10:00:01Z', { state: 'done', done: 10 })]);
  });

  it('reads on past its first batch and keeps up with later writes (it moves on without committing)', async () => {
    const writer = newStore();
    expect(await writer.whenCaughtUp(10_000)).toBe(true);
    for (let i = 0; i < 300; i++) await writer.put(job(`rx-${i}`, '2026-12-01T10:00:00Z'));
    const reader = newStore();
    expect(await reader.whenCaughtUp(10_000)).toBe(true);
    expect(await reader.list()).toHaveLength(300);
    await writer.put(job('rx-299', '2026-12-01T10:00:01Z', { state: 'done', done: 10 }));
    await pollUntil(async () => (await reader.get('rx-299'))?.state === 'done');
  });

  it('answers 503-style (DependencyUnavailableError) instead of a wrong "unknown job" before it has read the topic', async () => {
    const store = new EventLogReindexJobStore(eventLog, { topic: 'catalog.reindex-jobs.v1', groupPrefix: 'test' });
    stores.push(store);
    await expect(store.get('rx-1')).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});

async function pollUntil(condition: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('condition not met within 10 s');
}
