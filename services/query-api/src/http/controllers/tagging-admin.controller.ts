/**
 * Merchandisers' zero-shot tagging routes (X-Api-Key): the taxonomy (JSON or YAML), previews before
 * applying, re-applying, the re-tag's progress and the CSV export of every tag.
 */
import { Controller, Get, HttpCode, Post, Put, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiAcceptedResponse, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { TaggingStatus } from '@vsearch/contracts';
import type { RequestContext } from '../../ports';
import { TAG_CSV_HEADER, tagRowsToCsv } from '../../services/tag-csv';
import { TaxonomyAdminService } from '../../services/taxonomy-admin.service';
import { adminClientName, AdminApiKeyGuard } from '../admin-api-key.guard';
import { previewQuerySchema, previewResponseSchema, taggingStatusSchema, taxonomyBodySchema, taxonomyStoredSchema } from '../dtos/tagging.dto';
import { ApiErrors, ApiRequestIdHeader, openApiSchema } from '../openapi';
import { Ctx } from '../request-context';
import { parseTaxonomyText, YAML_CONTENT_TYPES } from '../taxonomy-body';
import { parseInput } from '../validation';

interface TaxonomyStored {
  taxonomyVersion: number;
  queued: boolean;
  message: string;
}

const taxonomyRequestBody = {
  required: true,
  content: {
    'application/json': { schema: openApiSchema(taxonomyBodySchema, 'input') },
    ...Object.fromEntries(YAML_CONTENT_TYPES.slice(0, 1).map((type) => [type, { schema: openApiSchema(taxonomyBodySchema, 'input') }])),
  },
};

@ApiTags('admin')
@ApiSecurity('apiKey')
@ApiRequestIdHeader()
@UseGuards(AdminApiKeyGuard)
@Controller('v1/admin')
export class TaggingAdminController {
  constructor(private readonly taxonomies: TaxonomyAdminService) {}

  @Put('taxonomy')
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Store a zero-shot taxonomy (JSON or YAML) as the next version and re-tag every product from its stored vectors; queued behind a re-tag that is running',
    operationId: 'putTaxonomy',
    requestBody: taxonomyRequestBody,
  })
  @ApiConsumes('application/json', 'application/yaml')
  @ApiAcceptedResponse({ description: 'stored; follow the re-tag with GET /v1/admin/tags/status', schema: openApiSchema(taxonomyStoredSchema) })
  @ApiErrors(400, 401, 403, 503)
  async putTaxonomy(@Req() request: Request, @Ctx() context: RequestContext): Promise<TaxonomyStored> {
    return describeStored(await this.taxonomies.setTaxonomy(taxonomyFromBody(request), adminClientName(request), context));
  }

  @Get('taxonomy')
  @ApiOperation({ summary: 'The active taxonomy and the re-tag progress', operationId: 'getTaxonomy' })
  @ApiOkResponse({ schema: openApiSchema(taggingStatusSchema) })
  @ApiErrors(401, 403, 503)
  getTaxonomy(@Ctx() context: RequestContext): Promise<TaggingStatus> {
    return this.taxonomies.status(context);
  }

  @Get('tags/status')
  @ApiOperation({ summary: 'Progress of the re-tag (products tagged of the total)', operationId: 'tagStatus' })
  @ApiOkResponse({ schema: openApiSchema(taggingStatusSchema) })
  @ApiErrors(401, 403, 503)
  async tagStatus(@Ctx() context: RequestContext): Promise<Omit<TaggingStatus, 'taxonomy'> & { taxonomyVersion?: number }> {
    const { taxonomy, ...progress } = await this.taxonomies.status(context);
    return { ...progress, ...(taxonomy ? { taxonomyVersion: taxonomy.version } : {}) };
  }

  @Post('tags/apply')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Embed the stored taxonomy again with the model served now and re-tag every product (after a model change, say)',
    operationId: 'applyTags',
  })
  @ApiAcceptedResponse({
    description: 'stored as the next version; follow the re-tag with GET /v1/admin/tags/status',
    schema: openApiSchema(taxonomyStoredSchema),
  })
  @ApiErrors(401, 403, 404, 503)
  async apply(@Req() request: Request, @Ctx() context: RequestContext): Promise<TaxonomyStored> {
    return describeStored(await this.taxonomies.reapply(adminClientName(request), context));
  }

  @Get('tags/preview')
  @ApiOperation({
    summary: 'Per label of an attribute of the stored taxonomy: how many products get it, and the most confident',
    operationId: 'previewStoredTags',
  })
  @ApiOkResponse({ schema: openApiSchema(previewResponseSchema) })
  @ApiErrors(400, 401, 403, 404, 503)
  async previewStored(@Query() query: unknown, @Ctx() context: RequestContext): Promise<unknown> {
    const { attribute, limit } = parseInput(previewQuerySchema, query, 'query');
    return { attribute, labels: await this.taxonomies.preview(attribute, limit, undefined, context) };
  }

  @Post('tags/preview')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Preview a taxonomy before applying it (JSON or YAML body): per label of `attribute`, the products it would tag',
    operationId: 'previewTaxonomy',
    requestBody: taxonomyRequestBody,
  })
  @ApiOkResponse({ schema: openApiSchema(previewResponseSchema) })
  @ApiErrors(400, 401, 403, 503)
  async previewCandidate(@Query() query: unknown, @Req() request: Request, @Ctx() context: RequestContext): Promise<unknown> {
    const { attribute, limit } = parseInput(previewQuerySchema, query, 'query');
    return { attribute, labels: await this.taxonomies.preview(attribute, limit, taxonomyFromBody(request), context) };
  }

  @Get('tags/export')
  @ApiOperation({ summary: 'Every tag as CSV: product_id,attribute,label,confidence', operationId: 'exportTags' })
  @ApiProduces('text/csv')
  @ApiOkResponse({ description: 'one row per product and tag, by product id', schema: { type: 'string' } })
  @ApiErrors(401, 403, 503)
  async exportTags(@Res() response: Response, @Ctx() context: RequestContext): Promise<void> {
    const pages = this.taxonomies.exportTags(context);
    // The first page before the headers: a search outage is still a JSON 503, not a truncated CSV.
    const first = await pages.next();
    response.status(200).type('text/csv; charset=utf-8').attachment('tags.csv');
    response.write(TAG_CSV_HEADER);
    if (!first.done) response.write(tagRowsToCsv(first.value));
    try {
      for await (const rows of pages) response.write(tagRowsToCsv(rows));
      response.end();
    } catch {
      // Headers are gone: cutting the connection is the only way left to say the file is incomplete.
      response.destroy();
    }
  }
}

/** JSON is parsed by the body parser; YAML arrives as text (taxonomy-body.ts). */
function taxonomyFromBody(request: Request): unknown {
  if (typeof request.body === 'string') return parseTaxonomyText(request.body);
  return request.body;
}

function describeStored({ taxonomyVersion, queued }: { taxonomyVersion: number; queued: boolean }): TaxonomyStored {
  return {
    taxonomyVersion,
    queued,
    message: queued
      ? `taxonomy version ${taxonomyVersion} stored; a re-tag is running, so it starts when that one ends (a newer upload replaces it)`
      : `taxonomy version ${taxonomyVersion} stored; re-tagging every product from its stored vectors`,
  };
}
