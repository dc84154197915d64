/** One stored product as the search service holds it (GetProduct): data, images, failed images, tags. */
import { NotFoundError, type StoredProduct } from '@vsearch/contracts';
import type { RequestContext, TaggingIndex } from '../ports';

export class ProductDetailService {
  constructor(private readonly index: TaggingIndex) {}

  async product(productId: string, context: RequestContext): Promise<StoredProduct> {
    const product = await this.index.getProduct(productId, context);
    if (!product) throw new NotFoundError('product_not_found', `no product ${productId} in the index`);
    return product;
  }
}
