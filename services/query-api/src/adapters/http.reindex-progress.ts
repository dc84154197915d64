/** Reindex progress read from ingestion's `GET /internal/reindex/:jobId`. */
import { DependencyUnavailableError } from '@vsearch/contracts';
import { reindexJobSchema } from '../http/dtos/responses.dto';
import { ReindexProgressSource, type ReindexJob, type RequestContext } from '../ports';

export class HttpReindexProgress extends ReindexProgressSource {
  constructor(
    private readonly ingestionUrl: string,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  async getJob(jobId: string, context: RequestContext): Promise<ReindexJob | undefined> {
    const url = `${this.ingestionUrl}/internal/reindex/${encodeURIComponent(jobId)}`;
    let response: Response;
    try {
      response = await fetch(url, { headers: { 'x-request-id': context.requestId, accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new DependencyUnavailableError('ingestion', `${url}: ${(error as Error).message}`);
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return undefined;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DependencyUnavailableError('ingestion', `${url} answered ${response.status}`);
    }
    const parsed = reindexJobSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new DependencyUnavailableError('ingestion', `${url} answered a body that is not a reindex job`);
    return parsed.data;
  }
}
