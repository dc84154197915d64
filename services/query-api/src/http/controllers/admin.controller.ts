/** Merchandisers' admin routes (X-Api-Key): start a reindex, follow its progress, list the jobs. */
import { createHash } from 'node:crypto';
import { Controller, Get, HttpCode, Post, Req, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBody, ApiOkResponse, ApiOperation, ApiParam, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { RequestContext } from '../../ports';
import { ReindexAdminService, type ReindexJobView } from '../../services/reindex-admin.service';
import { AdminApiKeyGuard, API_KEY_HEADER } from '../admin-api-key.guard';
import { jobIdSchema, reindexBodySchema, type ReindexBody } from '../dtos/reindex.dto';
import { reindexAcceptedSchema, reindexJobListSchema, reindexJobSchema } from '../dtos/responses.dto';
import { ApiErrors, ApiRequestIdHeader, openApiSchema } from '../openapi';
import { Ctx } from '../request-context';
import { ValidBody, ValidParam } from '../validation';

@ApiTags('admin')
@ApiSecurity('apiKey')
@ApiRequestIdHeader()
@UseGuards(AdminApiKeyGuard)
@Controller('v1/admin/reindex')
export class AdminController {
  constructor(private readonly reindex: ReindexAdminService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Rebuild the index into a new collection generation, then swap the alias; or, with categories, refresh those products in place',
    operationId: 'requestReindex',
  })
  @ApiBody({ required: false, schema: openApiSchema(reindexBodySchema, 'input') as never })
  @ApiAcceptedResponse({ description: 'the request is published; follow it with GET /v1/admin/reindex/{jobId}', schema: openApiSchema(reindexAcceptedSchema) })
  @ApiErrors(400, 401, 403, 503)
  requestReindex(@ValidBody(reindexBodySchema) body: ReindexBody, @Req() request: Request, @Ctx() context: RequestContext): Promise<{ jobId: string }> {
    return this.reindex.requestReindex(body, clientName(request), context);
  }

  @Get()
  @ApiOperation({ summary: 'Every reindex job any ingestion replica recorded, newest first', operationId: 'listReindexJobs' })
  @ApiOkResponse({ schema: openApiSchema(reindexJobListSchema) })
  @ApiErrors(401, 403, 503)
  async list(@Ctx() context: RequestContext): Promise<{ jobs: ReindexJobView[] }> {
    return { jobs: await this.reindex.listJobs(context) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Progress of a reindex job, whichever ingestion replica runs it', operationId: 'reindexProgress' })
  @ApiParam({ name: 'id', description: 'job id from POST /v1/admin/reindex', schema: openApiSchema(jobIdSchema, 'input') })
  @ApiOkResponse({ schema: openApiSchema(reindexJobSchema) })
  @ApiErrors(400, 401, 403, 404, 503)
  progress(@ValidParam('id', jobIdSchema) jobId: string, @Ctx() context: RequestContext): Promise<ReindexJobView> {
    return this.reindex.jobProgress(jobId, context);
  }
}

/** For the audit log: which key (by hash prefix, never the key) asked. */
function clientName(request: Request): string {
  const key = request.headers[API_KEY_HEADER];
  return typeof key === 'string' ? `key#${createHash('sha256').update(key).digest('hex').slice(0, 8)}` : 'unknown';
}
