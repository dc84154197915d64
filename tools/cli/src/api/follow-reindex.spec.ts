/** real: followReindexJob. mock: the query API client (a scripted sequence of answers; any call past the script fails the test). */
import { followReindexJob } from './follow-reindex';
import { ApiResponseError, ApiUnreachableError, type QueryApiClient, type ReindexJob } from './query-api.client';

type Answer = ReindexJob | Error;

function scriptedClient(answers: Answer[]): QueryApiClient {
  const remaining = [...answers];
  return {
    reindexProgress: async () => {
      const next = remaining.shift();
      if (!next) throw new Error('polled more often than the script allows');
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as QueryApiClient;
}

const job = (fields: Partial<ReindexJob>): ReindexJob => ({ jobId: 'rx-1', state: 'running', total: 10, done: 0, collection: 'products_v2', ...fields });

describe(followReindexJob.name, () => {
  const options = (notes: string[]) => ({ pollMs: 1, showProgress: false, sleep: async () => undefined, note: (line: string) => notes.push(line) });

  it('follows a job through a restart of the replica running it and a query API that stops answering for a while, to its end', async () => {
    const notes: string[] = [];
    const client = scriptedClient([
      job({ done: 3, replicaId: 'a' }),
      job({ done: 3, replicaId: 'a', stalled: true }),
      new ApiUnreachableError('http://127.0.0.1:1', 'connection refused'),
      new ApiResponseError(503, 'unavailable', 'reindex jobs not read yet'),
      job({ state: 'queued', done: 3 }),
      job({ done: 6, replicaId: 'b' }),
      job({ state: 'done', done: 10, replicaId: 'b' }),
    ]);
    expect(await followReindexJob(client, 'rx-1', options(notes))).toMatchObject({ state: 'done', done: 10 });
    expect(notes).toEqual([
      expect.stringContaining('stalled (replica a'),
      expect.stringMatching(/connection refused.*still following/),
      expect.stringContaining('answers again'),
    ]);
  });

  it('returns a failed job with its error (the command exits non-zero with it)', async () => {
    const client = scriptedClient([job({ done: 2 }), job({ state: 'failed', error: 'gate product_count failed' })]);
    expect(await followReindexJob(client, 'rx-1', options([]))).toMatchObject({ state: 'failed', error: 'gate product_count failed' });
  });

  it('gives up on an API that stays unavailable past the grace, and at once on an unknown job named by the user', async () => {
    const down = new ApiResponseError(503, 'unavailable', 'down');
    await expect(followReindexJob(scriptedClient([down, down]), 'rx-1', { ...options([]), unavailableGraceMs: -1 })).rejects.toBe(down);
    const unknown = new ApiResponseError(404, 'job_not_found', 'no reindex job rx-9');
    await expect(followReindexJob(scriptedClient([unknown]), 'rx-9', { ...options([]), unknownJobGraceMs: 0 })).rejects.toBe(unknown);
  });
});
