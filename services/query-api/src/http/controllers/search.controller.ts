/** Shopper search routes: `GET /v1/search` (text) and `POST /v1/search/image` (photo upload or URL). */
import { Controller, Get, HttpCode, Post, Req, UnsupportedMediaTypeException, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { InvalidRequestError } from '@vsearch/contracts';
import type { RequestContext } from '../../ports';
import { ProductSearchService } from '../../services/product-search.service';
import { toPageRequest, type TagFilterParams } from '../dtos/filters.dto';
import { imageSearchQuerySchema, imageUploadFormJsonSchema, imageUrlBodySchema, type ImageSearchQuery } from '../dtos/image-search.dto';
import { searchResponseSchema, type SearchResponse } from '../dtos/responses.dto';
import { textSearchQuerySchema, type TextSearchQuery } from '../dtos/search-query.dto';
import { toSearchResponseJson } from '../dtos/search-response.mapper';
import { ApiErrors, ApiQueryFrom, ApiRequestIdHeader, ApiTagFilterQuery, openApiSchema } from '../openapi';
import { Ctx } from '../request-context';
import { UploadSizeInterceptor } from '../upload-size.interceptor';
import { parseInput, ValidSearchQuery } from '../validation';

/** What multer's memory storage hands over for the `image` field. */
interface UploadedImage {
  buffer: Buffer;
  size: number;
  originalname: string;
  mimetype: string;
}

@ApiTags('search')
@ApiRequestIdHeader()
@Controller('v1/search')
export class SearchController {
  constructor(private readonly search: ProductSearchService) {}

  @Get()
  @ApiOperation({ summary: 'Search products by a text description', operationId: 'searchText' })
  @ApiQueryFrom(textSearchQuerySchema)
  @ApiTagFilterQuery()
  @ApiOkResponse({ description: 'one row per product, best first', schema: openApiSchema(searchResponseSchema) })
  @ApiErrors(400, 503)
  async searchText(@ValidSearchQuery(textSearchQuerySchema) query: TextSearchQuery & TagFilterParams, @Ctx() context: RequestContext): Promise<SearchResponse> {
    return toSearchResponseJson(await this.search.searchText(query.q, { ...toPageRequest(query), mode: query.mode }, context));
  }

  @Post('image')
  @HttpCode(200)
  @UseInterceptors(UploadSizeInterceptor, FileInterceptor('image'))
  @ApiOperation({
    summary: 'Search products by a photo: multipart field `image`, or JSON `{"imageUrl"}`',
    operationId: 'searchImage',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': { schema: imageUploadFormJsonSchema as never },
        'application/json': { schema: openApiSchema(imageUrlBodySchema, 'input') },
      },
    },
  })
  @ApiQueryFrom(imageSearchQuerySchema)
  @ApiTagFilterQuery()
  @ApiOkResponse({ description: 'one row per product, best first', schema: openApiSchema(searchResponseSchema) })
  @ApiErrors(400, 413, 415, 422, 503)
  async searchImage(
    @ValidSearchQuery(imageSearchQuerySchema) query: ImageSearchQuery & TagFilterParams,
    @UploadedFile() image: UploadedImage | undefined,
    @Req() request: Request,
    @Ctx() context: RequestContext,
  ): Promise<SearchResponse> {
    if (image) return toSearchResponseJson(await this.search.searchUploadedImage(image.buffer, toPageRequest(query), context));
    if (request.is('multipart/form-data')) throw new InvalidRequestError('missing_image', 'the multipart field "image" is required');
    if (!request.is('application/json')) {
      throw new UnsupportedMediaTypeException('send multipart/form-data with an "image" file, or application/json with {"imageUrl"}');
    }
    const body = parseInput(imageUrlBodySchema, request.body, 'body');
    return toSearchResponseJson(await this.search.searchImageUrl(body.imageUrl, toPageRequest(query), context));
  }
}
