/**
 * Describing and answering end to end, as shoppers meet it: ingestion writes a generated description
 * for every image (alt text) with the describer in the embedder process, search returns it with
 * every hit, the web page uses it as each image's alt, POST /v1/describe and /v1/ask answer from the
 * real model, and bad input is refused at the HTTP boundary naming the problem.
 * real: the four services from their main.ts (bundled CLIP and describer-mini models on CPU, embedded
 * store and event log; ingestion with DESCRIBE_IMAGES=true), Chromium, axe-core. fake: nothing.
 * The model's quality is not asserted here (see tools/cli/src/commands/eval-describe.int-spec.ts):
 * texts are checked for being there (not empty) and answers for the rules the server enforces
 * (unknown words → can't tell), so this test holds for any describer-mini, trained well or not.
 */
import type { Browser } from 'playwright-core';
import { checkImageAlternatives, launchChromium, pngBomb } from '@vsearch/testing';
import { askResponseSchema, describeResponseSchema } from './http/dtos/describe.dto';
import { productDetailSchema } from './http/dtos/product-detail.dto';
import { searchResponseSchema } from './http/dtos/responses.dto';
import { startE2eStack, type E2eStack } from './testing/e2e-stack';
import { expectErrorResponse as expectError } from './testing/http-test-app';

const SEED = 47;
const PRODUCTS = 16;
const CANT_TELL = "i can't tell from the photo";

let stack: E2eStack;

beforeAll(async () => {
  stack = await startE2eStack({ seed: SEED, count: PRODUCTS, ingestion: { DESCRIBE_IMAGES: 'true' } });
}, 300_000);

afterAll(async () => {
  await stack?.close();
});

const post = (route: string, body: unknown) =>
  fetch(`${stack.baseUrl}${route}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const upload = (route: string, bytes: Uint8Array, type = 'image/png') => {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)], { type }), 'photo');
  return fetch(`${stack.baseUrl}${route}`, { method: 'POST', body: form });
};

describe('descriptions and answers through the running stack', () => {
  it('stores a generated description with every indexed image and returns it with every hit', async () => {
    for (const productId of stack.products.keys()) {
      const detail = productDetailSchema.parse(await (await fetch(`${stack.baseUrl}/v1/products/${productId}`)).json());
      expect(detail.images.length).toBeGreaterThan(0);
      for (const image of detail.images) expect(image.description).toMatch(/\S/);
    }
    const page = searchResponseSchema.parse(await (await fetch(`${stack.baseUrl}/v1/search?q=product&limit=50`)).json());
    expect(page.results.length).toBeGreaterThan(0);
    for (const result of page.results) expect(result.imageDescription).toMatch(/\S/);
  });

  it('describes an uploaded photo and a photo by URL with the describer model', async () => {
    const render = await stack.heldOutRender(1);
    const uploaded = describeResponseSchema.parse(await (await upload('/v1/describe', render.bytes, 'image/webp')).json());
    expect(uploaded.model).toMatch(/^describer-mini@/);
    expect(uploaded.description).toMatch(/\S/);
    const [first] = stack.products.values();
    const byUrl = await post('/v1/describe', { imageUrl: first.images[0].url });
    expect(byUrl.status).toBe(200);
    expect(describeResponseSchema.parse(await byUrl.json()).model).toMatch(/^describer-mini@/);
  });

  it("answers a question about a stored product, and can't tell, naming them, for words the model does not know", async () => {
    const [productId] = stack.products.keys();
    const answered = askResponseSchema.parse(await (await post('/v1/ask', { productId, question: 'what colour is it?' })).json());
    expect(answered.answer).toMatch(/\S/);
    expect(answered.unknownWords).toEqual([]);
    const unknown = askResponseSchema.parse(await (await post('/v1/ask', { productId, question: 'is the zqxvbnt flibbertigibbet red?' })).json());
    expect(unknown).toMatchObject({ answer: CANT_TELL, answerable: false });
    expect(unknown.unknownWords).toEqual(expect.arrayContaining(['zqxvbnt', 'flibbertigibbet']));
  });

  it('refuses bad input at the HTTP boundary, naming the problem', async () => {
    const [productId] = stack.products.keys();
    await expectError(await post('/v1/ask', { productId, question: '' }), 400, 'invalid_parameter', /question: must not be empty/);
    await expectError(await post('/v1/ask', { productId, question: 'is it red? '.repeat(500) }), 400, 'invalid_parameter', /question: must be at most 500/);
    await expectError(await upload('/v1/describe', Buffer.from('%PDF-1.7 not a photo'), 'application/pdf'), 415, 'unsupported_media_type');
    await expectError(await upload('/v1/describe', pngBomb(30_000)), 413, 'payload_too_large', /pixels/);
    await expectError(await post('/v1/describe', { imageUrl: 'http://169.254.169.254/latest/meta-data/iam' }), 400, 'image_url_refused');
    await expectError(await post('/v1/ask', { imageUrl: 'http://127.0.0.1:1/x.png', question: 'is it red?' }), 400, 'image_url_refused');
    await expectError(await post('/v1/ask', { productId: 'no-such-product', question: 'is it red?' }), 404, 'product_not_found');
  });
});

describe('alt text and "Ask about this product" in the web page (Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it("shows each image with its stored description as alt text, answers a question, and passes axe-core's image rules", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const search = searchResponseSchema.parse(await (await fetch(`${stack.baseUrl}/v1/search?q=product&limit=24`)).json());
    await page.goto(`${stack.baseUrl}/?q=product`);
    await page.locator('[data-testid=result]').first().waitFor();
    await page.waitForFunction(() => !document.body.classList.contains('busy'));
    const shown = await page
      .locator('[data-testid=result]')
      .evaluateAll((cards) => cards.map((card) => ({ id: (card as HTMLElement).dataset.productId, alt: card.querySelector('img')?.getAttribute('alt') })));
    const descriptions = new Map(search.results.map((result) => [result.productId, result.imageDescription]));
    expect(shown.length).toBeGreaterThan(0);
    for (const card of shown) expect(card.alt).toBe(descriptions.get(card.id!));

    const box = page.locator('[data-testid=result]').first().locator('[data-testid=ask]');
    await box.locator('summary').click();
    await box.getByLabel('Your question').fill('what colour is it?');
    await box.getByRole('button', { name: 'Ask' }).click();
    await box.locator('.answer:not(:empty)', { hasNotText: 'Looking at the photo' }).waitFor({ timeout: 30_000 });
    expect(await box.locator('.answer').getAttribute('class')).not.toMatch(/error-text/);
    expect(await box.locator('.answer').textContent()).toMatch(/\S/);

    const axe = await checkImageAlternatives(page);
    expect(axe.violations).toEqual([]);
    expect(axe.passed).toContain('image-alt');
    await page.close();
  });
});
