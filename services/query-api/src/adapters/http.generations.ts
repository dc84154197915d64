/** The generations list read from ingestion's `GET /internal/generations`. */
import { DependencyUnavailableError, type GenerationInfo } from '@vsearch/contracts';
import { generationsResponseSchema } from '../http/dtos/generations.dto';
import { GenerationsSource, type RequestContext } from '../ports';

export class HttpGenerations extends GenerationsSource {
  constructor(
    private readonly ingestionUrl: string,
    private readonly timeoutMs: number,
  ) {
    super();
  }

  async list(context: RequestContext): Promise<GenerationInfo[]> {
    const url = `${this.ingestionUrl}/internal/generations`;
    let response: Response;
    try {
      response = await fetch(url, { headers: { 'x-request-id': context.requestId, accept: 'application/json' }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new DependencyUnavailableError('ingestion', `${url}: ${(error as Error).message}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new DependencyUnavailableError('ingestion', `${url} answered ${response.status}`);
    }
    const parsed = generationsResponseSchema.safeParse(await response.json().catch(() => undefined));
    if (!parsed.success) throw new DependencyUnavailableError('ingestion', `${url} answered a body that is not a generations list`);
    return parsed.data.generations;
  }
}
