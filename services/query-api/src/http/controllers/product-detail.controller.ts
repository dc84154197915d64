/** `GET /v1/products/{id}`: one stored product with its indexed images, the images that failed and its zero-shot tags. */
import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import type { RequestContext } from '../../ports';
import { ProductDetailService } from '../../services/product-detail.service';
import { productDetailSchema, toProductDetailJson, type ProductDetail } from '../dtos/product-detail.dto';
import { productIdSchema } from '../dtos/similar-query.dto';
import { ApiErrors, ApiRequestIdHeader, openApiSchema } from '../openapi';
import { Ctx } from '../request-context';
import { ValidParam } from '../validation';

@ApiTags('products')
@ApiRequestIdHeader()
@Controller('v1/products')
export class ProductDetailController {
  constructor(private readonly products: ProductDetailService) {}

  @Get(':id')
  @ApiOperation({ summary: 'A stored product: its data, indexed images, images that could not be indexed, and zero-shot tags', operationId: 'getProduct' })
  @ApiParam({ name: 'id', description: 'catalog product id', schema: openApiSchema(productIdSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(productDetailSchema) })
  @ApiErrors(400, 404, 503)
  async product(@ValidParam('id', productIdSchema) productId: string, @Ctx() context: RequestContext): Promise<ProductDetail> {
    return toProductDetailJson(await this.products.product(productId, context));
  }
}
