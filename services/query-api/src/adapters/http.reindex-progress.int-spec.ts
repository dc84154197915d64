/** The ingestion progress adapter against a real local HTTP server (real: node:http, fetch; fake: nothing). */
import { createServer, type Server } from 'node:http';
import { freePort } from '@vsearch/testing';
import { DependencyUnavailableError } from '@vsearch/contracts';
import { HttpReindexProgress } from './http.reindex-progress';

const JOB = {
  jobId: 'rx-1',
  state: 'running',
  total: 10,
  done: 3,
  collection: 'products_v2',
  previousCollection: 'products_v1',
  startedAt: '2026-01-01T00:00:00Z',
};

describe(HttpReindexProgress.name, () => {
  let server: Server;
  let url: string;
  const seenRequestIds: (string | undefined)[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seenRequestIds.push(request.headers['x-request-id'] as string | undefined);
      const send = (status: number, body: string) => response.writeHead(status, { 'content-type': 'application/json' }).end(body);
      if (request.url === '/internal/reindex/rx-1') send(200, JSON.stringify(JOB));
      else if (request.url === '/internal/reindex/rx-garbled') send(200, '{"jobId":"rx-garbled","state":"sleeping"}');
      else if (request.url === '/internal/reindex/rx-boom') send(500, '{}');
      // Never answers (afterAll closes the connection), so only the client's timeout can end the call.
      else if (request.url === '/internal/reindex/rx-slow') return;
      else send(404, '{"error":"not found"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  // Calls that must succeed get a timeout no local answer nears, however busy the machine.
  it('reads a job and sends the request id', async () => {
    await expect(new HttpReindexProgress(url, 10_000).getJob('rx-1', { requestId: 'req-9' })).resolves.toEqual(JOB);
    expect(seenRequestIds.at(-1)).toBe('req-9');
  });

  it('answers undefined for a job ingestion does not know', async () => {
    await expect(new HttpReindexProgress(url, 10_000).getJob('rx-unknown', { requestId: 'r' })).resolves.toBeUndefined();
  });

  it.each([
    ['rx-garbled', 10_000, /answered a body that is not a reindex job/],
    ['rx-boom', 10_000, /answered 500/],
    ['rx-slow', 300, /timeout/],
  ])('treats %s (bad body, 5xx, timeout) as ingestion unavailable', async (jobId, timeoutMs, reason) => {
    const call = new HttpReindexProgress(url, timeoutMs).getJob(jobId, { requestId: 'r' });
    await expect(call).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(call).rejects.toThrow(reason);
  });

  it('treats a refused connection as ingestion unavailable', async () => {
    await expect(new HttpReindexProgress(`http://127.0.0.1:${await freePort()}`, 10_000).getJob('rx-1', { requestId: 'r' })).rejects.toBeInstanceOf(
      DependencyUnavailableError,
    );
  });
});
