/** `GET /v1/products/{id}/similar`: "more like this". */
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { RequestContext } from '../../ports';
import { ProductSearchService } from '../../services/product-search.service';
import { toPageRequest, type TagFilterParams } from '../dtos/filters.dto';
import { searchResponseSchema, type SearchResponse } from '../dtos/responses.dto';
import { toSearchResponseJson } from '../dtos/search-response.mapper';
import { productIdSchema, similarQuerySchema, type SimilarQuery } from '../dtos/similar-query.dto';
import { ApiErrors, ApiQueryFrom, ApiRequestIdHeader, ApiTagFilterQuery, openApiSchema } from '../openapi';
import { Ctx } from '../request-context';
import { ValidParam, ValidSearchQuery } from '../validation';

@ApiTags('products')
@ApiRequestIdHeader()
@Controller('v1/products')
export class ProductsController {
  constructor(private readonly search: ProductSearchService) {}

  @Get(':id/similar')
  @ApiOperation({ summary: 'Products that look like a stored one ("more like this")', operationId: 'similarProducts' })
  @ApiParam({ name: 'id', description: 'catalog product id', schema: openApiSchema(productIdSchema, 'input') })
  @ApiQueryFrom(similarQuerySchema)
  @ApiTagFilterQuery()
  @ApiOkResponse({ description: 'similar products, best first (the product itself left out)', schema: openApiSchema(searchResponseSchema) })
  @ApiErrors(400, 404, 503)
  async similar(
    @ValidParam('id', productIdSchema) productId: string,
    @ValidSearchQuery(similarQuerySchema) query: SimilarQuery & TagFilterParams,
    @Ctx() context: RequestContext,
  ): Promise<SearchResponse> {
    return toSearchResponseJson(await this.search.similarProducts(productId, toPageRequest(query), context));
  }
}
