/**
 * The zero-shot tagging surfaces of the query API over fakes: admin taxonomy routes (JSON and YAML,
 * validation naming attribute, label and unknown words, queued uploads, preview, export), tag
 * filters and tags in search, GET /v1/products/{id}, and POST /v1/classify's validation.
 * real: createQueryApiApp (services, Nest + Express on a local port), fetch. fake: every port (testing/).
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { classifyResponseSchema } from './http/dtos/classify.dto';
import { productDetailSchema } from './http/dtos/product-detail.dto';
import { searchResponseSchema } from './http/dtos/responses.dto';
import { taggingStatusSchema, taxonomyStoredSchema } from './http/dtos/tagging.dto';
import { fakeHit, fakeJpeg, fakePorts, type FakePorts } from './testing/fake-ports';
import { expectErrorResponse as expectError, startHttpTestApp } from './testing/http-test-app';

const ADMIN_KEY = 'test-admin-key-0123456789';
const admin = { 'x-api-key': ADMIN_KEY };
const json = { ...admin, 'content-type': 'application/json' };

const TAXONOMY = {
  attributes: [
    { name: 'pattern', labels: [{ label: 'striped' }, { label: 'plain' }] },
    { name: 'colour', mode: 'multi', threshold: 0.3, labels: [{ label: 'red' }, { label: 'blue' }] },
  ],
};

describe('query API zero-shot tagging routes', () => {
  let app: NestExpressApplication;
  let base: string;
  let ports: FakePorts;
  const url = (route: string) => `${base}${route}`;

  beforeEach(async () => {
    ports = fakePorts();
    ({ app, base } = await startHttpTestApp(ports, { ADMIN_API_KEYS: ADMIN_KEY }));
  });
  afterEach(async () => app.close());

  describe('PUT /v1/admin/taxonomy', () => {
    it('stores a JSON taxonomy with one vector per label and answers 202 with the version', async () => {
      const response = await fetch(url('/v1/admin/taxonomy'), { method: 'PUT', headers: json, body: JSON.stringify(TAXONOMY) });
      expect(response.status).toBe(202);
      const body = taxonomyStoredSchema.parse(await response.json());
      expect(body).toMatchObject({ taxonomyVersion: 1, queued: false });
      const put = ports.tagging.puts[0];
      expect(put.labelVectors.map((entry) => `${entry.attribute}/${entry.label}`)).toEqual(['pattern/striped', 'pattern/plain', 'colour/red', 'colour/blue']);
      expect(put).toMatchObject({ modelId: 'fake-clip@1', logitScale: 100 });
    });

    it('takes YAML as well', async () => {
      const yaml = 'attributes:\n  - name: pattern\n    labels:\n      - label: striped\n      - label: plain\n';
      const response = await fetch(url('/v1/admin/taxonomy'), { method: 'PUT', headers: { ...admin, 'content-type': 'application/yaml' }, body: yaml });
      expect(response.status).toBe(202);
      expect(ports.tagging.puts[0].taxonomy.attributes[0]).toMatchObject({ name: 'pattern', mode: 'single', threshold: 0.5 });
    });

    it('says clearly when the upload waits behind a running re-tag', async () => {
      ports.tagging.retagRunning = true;
      const response = await fetch(url('/v1/admin/taxonomy'), { method: 'PUT', headers: json, body: JSON.stringify(TAXONOMY) });
      expect(response.status).toBe(202);
      const body = await response.json();
      expect(body).toMatchObject({ queued: true, message: expect.stringMatching(/a re-tag is running, so it starts when that one ends/) });
    });

    it.each([
      [
        'a duplicate label',
        { attributes: [{ name: 'pattern', labels: [{ label: 'striped' }, { label: 'Striped' }] }] },
        /attribute "pattern" label "Striped": is listed twice/,
      ],
      [
        'an empty label',
        { attributes: [{ name: 'pattern', labels: [{ label: 'striped' }, { label: ' ' }] }] },
        /attribute "pattern" label #2: must not be empty/,
      ],
      [
        'more than 200 labels',
        { attributes: [{ name: 'pattern', labels: Array.from({ length: 1000 }, (_, i) => ({ label: `l${i}` })) }] },
        /attribute "pattern": has more than 200 labels/,
      ],
      ['a 10 KB label', { attributes: [{ name: 'pattern', labels: [{ label: 'x'.repeat(10_000) }, { label: 'plain' }] }] }, /must be at most 100 characters/],
      [
        'a threshold outside 0-1',
        { attributes: [{ name: 'pattern', threshold: 1.5, labels: [{ label: 'a' }, { label: 'b' }] }] },
        /threshold: must be between 0 and 1/,
      ],
    ])('refuses %s with 400 naming attribute and label', async (_what, taxonomy, message) => {
      const response = await fetch(url('/v1/admin/taxonomy'), { method: 'PUT', headers: json, body: JSON.stringify(taxonomy) });
      await expectError(response, 400, 'invalid_taxonomy', message);
      expect(ports.tagging.puts).toEqual([]);
    });

    it("refuses labels the model's tokenizer does not know, naming the words", async () => {
      ports.labelEmbedder.unknownWords = new Set(['paisley']);
      const taxonomy = { attributes: [{ name: 'pattern', labels: [{ label: 'paisley' }, { label: 'plain' }] }] };
      const response = await fetch(url('/v1/admin/taxonomy'), { method: 'PUT', headers: json, body: JSON.stringify(taxonomy) });
      await expectError(response, 400, 'unknown_words', /attribute "pattern" label "paisley": "paisley"/);
    });

    it('refuses YAML that does not parse, naming the line', async () => {
      const response = await fetch(url('/v1/admin/taxonomy'), {
        method: 'PUT',
        headers: { ...admin, 'content-type': 'text/yaml' },
        body: 'attributes: [\n  - name',
      });
      await expectError(response, 400, 'invalid_yaml', /line \d+/);
    });

    it('needs the admin API key', async () => {
      const response = await fetch(url('/v1/admin/taxonomy'), {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(TAXONOMY),
      });
      expect(response.status).toBe(401);
    });
  });

  describe('status, apply, preview and export', () => {
    it('shows the stored taxonomy and the re-tag state', async () => {
      await fetch(url('/v1/admin/taxonomy'), { method: 'PUT', headers: json, body: JSON.stringify(TAXONOMY) });
      const body = await (await fetch(url('/v1/admin/taxonomy'), { headers: admin })).json();
      expect(taggingStatusSchema.parse(body)).toMatchObject({ state: 'tagging', taxonomy: { version: 1 } });
      const status = await (await fetch(url('/v1/admin/tags/status'), { headers: admin })).json();
      expect(status).toMatchObject({ state: 'tagging', taxonomyVersion: 1 });
    });

    it('re-applies the stored taxonomy as the next version, and says when there is none', async () => {
      await expectError(await fetch(url('/v1/admin/tags/apply'), { method: 'POST', headers: admin }), 404, 'no_taxonomy');
      await fetch(url('/v1/admin/taxonomy'), { method: 'PUT', headers: json, body: JSON.stringify(TAXONOMY) });
      const response = await fetch(url('/v1/admin/tags/apply'), { method: 'POST', headers: admin });
      expect(response.status).toBe(202);
      expect(await response.json()).toMatchObject({ taxonomyVersion: 2 });
    });

    it('previews a taxonomy before applying it, and refuses an attribute it does not have', async () => {
      const response = await fetch(url('/v1/admin/tags/preview?attribute=pattern&limit=3'), { method: 'POST', headers: json, body: JSON.stringify(TAXONOMY) });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ attribute: 'pattern', labels: [{ label: 'striped', productCount: 1 }] });
      expect(ports.tagging.previews[0]).toMatchObject({ attribute: 'pattern', limit: 3, candidate: { modelId: 'fake-clip@1' } });
      expect(ports.tagging.puts).toEqual([]);
      const unknown = await fetch(url('/v1/admin/tags/preview?attribute=fabric'), { method: 'POST', headers: json, body: JSON.stringify(TAXONOMY) });
      await expectError(unknown, 400, 'unknown_attribute', /"fabric" is not in the taxonomy \(it has pattern, colour\)/);
    });

    it('exports every page of tags as CSV', async () => {
      ports.tagging.tagPages = [
        [{ productId: 'p1', attribute: 'pattern', label: 'striped', confidence: 0.9, taxonomyVersion: 1 }],
        [{ productId: 'p2', attribute: 'colour', label: 'red, dark', confidence: 0.5, taxonomyVersion: 1 }],
      ];
      const response = await fetch(url('/v1/admin/tags/export'), { headers: admin });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
      expect(await response.text()).toBe('product_id,attribute,label,confidence\r\np1,pattern,striped,0.9000\r\np2,colour,"red, dark",0.5000\r\n');
    });

    it('answers 503 in JSON, not a truncated CSV, when search is down', async () => {
      ports.tagging.down = true;
      await expectError(await fetch(url('/v1/admin/tags/export'), { headers: admin }), 503, 'dependency_unavailable');
    });
  });

  describe('tags in search', () => {
    it('passes tag.<attribute> filters to search: labels OR, attributes AND', async () => {
      const response = await fetch(url('/v1/search?q=shirt&tag.pattern=striped,dotted&tag.colour=red&category=tops'));
      expect(response.status).toBe(200);
      expect(ports.searchIndex.searches.at(-1)!.query.filter).toEqual({
        categories: ['tops'],
        brands: [],
        tags: { pattern: ['striped', 'dotted'], colour: ['red'] },
      });
    });

    it('filters photo search and "more like this" by tags too', async () => {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(fakeJpeg())], { type: 'image/jpeg' }), 'q.jpg');
      expect((await fetch(url('/v1/search/image?tag.pattern=plain'), { method: 'POST', body: form })).status).toBe(200);
      expect(ports.searchIndex.searches.at(-1)!.query.filter.tags).toEqual({ pattern: ['plain'] });
      expect((await fetch(url('/v1/products/p1/similar?tag.pattern=plain'))).status).toBe(200);
      expect(ports.searchIndex.similarCalls.at(-1)!.filter.tags).toEqual({ pattern: ['plain'] });
    });

    it('refuses a malformed tag parameter naming it', async () => {
      await expectError(await fetch(url('/v1/search?q=shirt&tag.Pattern=x')), 400, 'invalid_parameter', /tag.Pattern: "Pattern" is not an attribute name/);
      await expectError(await fetch(url('/v1/search?q=shirt&tag.pattern=')), 400, 'invalid_parameter', /tag.pattern needs a label/);
    });

    it("shows each hit's tags, confidences rounded", async () => {
      const tags = [{ attribute: 'pattern', label: 'striped', confidence: 0.912345, taxonomyVersion: 1 }];
      ports.searchIndex.hits = [{ ...fakeHit('p1', 0.9), tags }];
      const body = await (await fetch(url('/v1/search?q=shirt'))).json();
      expect(searchResponseSchema.parse(body).results[0].tags).toEqual([{ attribute: 'pattern', label: 'striped', confidence: 0.9123 }]);
    });
  });

  describe('GET /v1/products/{id}', () => {
    it('answers the product with its images, failed images and tags', async () => {
      const product = fakeHit('p7', 1).product;
      ports.tagging.products.set('p7', {
        product,
        images: [{ imageId: 'p7-1', imageUrl: 'http://img/p7-1.jpg' }],
        failedImages: [{ imageId: 'p7-2', imageUrl: 'http://img/p7-2.jpg', stage: 'fetch', errorCode: 'http_status', reason: 'answered 404' }],
        tags: [{ attribute: 'pattern', label: 'plain', confidence: 0.8, taxonomyVersion: 2 }],
      });
      const response = await fetch(url('/v1/products/p7'));
      expect(response.status).toBe(200);
      const body = productDetailSchema.parse(await response.json());
      expect(body).toMatchObject({
        productId: 'p7',
        images: [{ imageId: 'p7-1' }],
        failedImages: [{ stage: 'fetch' }],
        tags: [{ label: 'plain', taxonomyVersion: 2 }],
      });
      await expectError(await fetch(url('/v1/products/nope')), 404, 'product_not_found');
    });
  });

  describe('POST /v1/classify', () => {
    const classify = (body: unknown) =>
      fetch(url('/v1/classify'), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it('ranks labels for an uploaded photo, candidates in the query string', async () => {
      const form = new FormData();
      form.append('image', new Blob([new Uint8Array(fakeJpeg())], { type: 'image/jpeg' }), 'q.jpg');
      const response = await fetch(url('/v1/classify?labels=striped&labels=plain'), { method: 'POST', body: form });
      expect(response.status).toBe(200);
      const body = classifyResponseSchema.parse(await response.json());
      expect(body.labels.map((entry) => entry.label).sort()).toEqual(['plain', 'striped']);
      expect(body.labels.reduce((sum, entry) => sum + entry.probability, 0)).toBeCloseTo(1, 3);
    });

    it('classifies a stored product by id', async () => {
      ports.tagging.products.set('p1', { product: fakeHit('p1', 1).product, images: [], failedImages: [] });
      const response = await classify({ productId: 'p1', labels: ['striped', 'plain'] });
      expect(response.status).toBe(200);
      await expectError(await classify({ productId: 'missing', labels: ['striped', 'plain'] }), 404, 'product_not_found');
    });

    it.each([
      ['0 labels', { productId: 'p1', labels: [] }, /labels: needs at least 2 labels/],
      ['1,000 labels', { productId: 'p1', labels: Array.from({ length: 1000 }, (_, i) => `l${i}`) }, /labels: at most 200 labels/],
      ['a 10 KB label', { productId: 'p1', labels: ['x'.repeat(10_000), 'plain'] }, /labels.0: must be at most 100 characters/],
      ['neither photo nor product', { labels: ['a', 'b'] }, /imageUrl: give either imageUrl or productId/],
      ['both labels and attribute', { productId: 'p1', labels: ['a', 'b'], attribute: 'pattern' }, /labels: give either labels/],
      ['a template without {label}', { productId: 'p1', labels: ['a', 'b'], template: 'a photo' }, /template: must contain \{label\}/],
    ])('refuses %s with 400 naming the field', async (_what, body, message) => {
      await expectError(await classify(body), 400, 'invalid_parameter', message);
    });

    it('refuses an unknown attribute and unknown words', async () => {
      await expectError(await classify({ productId: 'p1', attribute: 'fabric' }), 400, 'unknown_attribute', /"fabric"/);
      ports.labelEmbedder.unknownWords = new Set(['zigzag']);
      await expectError(await classify({ productId: 'p1', labels: ['zigzag', 'plain'] }), 400, 'unknown_words', /labels\[0\] "zigzag": "zigzag"/);
    });
  });
});
