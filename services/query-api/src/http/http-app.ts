/**
 * The query API's HTTP application over the services index.ts built, on a
 * server with timeouts and a connection cap (BoundedExpressAdapter). Express
 * middleware order: request context → JSON body → web page (from memory) →
 * catalog images → JSON errors for those; then the Nest routes, the OpenAPI
 * document at /docs.
 */
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { LoggerService } from '@nestjs/common';
import type { Logger } from '@vsearch/observability';
import { BoundedExpressAdapter } from './bounded-express.adapter';
import { sendError } from './error.filter';
import { QueryApiHttpModule, type QueryApiHttpDeps } from './http.module';
import { requestContextMiddleware, routeLabel } from './request-context';
import { loadWebPage, webPageFromMemory } from './web-page';
import { TAXONOMY_BODY_ROUTES, taxonomyBodyParsers } from './taxonomy-body';
import { MAX_GOLDEN_QUERIES_BYTES } from '@vsearch/contracts';
import { GOLDEN_QUERIES_ROUTE, JSONL_CONTENT_TYPES } from './controllers/generations-admin.controller';

/** The shoppers' web page (static files). */
export const WEB_DIR = path.join(__dirname, '..', 'web');
const JSON_BODY_LIMIT = '64kb';
/** Browsers may reuse the page's files for 5 minutes, then revalidate by ETag. */
const WEB_PAGE_MAX_AGE_SECONDS = 300;

export async function createHttpApp(deps: QueryApiHttpDeps): Promise<NestExpressApplication> {
  const { config, logger, metrics } = deps;
  const webPage = loadWebPage(WEB_DIR);
  const app = await NestFactory.create<NestExpressApplication>(QueryApiHttpModule.register(deps), new BoundedExpressAdapter(config.http), {
    bodyParser: false,
    logger: nestLogger(logger),
    abortOnError: false,
  });
  app.set('trust proxy', config.http.trustProxy);
  app.disable('x-powered-by');
  app.use(requestContextMiddleware(metrics, logger));
  app.use(securityHeaders);
  // Taxonomies first: larger than other bodies, and YAML as well as JSON (the general parser skips a parsed body).
  app.use(TAXONOMY_BODY_ROUTES, ...taxonomyBodyParsers());
  // Golden query sets are JSONL text, up to MAX_GOLDEN_QUERIES_BYTES (the parser's limit is a little above, so the size error names the rule).
  app.use(GOLDEN_QUERIES_ROUTE, express.text({ type: JSONL_CONTENT_TYPES, limit: MAX_GOLDEN_QUERIES_BYTES + 64 * 1024 }));
  app.useBodyParser('json', { limit: JSON_BODY_LIMIT, strict: true });
  app.use(webPageFromMemory(webPage, WEB_PAGE_MAX_AGE_SECONDS));
  if (config.images.catalogImagesDir) {
    // Disk files (embedded mode only): each GET stats on the thread pool, which keeps threads beyond the decode slots (size-thread-pool.ts).
    app.use('/catalog-images', routeLabel('/catalog-images'));
    // serve-static refuses ".." after decoding and dotfiles; fallthrough=false turns misses into 404 errors below.
    app.useStaticAssets(config.images.catalogImagesDir, {
      prefix: '/catalog-images',
      fallthrough: false,
      index: false,
      redirect: false,
      dotfiles: 'deny',
      maxAge: '1h',
    });
  }
  app.use((error: unknown, request: Request, response: Response, _next: NextFunction) =>
    sendError(error, request, response, config.upstream.retryAfterSeconds, logger),
  );
  setUpOpenApi(app);
  await app.init();
  return app;
}

function buildOpenApiDocument(app: NestExpressApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Visual search query API')
    .setDescription(
      'Search a product catalog by text or photo, "more like this", and reindex for merchandisers. ' +
        'Errors are `{"error":{"code","message"}}`; 429 and 503 carry Retry-After.',
    )
    .setVersion('1')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key' }, 'apiKey')
    .build();
  return SwaggerModule.createDocument(app, builder);
}

function setUpOpenApi(app: NestExpressApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}

function securityHeaders(_request: Request, response: Response, next: NextFunction): void {
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
  next();
}

function nestLogger(logger: Logger): LoggerService {
  const text = (message: unknown) => (typeof message === 'string' ? message : JSON.stringify(message));
  return {
    log: (message) => logger.debug({ nest: true }, text(message)),
    debug: (message) => logger.debug({ nest: true }, text(message)),
    verbose: (message) => logger.trace({ nest: true }, text(message)),
    warn: (message) => logger.warn({ nest: true }, text(message)),
    error: (message, ...rest) => logger.error({ nest: true, detail: rest.map(text) }, text(message)),
    fatal: (message) => logger.fatal({ nest: true }, text(message)),
  };
}
