/**
 * Merchandisers' index generations (X-Api-Key): the list with each generation's model, size, swap
 * times and gate report; a rollback of the alias; the golden query set (JSONL) the gates check.
 */
import { Controller, Get, HttpCode, Post, Put, Req, Res, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { goldenQueriesToJsonl, InvalidRequestError, MAX_GOLDEN_QUERIES, MAX_GOLDEN_QUERIES_BYTES, type GenerationInfo } from '@vsearch/contracts';
import type { RequestContext } from '../../ports';
import { GenerationsAdminService } from '../../services/generations-admin.service';
import { adminClientName, AdminApiKeyGuard } from '../admin-api-key.guard';
import { goldenQueriesStoredSchema, generationsResponseSchema, rollbackBodySchema, type RollbackBody } from '../dtos/generations.dto';
import { reindexAcceptedSchema } from '../dtos/responses.dto';
import { ApiErrors, ApiRequestIdHeader, openApiSchema } from '../openapi';
import { Ctx } from '../request-context';
import { ValidBody } from '../validation';

/** Media types a JSONL body may come as (text/plain too: `curl --data-binary` sends no better one by default). */
export const JSONL_CONTENT_TYPES = ['application/jsonl', 'application/x-ndjson', 'application/x-jsonlines', 'text/plain'];
export const GOLDEN_QUERIES_ROUTE = '/v1/admin/golden-queries';

@ApiTags('admin')
@ApiSecurity('apiKey')
@ApiRequestIdHeader()
@UseGuards(AdminApiKeyGuard)
@Controller('v1/admin')
export class GenerationsAdminController {
  constructor(private readonly generations: GenerationsAdminService) {}

  @Get('generations')
  @ApiOperation({
    summary: 'Index generations: which one is live, retained ones a rollback can go to, rejected ones kept for inspection',
    operationId: 'listGenerations',
  })
  @ApiOkResponse({ schema: openApiSchema(generationsResponseSchema) })
  @ApiErrors(401, 403, 503)
  async list(@Ctx() context: RequestContext): Promise<{ generations: GenerationInfo[] }> {
    return { generations: await this.generations.list(context) };
  }

  @Post('rollback')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Swap the alias back to the previous generation (or the retained one named), atomically, in turn with reindex jobs',
    operationId: 'requestRollback',
  })
  @ApiBody({ required: false, schema: openApiSchema(rollbackBodySchema, 'input') as never })
  @ApiAcceptedResponse({ description: 'the request is published; follow it with GET /v1/admin/reindex/{jobId}', schema: openApiSchema(reindexAcceptedSchema) })
  @ApiErrors(400, 401, 403, 503)
  rollback(@ValidBody(rollbackBodySchema) body: RollbackBody, @Req() request: Request, @Ctx() context: RequestContext): Promise<{ jobId: string }> {
    return this.generations.requestRollback(body, adminClientName(request), context);
  }

  @Put('golden-queries')
  @ApiOperation({
    summary: `Store the golden query set: JSONL, one {"query" | "imageUrl", "expectedProductIds"} per line, at most ${MAX_GOLDEN_QUERIES} queries and ${MAX_GOLDEN_QUERIES_BYTES} bytes; each bad line is named`,
    operationId: 'putGoldenQueries',
    requestBody: { required: true, content: Object.fromEntries(JSONL_CONTENT_TYPES.slice(0, 1).map((type) => [type, { schema: { type: 'string' } }])) },
  })
  @ApiOkResponse({ schema: openApiSchema(goldenQueriesStoredSchema) })
  @ApiErrors(400, 401, 403, 413, 503)
  async putGoldenQueries(@Req() request: Request, @Ctx() context: RequestContext): Promise<{ queries: number; updatedAt: string }> {
    if (typeof request.body !== 'string') {
      throw new InvalidRequestError(
        'invalid_content_type',
        `send the golden queries as JSONL with Content-Type ${JSONL_CONTENT_TYPES.slice(0, 2).join(' or ')}`,
      );
    }
    const stored = await this.generations.setGoldenQueries(request.body, adminClientName(request), context);
    return { queries: stored.queries.length, updatedAt: stored.updatedAt };
  }

  @Get('golden-queries')
  @ApiOperation({
    summary: 'The stored golden query set as JSONL (empty when none is stored); its upload time in Last-Modified',
    operationId: 'getGoldenQueries',
  })
  @ApiProduces('application/jsonl')
  @ApiErrors(401, 403, 503)
  async getGoldenQueries(@Ctx() context: RequestContext, @Res() response: Response): Promise<void> {
    const set = await this.generations.goldenQueries(context);
    if (set) response.setHeader('last-modified', new Date(set.updatedAt).toUTCString());
    response
      .status(200)
      .type('application/jsonl; charset=utf-8')
      .send(goldenQueriesToJsonl(set?.queries ?? []));
  }
}
