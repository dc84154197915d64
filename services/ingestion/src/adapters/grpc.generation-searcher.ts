/** GenerationSearcher over search's gRPC client: one generation by name, its model named on the query (search refuses another model's vectors). */
import { SearchClient } from '@vsearch/grpc-clients';
import { GenerationSearcher, type GateQuery } from '../ports';
import { searchFailure } from './grpc.product-index-writer';

export class GrpcGenerationSearcher extends GenerationSearcher {
  private readonly client: SearchClient;

  constructor(address: string, deadlineMs = 10_000) {
    super();
    this.client = new SearchClient({ address, defaultDeadlineMs: deadlineMs });
  }

  async topProductIds(collection: string, modelId: string, query: GateQuery, limit: number): Promise<string[]> {
    try {
      const page = await this.client.search({
        collection,
        vector: query.vector,
        ...(query.text ? { text: query.text, mode: 'hybrid' as const } : { mode: 'vector' as const }),
        limit,
        modelId,
      });
      return page.hits.map((hit) => hit.product.productId);
    } catch (error) {
      throw searchFailure(error, collection);
    }
  }

  close(): void {
    this.client.close();
  }
}
