/**
 * The query API over fakes: routes, validation, error shapes, auth, rate
 * limits, request ids, metrics and the OpenAPI document.
 * real: the services as index.ts composes them (createQueryApiApp), Nest +
 * Express on a local port, fetch. fake: every port (testing/fake-ports.ts).
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger } from '@vsearch/observability';
import { reindexRequestedSchema, type ModelInfo } from '@vsearch/contracts';
import { loadQueryApiConfig, type QueryApiConfigOverrides } from './config';
import { errorResponseSchema, searchResponseSchema } from './http/dtos/responses.dto';
import { createQueryApiApp } from './index';
import { FAKE_MODEL, fakeJpeg, fakePorts, type FakePorts } from './testing/fake-ports';

const ADMIN_KEY = 'test-admin-key-0123456789';

interface Running {
  app: NestExpressApplication;
  base: string;
  ports: FakePorts;
}

/** `model`: fields of the model the fake embedder describes (its score thresholds, say). */
async function start(env: QueryApiConfigOverrides = {}, model: Partial<ModelInfo> = {}): Promise<Running> {
  const config = loadQueryApiConfig({ ADMIN_API_KEYS: ADMIN_KEY, RATE_LIMIT_BURST: '1000', RATE_LIMIT_PER_SECOND: '1000', ...env }, {});
  const ports = fakePorts(model);
  const app = await createQueryApiApp({ config, ports, logger: createLogger('query-api-test', process.env.TEST_LOG_LEVEL ?? 'silent') });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return { app, base: `http://127.0.0.1:${address.port}`, ports };
}

async function expectError(response: Response, status: number, code?: string): Promise<{ code: string; message: string }> {
  const body = await response.json();
  expect({ status: response.status, body }).toMatchObject({ status, body: { error: code ? { code } : {} } });
  expect(errorResponseSchema.safeParse(body).success).toBe(true);
  return body.error;
}

function multipart(field: string, filename: string, bytes: Buffer, contentType = 'image/jpeg'): FormData {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)], { type: contentType }), filename);
  return form;
}

describe('query API HTTP layer', () => {
  let running: Running;
  beforeAll(async () => {
    running = await start({}, { textScoreThreshold: 0.35 });
  });
  afterAll(async () => running.app.close());
  const url = (pathAndQuery: string) => `${running.base}${pathAndQuery}`;

  describe('GET /v1/search', () => {
    it('embeds the query, searches with the filters and answers in the documented shape', async () => {
      const response = await fetch(
        url('/v1/search?q=Red%20Boots&category=boots,sandals&category=heels&brand=Acme&minPrice=10&maxPrice=99.5&inStock=true&limit=5&offset=1'),
      );
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(searchResponseSchema.parse(body)).toEqual(body);
      expect(body.model).toBe(FAKE_MODEL.modelId);
      const last = running.ports.searchIndex.searches.at(-1)!.query;
      expect(last.filter).toEqual({ categories: ['boots', 'sandals', 'heels'], brands: ['Acme'], minPrice: 10, maxPrice: 99.5, inStock: true });
      expect([last.limit, last.offset, last.withFacets]).toEqual([5, 1, true]);
      expect(body.facets.categories[0]).toEqual({ value: 'boots', count: expect.any(Number) });
    });

    it("cuts off results below the text score threshold the embedder's model announces", async () => {
      const body = await (await fetch(url('/v1/search?q=boots'))).json();
      expect(running.ports.searchIndex.searches.at(-1)!.query.scoreThreshold).toBe(0.35);
      expect(body.results.map((result: { productId: string }) => result.productId)).toEqual(['p1']);
    });

    it("cuts off at TEXT_SCORE_THRESHOLD instead of the model's threshold when it is set", async () => {
      const overridden = await start({ TEXT_SCORE_THRESHOLD: '0.3' }, { textScoreThreshold: 0.35 });
      try {
        const body = await (await fetch(`${overridden.base}/v1/search?q=boots`)).json();
        expect(overridden.ports.searchIndex.searches.at(-1)!.query.scoreThreshold).toBe(0.3);
        expect(body.results.map((result: { productId: string }) => result.productId)).toEqual(['p1', 'p2']);
      } finally {
        await overridden.app.close();
      }
    });

    it('caches query embeddings by normalised text', async () => {
      const before = running.ports.embedder.textCalls.length;
      await fetch(url('/v1/search?q=' + encodeURIComponent('  Blue   SCARF ')));
      await fetch(url('/v1/search?q=blue%20scarf'));
      await fetch(url('/v1/search?q=BLUE+scarf'));
      expect(running.ports.embedder.textCalls.slice(before).map((call) => call.text)).toEqual(['blue scarf']);
    });

    it.each([
      ['an empty query', '/v1/search?q=', 'invalid_parameter'],
      ['a blank query', '/v1/search?q=%20%20', 'invalid_parameter'],
      ['a missing query', '/v1/search', 'invalid_parameter'],
      ['a query over 12,000 characters', `/v1/search?q=${'a'.repeat(12_001)}`, 'invalid_parameter'],
      ['an unknown filter', '/v1/search?q=boots&colour=red', 'unknown_parameter'],
      ['minPrice > maxPrice', '/v1/search?q=boots&minPrice=50&maxPrice=10', 'invalid_parameter'],
      ['a non-numeric price', '/v1/search?q=boots&minPrice=cheap', 'invalid_parameter'],
      ['a negative price', '/v1/search?q=boots&maxPrice=-5', 'invalid_parameter'],
      ['limit 0', '/v1/search?q=boots&limit=0', 'invalid_parameter'],
      ['limit 1000', '/v1/search?q=boots&limit=1000', 'invalid_parameter'],
      ['a fractional limit', '/v1/search?q=boots&limit=2.5', 'invalid_parameter'],
      ['a non-boolean inStock', '/v1/search?q=boots&inStock=maybe', 'invalid_parameter'],
    ])('answers 400 with a reason for %s', async (_what, pathAndQuery, code) => {
      const error = await expectError(await fetch(url(pathAndQuery)), 400, code);
      expect(error.message.length).toBeGreaterThan(5);
    });

    it('searches hybrid by relevance unless asked otherwise, with the fusion settings from the config', async () => {
      const body = await (await fetch(url('/v1/search?q=Nimbus%20backpack'))).json();
      const last = running.ports.searchIndex.searches.at(-1)!.query;
      expect(last).toMatchObject({
        mode: 'hybrid',
        text: 'Nimbus backpack',
        sort: 'relevance',
        fusion: { k: 60, vectorWeight: 1, keywordWeight: 1 },
        scoreThreshold: 0.35,
      });
      expect(body.mode).toBe('hybrid');
    });

    it('passes mode and sort through, and keyword mode never calls the embedder', async () => {
      const before = running.ports.embedder.textCalls.length;
      const body = await (await fetch(url('/v1/search?q=never%20embedded%20words&mode=keyword&sort=price_desc'))).json();
      expect(running.ports.searchIndex.searches.at(-1)!.query).toMatchObject({ mode: 'keyword', text: 'never embedded words', sort: 'price_desc' });
      expect(running.ports.embedder.textCalls.length).toBe(before);
      expect(body.mode).toBe('keyword');
      await fetch(url('/v1/search?q=boots&mode=vector&sort=newest'));
      expect(running.ports.searchIndex.searches.at(-1)!.query).toMatchObject({ mode: 'vector', sort: 'newest' });
      expect(running.ports.searchIndex.searches.at(-1)!.query).not.toHaveProperty('text');
    });

    it('answers total, totalIsLowerBound, facets of what matched and the scores of each ranking', async () => {
      running.ports.searchIndex.hits[0] = { ...running.ports.searchIndex.hits[0], vectorScore: 0.42, keywordScore: 3.1234567 };
      try {
        const body = searchResponseSchema.parse(await (await fetch(url('/v1/search?q=boots'))).json());
        expect([body.total, body.totalIsLowerBound]).toEqual([1, false]);
        expect(body.facets).toEqual({
          categories: [{ value: 'boots', count: 1 }],
          brands: [{ value: 'Acme', count: 1 }],
          priceBands: [{ value: '25-50', count: 1 }],
          stock: [{ value: 'in_stock', count: 1 }],
        });
        expect(body.results[0]).toMatchObject({ vectorScore: 0.42, keywordScore: 3.123457 });
      } finally {
        delete running.ports.searchIndex.hits[0].vectorScore;
        delete running.ports.searchIndex.hits[0].keywordScore;
      }
      const bare = await (await fetch(url('/v1/search?q=boots'))).json();
      expect(Object.keys(bare.results[0])).not.toEqual(expect.arrayContaining(['vectorScore']));
    });

    it('answers a query that matches nothing with no results, total 0 and empty facets', async () => {
      const strict = await start({ TEXT_SCORE_THRESHOLD: '0.99' });
      try {
        const body = await (await fetch(`${strict.base}/v1/search?q=zxqv%20wprtk`)).json();
        expect(body).toMatchObject({ results: [], total: 0, totalIsLowerBound: false, facets: { categories: [], brands: [], priceBands: [], stock: [] } });
      } finally {
        await strict.app.close();
      }
    });

    it.each([
      ['only stop words', 'the and of a'],
      ['only punctuation', '?!.,;…'],
      ['quotes, minus, star and colon', '"red boots" -leather sho* brand:Nimbus'],
      ['emoji', '👟🔥 sneakers'],
      ['right-to-left text', 'حذاء أحمر'],
      ['10 KB of text', 'red leather boots '.repeat(569)],
    ])('treats %s as literal text, answering 200', async (_what, q) => {
      const response = await fetch(url(`/v1/search?q=${encodeURIComponent(q)}`));
      expect(response.status).toBe(200);
      expect(searchResponseSchema.safeParse(await response.json()).success).toBe(true);
      expect(running.ports.searchIndex.searches.at(-1)!.query.text).toBe(q.trim());
    });

    it.each([
      ['mode', 'fuzzy', 'hybrid, vector, keyword'],
      ['sort', 'cheapest', 'relevance, price_asc, price_desc, newest'],
      ['sort', 'PRICE_ASC', 'relevance, price_asc, price_desc, newest'],
    ])('answers 400 naming an unknown %s "%s" and the values allowed', async (name, value, allowed) => {
      const error = await expectError(await fetch(url(`/v1/search?q=boots&${name}=${value}`)), 400, 'invalid_parameter');
      expect(error.message).toBe(`${name}: must be one of ${allowed}; got "${value}"`);
    });

    it('names the unknown parameter', async () => {
      const error = await expectError(await fetch(url('/v1/search?q=boots&colour=red')), 400, 'unknown_parameter');
      expect(error.message).toContain('colour');
    });
  });

  describe('POST /v1/search/image', () => {
    it('searches by an uploaded photo, preprocessed here and embedded as pixels', async () => {
      const before = running.ports.embedder.pixelCalls.length;
      const response = await fetch(url('/v1/search/image?brand=Acme&limit=3'), { method: 'POST', body: multipart('image', 'photo.jpg', fakeJpeg(100)) });
      expect(response.status).toBe(200);
      expect(searchResponseSchema.safeParse(await response.json()).success).toBe(true);
      expect(running.ports.embedder.pixelCalls.length).toBe(before + 1);
      const last = running.ports.searchIndex.searches.at(-1)!.query;
      expect([last.filter.brands, last.limit, last.scoreThreshold, last.mode, last.sort]).toEqual([['Acme'], 3, undefined, 'vector', 'relevance']);
    });

    it('sorts photo results as asked; it has no mode to choose (vector only)', async () => {
      const body = await (await fetch(url('/v1/search/image?sort=price_asc'), { method: 'POST', body: multipart('image', 'photo.jpg', fakeJpeg()) })).json();
      expect(running.ports.searchIndex.searches.at(-1)!.query).toMatchObject({ mode: 'vector', sort: 'price_asc' });
      expect(body.mode).toBe('vector');
      await expectError(
        await fetch(url('/v1/search/image?mode=keyword'), { method: 'POST', body: multipart('image', 'photo.jpg', fakeJpeg()) }),
        400,
        'unknown_parameter',
      );
      await expectError(
        await fetch(url('/v1/search/image?sort=best'), { method: 'POST', body: multipart('image', 'photo.jpg', fakeJpeg()) }),
        400,
        'invalid_parameter',
      );
    });

    it("cuts off photo results below the model's image score threshold when it has one", async () => {
      const thresholded = await start({}, { imageScoreThreshold: 0.4 });
      try {
        const response = await fetch(`${thresholded.base}/v1/search/image`, { method: 'POST', body: multipart('image', 'photo.jpg', fakeJpeg()) });
        const body = await response.json();
        expect(thresholded.ports.searchIndex.searches.at(-1)!.query.scoreThreshold).toBe(0.4);
        expect(body.results.map((result: { productId: string }) => result.productId)).toEqual(['p1']);
      } finally {
        await thresholded.app.close();
      }
    });

    it('searches by an image URL given as JSON', async () => {
      running.ports.remoteImages.serve('https://images.example.com/a.jpg', fakeJpeg());
      const response = await fetch(url('/v1/search/image'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ imageUrl: 'https://images.example.com/a.jpg' }),
      });
      expect(response.status).toBe(200);
    });

    it('answers 413 for a 50 MB upload', async () => {
      const response = await fetch(url('/v1/search/image'), { method: 'POST', body: multipart('image', 'huge.jpg', fakeJpeg(50 * 1024 * 1024)) });
      await expectError(response, 413, 'payload_too_large');
      // 50 MB through multipart in one process takes seconds on a busy 2-core machine: not the default 5 s.
    }, 60_000);

    it('answers 413 for a file over the limit even without a Content-Length (chunked)', async () => {
      const small = await start({ UPLOAD_MAX_BYTES: '1000' });
      try {
        const form = multipart('image', 'big.jpg', fakeJpeg(5_000));
        const body = new Response(form);
        const stream = body.body!;
        const response = await fetch(`${small.base}/v1/search/image`, {
          method: 'POST',
          headers: { 'content-type': body.headers.get('content-type')! },
          body: stream,
          duplex: 'half',
        } as RequestInit);
        await expectError(response, 413, 'payload_too_large');
      } finally {
        await small.app.close();
      }
    });

    it('answers 415 for a PDF named .jpg', async () => {
      const pdf = Buffer.from('%PDF-1.7\n1 0 obj\n<<>>\nendobj\n');
      await expectError(await fetch(url('/v1/search/image'), { method: 'POST', body: multipart('image', 'photo.jpg', pdf) }), 415, 'unsupported_media_type');
    });

    it('answers 422 for a truncated JPEG', async () => {
      const truncated = fakeJpeg(200).subarray(0, 100);
      await expectError(await fetch(url('/v1/search/image'), { method: 'POST', body: multipart('image', 'photo.jpg', truncated) }), 422, 'image_undecodable');
    });

    it('answers 400 for an SSRF image URL', async () => {
      const response = await fetch(url('/v1/search/image'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ imageUrl: 'http://169.254.169.254/latest/meta-data/' }),
      });
      await expectError(response, 400, 'image_url_refused');
    });

    it.each([
      ['a non-http URL', { imageUrl: 'file:///etc/passwd' }, 'invalid_parameter'],
      ['an extra field', { imageUrl: 'https://a.example/x.jpg', colour: 'red' }, 'unknown_parameter'],
      ['no imageUrl', {}, 'invalid_parameter'],
    ])('answers 400 for JSON with %s', async (_what, body, code) => {
      const response = await fetch(url('/v1/search/image'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      await expectError(response, 400, code);
    });

    it('answers 400 for malformed JSON, a wrong field name, and an empty multipart form', async () => {
      await expectError(
        await fetch(url('/v1/search/image'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"imageUrl":' }),
        400,
        'invalid_json',
      );
      await expectError(await fetch(url('/v1/search/image'), { method: 'POST', body: multipart('file', 'photo.jpg', fakeJpeg()) }), 400);
      await expectError(await fetch(url('/v1/search/image'), { method: 'POST', body: new FormData() }), 400, 'missing_image');
    });

    it('answers 415 for a body that is neither multipart nor JSON', async () => {
      await expectError(
        await fetch(url('/v1/search/image'), { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(fakeJpeg()) }),
        415,
      );
    });

    it('validates the filters in the query string', async () => {
      await expectError(
        await fetch(url('/v1/search/image?minPrice=9&maxPrice=1'), { method: 'POST', body: multipart('image', 'a.jpg', fakeJpeg()) }),
        400,
        'invalid_parameter',
      );
    });
  });

  describe('GET /v1/products/{id}/similar', () => {
    it('finds products like a stored one', async () => {
      const response = await fetch(url('/v1/products/p1/similar?limit=4&inStock=true'));
      expect(response.status).toBe(200);
      const body = await response.json();
      expect(body.results.map((result: { productId: string }) => result.productId)).toEqual(['p2']);
      expect(running.ports.searchIndex.similarCalls.at(-1)).toMatchObject({ productId: 'p1', limit: 4, filter: { inStock: true } });
    });

    it('answers 404 for an unknown product and 400 for a malformed id', async () => {
      await expectError(await fetch(url('/v1/products/nope/similar')), 404, 'product_not_found');
      await expectError(await fetch(url('/v1/products/bad%20id!/similar')), 400, 'invalid_parameter');
      await expectError(await fetch(url('/v1/products/p1/similar?limit=0')), 400, 'invalid_parameter');
    });
  });

  describe('admin reindex', () => {
    it('publishes a valid reindex request and answers 202 with its job id', async () => {
      const response = await fetch(url('/v1/admin/reindex'), {
        method: 'POST',
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ categories: ['boots'], reason: 'new model' }),
      });
      expect(response.status).toBe(202);
      const { jobId } = await response.json();
      const published = running.ports.reindexPublisher.published.at(-1)!;
      expect(reindexRequestedSchema.parse(published)).toMatchObject({ jobId, filter: { categories: ['boots'] }, reason: 'new model' });
    });

    it('accepts a request without a body (the whole catalog)', async () => {
      const response = await fetch(url('/v1/admin/reindex'), { method: 'POST', headers: { 'x-api-key': ADMIN_KEY } });
      expect(response.status).toBe(202);
      expect(reindexRequestedSchema.parse(running.ports.reindexPublisher.published.at(-1)!).filter).toBeUndefined();
    });

    it('publishes a forced reindex with its reason, and refuses force on a filtered one or without a reason', async () => {
      const post = (body: unknown) =>
        fetch(url('/v1/admin/reindex'), {
          method: 'POST',
          headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      expect((await post({ force: { reason: 'supplier dropped a brand' } })).status).toBe(202);
      expect(reindexRequestedSchema.parse(running.ports.reindexPublisher.published.at(-1)!).force).toEqual({ reason: 'supplier dropped a brand' });
      await expectError(await post({ categories: ['boots'], force: { reason: 'x' } }), 400, 'invalid_parameter');
      await expectError(await post({ force: { reason: ' ' } }), 400, 'invalid_parameter');
    });

    it('answers 401 without a key and 403 with a wrong one, publishing nothing', async () => {
      const before = running.ports.reindexPublisher.published.length;
      const missingKey = await fetch(url('/v1/admin/reindex'), { method: 'POST' });
      expect(missingKey.headers.get('www-authenticate')).toBe('ApiKey header="X-Api-Key"');
      await expectError(missingKey, 401, 'unauthorized');
      await expectError(await fetch(url('/v1/admin/reindex'), { method: 'POST', headers: { 'x-api-key': 'wrong' } }), 403, 'forbidden');
      await expectError(await fetch(url('/v1/admin/reindex/rx-1'), { headers: { 'x-api-key': `${ADMIN_KEY}x` } }), 403, 'forbidden');
      expect(running.ports.reindexPublisher.published.length).toBe(before);
    });

    it('answers progress from the job store, 404 for an unknown job', async () => {
      const heartbeatAt = new Date().toISOString();
      running.ports.reindexProgress.jobs.set('rx-1', { jobId: 'rx-1', state: 'running', total: 10, done: 4, collection: 'products_v2', heartbeatAt });
      const response = await fetch(url('/v1/admin/reindex/rx-1'), { headers: { 'x-api-key': ADMIN_KEY } });
      expect(await response.json()).toEqual({ jobId: 'rx-1', state: 'running', total: 10, done: 4, collection: 'products_v2', heartbeatAt });
      await expectError(await fetch(url('/v1/admin/reindex/rx-2'), { headers: { 'x-api-key': ADMIN_KEY } }), 404, 'job_not_found');
    });

    it('reports a running job whose replica has been silent too long as stalled', async () => {
      const heartbeatAt = new Date(Date.now() - 10 * 60_000).toISOString();
      running.ports.reindexProgress.jobs.set('rx-3', { jobId: 'rx-3', state: 'running', total: 10, done: 4, collection: 'products_v2', heartbeatAt });
      const response = await fetch(url('/v1/admin/reindex/rx-3'), { headers: { 'x-api-key': ADMIN_KEY } });
      expect(await response.json()).toMatchObject({ jobId: 'rx-3', state: 'running', stalled: true });
    });

    it('knows a requested job at once (queued) and lists the jobs newest first', async () => {
      const { jobId } = (await (await fetch(url('/v1/admin/reindex'), { method: 'POST', headers: { 'x-api-key': ADMIN_KEY } })).json()) as { jobId: string };
      const progress = await fetch(url(`/v1/admin/reindex/${jobId}`), { headers: { 'x-api-key': ADMIN_KEY } });
      expect(await progress.json()).toMatchObject({ jobId, state: 'queued', done: 0 });
      const list = await fetch(url('/v1/admin/reindex'), { headers: { 'x-api-key': ADMIN_KEY } });
      expect(list.status).toBe(200);
      const { jobs } = (await list.json()) as { jobs: Array<{ jobId: string }> };
      expect(jobs[0].jobId).toBe(jobId);
      await expectError(await fetch(url('/v1/admin/reindex'), { headers: { 'x-api-key': 'wrong' } }), 403, 'forbidden');
    });

    it('answers 400 for a bad body', async () => {
      const response = await fetch(url('/v1/admin/reindex'), {
        method: 'POST',
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
        body: JSON.stringify({ categories: [] }),
      });
      await expectError(response, 400, 'invalid_parameter');
    });
  });

  describe('admin generations, rollback and golden queries', () => {
    const admin = { 'x-api-key': ADMIN_KEY };

    it('publishes a rollback request (to the previous generation, or the one named) and answers 202 with its job id', async () => {
      const response = await fetch(url('/v1/admin/rollback'), { method: 'POST', headers: admin });
      expect(response.status).toBe(202);
      const { jobId } = await response.json();
      expect(running.ports.reindexPublisher.published.at(-1)).toEqual({ type: 'rollback.requested', jobId, requestedAt: expect.any(String) });
      // Known at once as a queued rollback job, before ingestion reads the request.
      const queued = await fetch(url(`/v1/admin/reindex/${jobId}`), { headers: admin });
      expect(await queued.json()).toMatchObject({ jobId, state: 'queued', kind: 'rollback' });
      const named = await fetch(url('/v1/admin/rollback'), {
        method: 'POST',
        headers: { ...admin, 'content-type': 'application/json' },
        body: JSON.stringify({ to: 'products_v3', reason: 'new model ranks boots badly' }),
      });
      expect(named.status).toBe(202);
      expect(running.ports.reindexPublisher.published.at(-1)).toMatchObject({
        type: 'rollback.requested',
        to: 'products_v3',
        reason: 'new model ranks boots badly',
      });
      await expectError(
        await fetch(url('/v1/admin/rollback'), {
          method: 'POST',
          headers: { ...admin, 'content-type': 'application/json' },
          body: JSON.stringify({ to: '../x' }),
        }),
        400,
        'invalid_parameter',
      );
      await expectError(await fetch(url('/v1/admin/rollback'), { method: 'POST' }), 401, 'unauthorized');
    });

    it('lists the generations ingestion reports', async () => {
      running.ports.generations.generations = [
        {
          name: 'products_v1',
          status: 'retained',
          modelId: 'm@1',
          dimension: 4,
          productCount: 10,
          pointCount: 20,
          receivesWrites: true,
          swappedOutAt: '2026-12-01T00:00:00.000Z',
        },
        { name: 'products_v2', status: 'live', modelId: 'm@1', dimension: 4, productCount: 10, pointCount: 20, receivesWrites: true },
      ];
      const response = await fetch(url('/v1/admin/generations'), { headers: admin });
      expect(response.status).toBe(200);
      expect((await response.json()).generations.map((generation: { name: string; status: string }) => [generation.name, generation.status])).toEqual([
        ['products_v1', 'retained'],
        ['products_v2', 'live'],
      ]);
      await expectError(await fetch(url('/v1/admin/generations')), 401, 'unauthorized');
    });

    it('stores a JSONL golden set and serves it back; a bad line is a 400 naming it', async () => {
      const jsonl = '{"query":"red boots","expectedProductIds":["p1"]}\n{"imageUrl":"https://img.example.com/a.jpg","expectedProductIds":["p2","p3"]}\n';
      const put = (body: string, type = 'application/jsonl') =>
        fetch(url('/v1/admin/golden-queries'), { method: 'PUT', headers: { ...admin, 'content-type': type }, body });
      const stored = await put(jsonl);
      expect(stored.status).toBe(200);
      expect(await stored.json()).toEqual({ queries: 2, updatedAt: expect.any(String) });
      const shown = await fetch(url('/v1/admin/golden-queries'), { headers: admin });
      expect(shown.headers.get('content-type')).toContain('application/jsonl');
      expect(await shown.text()).toBe(jsonl);
      const bad = await put('{"query":"ok","expectedProductIds":["p1"]}\n{"query":"","expectedProductIds":["p1"]}\n');
      await expectError(bad, 400, 'invalid_golden_queries');
      await expectError(await put(jsonl, 'text/csv'), 400, 'invalid_content_type');
      expect(running.ports.goldenQueries.set?.queries).toHaveLength(2);
    });
  });

  describe('request ids, probes, metrics, docs', () => {
    it('echoes X-Request-Id and carries it to the ports', async () => {
      const response = await fetch(url('/v1/search?q=request%20id%20check'), { headers: { 'x-request-id': 'req-abc-123' } });
      expect(response.headers.get('x-request-id')).toBe('req-abc-123');
      expect(running.ports.searchIndex.searches.at(-1)!.requestId).toBe('req-abc-123');
      const generated = await fetch(url('/healthz'));
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('serves liveness, readiness and Prometheus metrics per route and status', async () => {
      expect(await (await fetch(url('/healthz'))).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(url('/readyz'))).json()).toEqual({ status: 'ready', dependencies: { embedder: 'up', search: 'up' }, missing: [] });
      const metrics = await (await fetch(url('/metrics'))).text();
      expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/v1\/search"[^}]*status="200"[^}]*\} \d+/);
      expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/v1\/search"[^}]*status="400"/);
      expect(metrics).toMatch(/query_embedding_cache_total\{[^}]*result="hit"/);
    });

    it('answers unknown routes with a JSON 404', async () => {
      await expectError(await fetch(url('/v2/nothing')), 404, 'not_found');
    });

    it('serves the web page at /', async () => {
      const response = await fetch(url('/'));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
    });

    it('documents every route with its parameters, bodies and error shape at /docs-json', async () => {
      const document = await (await fetch(url('/docs-json'))).json();
      const search = document.paths['/v1/search'].get;
      const inQuery = (operation: { parameters: { name: string; in: string }[] }) =>
        operation.parameters
          .filter((parameter) => parameter.in === 'query')
          .map((parameter) => parameter.name)
          .sort();
      expect(inQuery(search)).toEqual(
        ['brand', 'category', 'inStock', 'limit', 'maxPrice', 'minPrice', 'mode', 'offset', 'q', 'sort', 'tag.{attribute}'].sort(),
      );
      const parameter = (name: string) => search.parameters.find((candidate: { name: string }) => candidate.name === name);
      expect(parameter('q').schema).toMatchObject({ minLength: 1, maxLength: 12_000 });
      expect(parameter('mode').schema).toMatchObject({ enum: ['hybrid', 'vector', 'keyword'], default: 'hybrid' });
      expect(parameter('sort').schema).toMatchObject({ enum: ['relevance', 'price_asc', 'price_desc', 'newest'], default: 'relevance' });
      const response = search.responses['200'].content['application/json'].schema;
      expect(response.properties.total.description).toContain('10000');
      expect(response.properties.results.items.properties.score.description).toContain('BM25');
      expect(Object.keys(response.properties.facets.properties).sort()).toEqual(['brands', 'categories', 'priceBands', 'stock', 'tags']);
      expect(search.parameters.find((parameter: { name: string }) => parameter.name === 'limit').schema).toMatchObject({ minimum: 1, maximum: 100 });
      expect(search.responses['400'].content['application/json'].schema.properties.error).toBeDefined();
      const image = document.paths['/v1/search/image'].post;
      expect(Object.keys(image.requestBody.content).sort()).toEqual(['application/json', 'multipart/form-data']);
      expect(image.requestBody.content['multipart/form-data'].schema.properties.image.format).toBe('binary');
      expect(image.responses['413']).toBeDefined();
      expect(document.paths['/v1/products/{id}/similar'].get.responses['404']).toBeDefined();
      expect(document.paths['/v1/admin/reindex'].post.responses['202']).toBeDefined();
      expect(document.paths['/v1/admin/reindex/{id}'].get).toBeDefined();
      expect((await fetch(url('/docs'))).status).toBe(200);
    });
  });

  describe('when a dependency is down', () => {
    afterEach(() => {
      running.ports.embedder.down = false;
      running.ports.searchIndex.down = false;
      running.ports.reindexPublisher.down = false;
    });

    it('answers 503 with Retry-After and /readyz names the missing dependency', async () => {
      running.ports.embedder.down = true;
      const response = await fetch(url('/v1/search?q=something%20new'));
      expect(response.headers.get('retry-after')).toBe('5');
      await expectError(response, 503, 'dependency_unavailable');
      const ready = await fetch(url('/readyz'));
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not_ready', missing: ['embedder'] });
    });

    it('answers 503 when search is down, and when the event log is down', async () => {
      running.ports.searchIndex.down = true;
      await expectError(await fetch(url('/v1/products/p1/similar')), 503, 'dependency_unavailable');
      running.ports.reindexPublisher.down = true;
      await expectError(await fetch(url('/v1/admin/reindex'), { method: 'POST', headers: { 'x-api-key': ADMIN_KEY } }), 503, 'dependency_unavailable');
    });
  });
});

describe('rate limiting', () => {
  it('answers 429 with Retry-After once a client spends its burst, keyed per admin key', async () => {
    // One token back every 1000 s: none returns while the test runs, however slow the machine
    // (at 0.5/s, a run whose requests spread over 2 s would get a token back and a 200 where 429 is due).
    const running = await start({ RATE_LIMIT_BURST: '3', RATE_LIMIT_PER_SECOND: '0.001' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${running.base}/v1/search?q=boots`)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await fetch(`${running.base}/v1/search?q=boots`);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      await expectError(limited, 429, 'rate_limited');
      // A valid admin key has its own bucket; probes are never limited.
      expect((await fetch(`${running.base}/v1/search?q=boots`, { headers: { 'x-api-key': ADMIN_KEY } })).status).toBe(200);
      expect((await fetch(`${running.base}/healthz`)).status).toBe(200);
      // A wrong key does not buy a fresh bucket.
      expect((await fetch(`${running.base}/v1/search?q=boots`, { headers: { 'x-api-key': 'random' } })).status).toBe(429);
    } finally {
      await running.app.close();
    }
  });
});

describe('rate limiting switched off', () => {
  it('lets every request through when RATE_LIMIT_ENABLED is false', async () => {
    const running = await start({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_BURST: '1', RATE_LIMIT_PER_SECOND: '0.001' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await fetch(`${running.base}/v1/search?q=boots`)).status);
      expect(statuses).toEqual([200, 200, 200]);
    } finally {
      await running.app.close();
    }
  });
});

describe('catalog images (embedded mode)', () => {
  let running: Running;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'query-api-images-'));
    mkdirSync(path.join(dir, 'p1'));
    writeFileSync(path.join(dir, 'p1', 'p1-1.jpg'), fakeJpeg());
    writeFileSync(path.join(os.tmpdir(), 'query-api-secret.txt'), 'secret');
    running = await start({ CATALOG_IMAGES_DIR: dir });
  });
  afterAll(async () => running.app.close());

  it('serves a generated image', async () => {
    const response = await fetch(`${running.base}/catalog-images/p1/p1-1.jpg`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(fakeJpeg())).toBe(true);
  });

  it.each([
    '/catalog-images/../query-api-secret.txt',
    '/catalog-images/%2e%2e/query-api-secret.txt',
    '/catalog-images/p1/..%2f..%2fquery-api-secret.txt',
    '/catalog-images/p1/missing.jpg',
  ])('refuses %s with a JSON 404', async (rawPath) => {
    const { status, body } = await rawGet(`${running.base}${rawPath}`);
    expect(status).toBe(404);
    expect(body).not.toContain('secret');
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'not_found' } });
  });
});

/** A GET that sends the path exactly as written (fetch would normalise "..").  */
function rawGet(target: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(target);
  const rawPath = target.slice(target.indexOf('/', 'http://'.length));
  return new Promise((resolve, reject) => {
    const request = httpRequest({ hostname, port, path: rawPath, method: 'GET' }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

// Keep the fakes honest: hits are only what the test set up.
