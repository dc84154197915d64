/** `POST /v1/classify`: ad-hoc zero-shot classification of a photo (upload or URL) or a stored product against candidate labels. */
import { Controller, HttpCode, Post, Req, UnsupportedMediaTypeException, UploadedFile, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { InvalidRequestError } from '@vsearch/contracts';
import type { RequestContext } from '../../ports';
import { ClassifyService, type ClassifyAnswer, type ClassifyCandidates } from '../../services/classify.service';
import {
  classifyUploadQuerySchema,
  classifyJsonBodySchema,
  classifyResponseSchema,
  classifyUploadFormJsonSchema,
  type ClassifyResponse,
} from '../dtos/classify.dto';
import { roundConfidence } from '../dtos/search-response.mapper';
import { ApiErrors, ApiQueryFrom, ApiRequestIdHeader, openApiSchema } from '../openapi';
import { Ctx } from '../request-context';
import { UploadSizeInterceptor } from '../upload-size.interceptor';
import { parseInput } from '../validation';

interface UploadedImage {
  buffer: Buffer;
}

@ApiTags('classify')
@ApiRequestIdHeader()
@Controller('v1/classify')
export class ClassifyController {
  constructor(private readonly classifier: ClassifyService) {}

  @Post()
  @HttpCode(200)
  @UseInterceptors(UploadSizeInterceptor, FileInterceptor('image'))
  @ApiOperation({
    summary:
      "Rank candidate labels for a photo or a stored product (softmax over the model's logit scale): a multipart `image` with the candidates in the query string, or JSON with `imageUrl` or `productId` and the candidates",
    operationId: 'classify',
    requestBody: {
      required: true,
      content: {
        'multipart/form-data': { schema: classifyUploadFormJsonSchema as never },
        'application/json': { schema: openApiSchema(classifyJsonBodySchema, 'input') },
      },
    },
  })
  @ApiQueryFrom(classifyUploadQuerySchema)
  @ApiOkResponse({ schema: openApiSchema(classifyResponseSchema) })
  @ApiErrors(400, 404, 413, 415, 422, 503)
  async classify(@UploadedFile() image: UploadedImage | undefined, @Req() request: Request, @Ctx() context: RequestContext): Promise<ClassifyResponse> {
    if (request.is('multipart/form-data')) {
      // Multipart forms carry one part, the file (the module's multer limits): the candidates travel in the query string.
      const fields = parseInput(classifyUploadQuerySchema, request.query, 'query');
      if (!image) throw new InvalidRequestError('missing_image', 'the multipart field "image" is required');
      return toJson(await this.classifier.classify({ kind: 'upload', bytes: image.buffer }, candidatesOf(fields), context));
    }
    if (!request.is('application/json')) {
      throw new UnsupportedMediaTypeException('send multipart/form-data with an "image" file (candidates in the query string), or application/json');
    }
    const body = parseInput(classifyJsonBodySchema, request.body, 'body');
    const subject = body.productId !== undefined ? { kind: 'product' as const, productId: body.productId } : { kind: 'url' as const, imageUrl: body.imageUrl! };
    return toJson(await this.classifier.classify(subject, candidatesOf(body), context));
  }
}

function candidatesOf(value: { labels?: string[]; template?: string; attribute?: string }): ClassifyCandidates {
  return value.attribute !== undefined ? { attribute: value.attribute } : { labels: value.labels!, template: value.template };
}

function toJson(answer: ClassifyAnswer): ClassifyResponse {
  return {
    labels: answer.labels.map(({ label, probability }) => ({ label, probability: roundConfidence(probability) })),
    ...(answer.attribute ? { attribute: answer.attribute } : {}),
    model: answer.model,
  };
}
