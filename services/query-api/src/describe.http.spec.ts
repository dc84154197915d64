/**
 * POST /v1/describe and POST /v1/ask over fakes: photo upload, image URL and product id; the JSON
 * shapes against their schemas; bad input (empty and 5 KB questions, unknown words, a non-image, an
 * undecodable file, a refused URL, a product without images) as 4xx naming the problem; a describer
 * outage as 503.
 * real: createQueryApiApp (services, Nest + Express on a local port), fetch. fake: every port (testing/).
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { askResponseSchema, describeResponseSchema } from './http/dtos/describe.dto';
import { FAKE_DESCRIBER } from './testing/fake-describer';
import { fakeHit, fakeJpeg, fakePorts, type FakePorts } from './testing/fake-ports';
import { expectErrorResponse as expectError, startHttpTestApp } from './testing/http-test-app';

const PHOTO_URL = 'https://images.example.com/p/1.jpg';

describe('query API describe and ask routes', () => {
  let app: NestExpressApplication;
  let base: string;
  let ports: FakePorts;
  const url = (route: string) => `${base}${route}`;
  const postJson = (route: string, body: unknown) =>
    fetch(url(route), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const postPhoto = (route: string, bytes: Uint8Array) => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(bytes)], { type: 'image/jpeg' }), 'photo.jpg');
    return fetch(url(route), { method: 'POST', body: form });
  };

  beforeEach(async () => {
    ports = fakePorts();
    ports.remoteImages.serve(PHOTO_URL, fakeJpeg());
    ({ app, base } = await startHttpTestApp(ports));
  });
  afterEach(async () => app.close());

  describe('POST /v1/describe', () => {
    it("describes an uploaded photo at the describer's input size and names the attributes the description mentions", async () => {
      ports.describer.description = 'a scarlet table lamp with polka dots on a flat backdrop';
      const response = await postPhoto('/v1/describe', fakeJpeg());
      expect(response.status).toBe(200);
      const body = describeResponseSchema.parse(await response.json());
      expect(body).toEqual({
        description: 'a scarlet table lamp with polka dots on a flat backdrop',
        attributes: { category: 'lamp', colour: 'red', pattern: 'dotted' },
        finishReason: 'stop',
        model: FAKE_DESCRIBER.modelId,
      });
      expect(ports.describer.describeCalls).toEqual([{ length: FAKE_DESCRIBER.imageSize ** 2 * 3, requestId: expect.any(String) }]);
    });

    it('describes a photo by URL, and leaves out an attribute the description names twice', async () => {
      ports.describer.description = 'a red and blue striped mug';
      const body = describeResponseSchema.parse(await (await postJson('/v1/describe', { imageUrl: PHOTO_URL })).json());
      expect(body.attributes).toEqual({ category: 'mug', pattern: 'striped' });
    });

    it('refuses a non-image, an undecodable image, a refused URL and a missing photo, naming the problem', async () => {
      await expectError(await postPhoto('/v1/describe', Buffer.from('hello, not an image')), 415, 'unsupported_media_type', /not a JPEG, PNG or WebP/);
      await expectError(await postPhoto('/v1/describe', fakeJpeg(16).subarray(0, 12)), 422, 'image_undecodable', /cannot be decoded/);
      await expectError(await postJson('/v1/describe', { imageUrl: 'http://169.254.169.254/latest/meta-data' }), 400, 'image_url_refused');
      await expectError(await postJson('/v1/describe', {}), 400, 'invalid_parameter', /imageUrl/);
      expect(ports.describer.describeCalls).toEqual([]);
    });

    it('answers 503 with Retry-After while the describer is down', async () => {
      ports.describer.down = true;
      const response = await postPhoto('/v1/describe', fakeJpeg());
      expect(response.headers.get('retry-after')).toBe('5');
      await expectError(response, 503, 'dependency_unavailable', /describer service is unavailable/);
    });
  });

  describe('POST /v1/ask', () => {
    it('answers a question about an uploaded photo, the question in the query string', async () => {
      ports.describer.answers.set('what colour is it?', 'red');
      const response = await postPhoto(`/v1/ask?question=${encodeURIComponent('what colour is it?')}`, fakeJpeg());
      expect(response.status).toBe(200);
      expect(askResponseSchema.parse(await response.json())).toEqual({ answer: 'red', answerable: true, unknownWords: [], model: FAKE_DESCRIBER.modelId });
    });

    it("answers about a stored product through its first indexed image, and says can't tell for what the photo cannot show", async () => {
      ports.tagging.products.set('p1', {
        product: fakeHit('p1', 1).product,
        images: [{ imageId: 'main', imageUrl: PHOTO_URL }],
        failedImages: [],
      });
      ports.describer.answers.set('is it striped?', 'yes');
      expect(await (await postJson('/v1/ask', { productId: 'p1', question: 'is it striped?' })).json()).toMatchObject({ answer: 'yes', answerable: true });
      const price = askResponseSchema.parse(await (await postJson('/v1/ask', { productId: 'p1', question: 'how much does it cost?' })).json());
      expect(price).toMatchObject({ answer: FAKE_DESCRIBER.cantTellAnswer, answerable: false, unknownWords: [] });
    });

    it("answers can't tell, naming them, for words the model does not know", async () => {
      ports.describer.knownWords = new Set(['what', 'colour', 'is', 'it']);
      ports.describer.answers.set('what colour is the zorblax?', 'red');
      const body = askResponseSchema.parse(await (await postJson('/v1/ask', { imageUrl: PHOTO_URL, question: 'what colour is the zorblax?' })).json());
      expect(body).toMatchObject({ answer: FAKE_DESCRIBER.cantTellAnswer, answerable: false, unknownWords: ['the', 'zorblax'] });
    });

    it.each([
      ['an empty question', { imageUrl: PHOTO_URL, question: '   ' }, /question: must not be empty/],
      ['a 5 KB question', { imageUrl: PHOTO_URL, question: 'is it red? '.repeat(500) }, /question: must be at most 500 characters/],
      ['no question', { imageUrl: PHOTO_URL }, /question/],
      ['neither photo nor product', { question: 'is it red?' }, /imageUrl: give either imageUrl or productId/],
      ['both photo and product', { imageUrl: PHOTO_URL, productId: 'p1', question: 'is it red?' }, /imageUrl: give either imageUrl or productId/],
    ])('refuses %s with 400 naming the field', async (_what, body, message) => {
      await expectError(await postJson('/v1/ask', body), 400, 'invalid_parameter', message);
      expect(ports.describer.askCalls).toEqual([]);
    });

    it("refuses a question longer than the describer's own limit before fetching the photo", async () => {
      const question = 'is it red? '.repeat(30).trim();
      expect(question.length).toBeGreaterThan(FAKE_DESCRIBER.maxQuestionChars);
      await expectError(await postJson('/v1/ask', { imageUrl: 'https://unknown.example.com/x.jpg', question }), 400, 'question_too_long', /at most 200/);
    });

    it('refuses an empty question with a photo upload, a non-image upload, an unknown product and a product without images', async () => {
      await expectError(await postPhoto('/v1/ask?question=', fakeJpeg()), 400, 'invalid_parameter', /question: must not be empty/);
      await expectError(await postPhoto('/v1/ask?question=is%20it%20red%3F', Buffer.from('GIF89a, not ours')), 415, 'unsupported_media_type');
      await expectError(await postJson('/v1/ask', { productId: 'missing', question: 'is it red?' }), 404, 'product_not_found');
      ports.tagging.products.set('bare', { product: fakeHit('bare', 1).product, images: [], failedImages: [] });
      await expectError(await postJson('/v1/ask', { productId: 'bare', question: 'is it red?' }), 404, 'product_image_not_found');
    });
  });
});
