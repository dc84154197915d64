/** `POST /v1/describe` and `POST /v1/ask`: the describer model on a shopper's photo (upload or URL) or a stored product. */
import { Controller, HttpCode, Post, Req, UnsupportedMediaTypeException, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { InvalidRequestError } from '@vsearch/contracts';
import type { RequestContext } from '../../ports';
import { DescribeService, type AskSubject } from '../../services/describe.service';
import type { PhotoSource } from '../../services/photo-input';
import {
  askJsonBodySchema,
  askResponseSchema,
  askUploadQuerySchema,
  describeJsonBodySchema,
  describeResponseSchema,
  type AskResponse,
  type DescribeResponse,
} from '../dtos/describe.dto';
import { imageUploadFormJsonSchema } from '../dtos/image-search.dto';
import { ApiErrors, ApiQueryFrom, ApiRequestIdHeader, openApiSchema } from '../openapi';
import { Ctx } from '../request-context';
import { UploadSizeInterceptor } from '../upload-size.interceptor';
import { parseInput } from '../validation';

interface UploadedImage {
  buffer: Buffer;
}

const PHOTO_MEDIA_TYPES = 'send multipart/form-data with an "image" file, or application/json';

@ApiTags('describe')
@ApiRequestIdHeader()
@Controller('v1')
export class DescribeController {
  constructor(private readonly describer: DescribeService) {}

  @Post('describe')
  @HttpCode(200)
  @UseInterceptors(UploadSizeInterceptor, FileInterceptor('image'))
  @ApiOperation({
    summary: 'Describe a photo in words (alt text) and name the catalog attributes the description mentions: a multipart `image`, or JSON `{"imageUrl"}`',
    operationId: 'describe',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': { schema: imageUploadFormJsonSchema as never },
        'application/json': { schema: openApiSchema(describeJsonBodySchema, 'input') },
      },
    },
  })
  @ApiOkResponse({ schema: openApiSchema(describeResponseSchema) })
  @ApiErrors(400, 413, 415, 422, 429, 503)
  async describe(@UploadedFile() image: UploadedImage | undefined, @Req() request: Request, @Ctx() context: RequestContext): Promise<DescribeResponse> {
    const photo: PhotoSource = request.is('multipart/form-data')
      ? uploaded(image)
      : { kind: 'url', imageUrl: parseInput(describeJsonBodySchema, jsonBody(request), 'body').imageUrl };
    return this.describer.describe(photo, context);
  }

  @Post('ask')
  @HttpCode(200)
  @UseInterceptors(UploadSizeInterceptor, FileInterceptor('image'))
  @ApiOperation({
    summary:
      'Answer a question about a photo or a stored product ("what colour is it?", "is it striped?"); "i can\'t tell from the photo" when the photo cannot say (price, size, material, brand): a multipart `image` with `question` in the query string, or JSON with `imageUrl` or `productId` and `question`',
    operationId: 'ask',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': { schema: imageUploadFormJsonSchema as never },
        'application/json': { schema: openApiSchema(askJsonBodySchema, 'input') },
      },
    },
  })
  @ApiQueryFrom(askUploadQuerySchema)
  @ApiOkResponse({ schema: openApiSchema(askResponseSchema) })
  @ApiErrors(400, 404, 413, 415, 422, 429, 503)
  async ask(@UploadedFile() image: UploadedImage | undefined, @Req() request: Request, @Ctx() context: RequestContext): Promise<AskResponse> {
    if (request.is('multipart/form-data')) {
      const { question } = parseInput(askUploadQuerySchema, request.query, 'query');
      return this.describer.ask(uploaded(image), question, context);
    }
    const body = parseInput(askJsonBodySchema, jsonBody(request), 'body');
    const subject: AskSubject = body.productId !== undefined ? { kind: 'product', productId: body.productId } : { kind: 'url', imageUrl: body.imageUrl! };
    return this.describer.ask(subject, body.question, context);
  }
}

function uploaded(image: UploadedImage | undefined): PhotoSource {
  if (!image) throw new InvalidRequestError('missing_image', 'the multipart field "image" is required');
  return { kind: 'upload', bytes: image.buffer };
}

function jsonBody(request: Request): unknown {
  if (!request.is('application/json')) throw new UnsupportedMediaTypeException(PHOTO_MEDIA_TYPES);
  return request.body;
}
