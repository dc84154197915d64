/**
 * Zero-shot tagging end to end, as a merchandiser and a shopper use it: a taxonomy set over the admin
 * API, the whole catalog re-tagged from its stored vectors (the embedder's metrics show no image
 * embedded meanwhile), tag filters and facets in search, tags on GET /v1/products/{id}, the CSV
 * export, POST /v1/classify by upload and by product id, `vsearch tags` and a tag filter clicked in
 * the web page.
 * real: the four services from their main.ts (bundled model on CPU, embedded store and event log),
 * the CLI process, Chromium. fake: nothing.
 */
import type { Browser } from 'playwright-core';
import { COLOURS, PATTERNS } from '@vsearch/catalog-generator';
import type { ProductUpserted } from '@vsearch/contracts';
import { launchChromium, spawnCli, waitFor } from '@vsearch/testing';
import { classifyResponseSchema } from './http/dtos/classify.dto';
import { productDetailSchema } from './http/dtos/product-detail.dto';
import { errorResponseSchema, searchResponseSchema, type SearchResponse } from './http/dtos/responses.dto';
import { taggingStatusSchema } from './http/dtos/tagging.dto';
import { E2E_ADMIN_KEY, startE2eStack, type E2eStack } from './testing/e2e-stack';

const SEED = 43;
const PRODUCTS = 60;

const TAXONOMY = {
  attributes: [
    { name: 'pattern', mode: 'single', threshold: 0.3, labels: PATTERNS.map((label) => ({ label })) },
    { name: 'colour', mode: 'single', threshold: 0.3, labels: COLOURS.map((label) => ({ label })) },
  ],
};

let stack: E2eStack;
const admin = { 'x-api-key': E2E_ADMIN_KEY };

beforeAll(async () => {
  stack = await startE2eStack({ seed: SEED, count: PRODUCTS });
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

const get = (route: string, init?: RequestInit) => fetch(`${stack.baseUrl}${route}`, init);
const product = (productId: string): ProductUpserted => stack.products.get(productId)!;

async function searchOk(route: string): Promise<SearchResponse> {
  const response = await get(route);
  const body = await response.json();
  if (response.status !== 200) throw new Error(`${route} answered ${response.status}: ${JSON.stringify(body)}`);
  return searchResponseSchema.parse(body);
}

/** Images the embedder has embedded so far, over both lanes (embedder_items_total{tower="image"}). */
async function imagesEmbedded(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${stack.embedder.metricsPort}/metrics`)).text();
  return [...text.matchAll(/^embedder_items_total\{[^}]*tower="image"[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

async function vsearch(args: string[]): Promise<{ code: number | null; output: string }> {
  const cli = spawnCli(['tags', ...args], { env: { VSEARCH_API_URL: stack.baseUrl, VSEARCH_API_KEY: E2E_ADMIN_KEY } });
  const code = await cli.exited;
  return { code, output: cli.output() };
}

async function waitForRetag(version: number): Promise<void> {
  await waitFor(
    `re-tag of taxonomy version ${version}`,
    async () => {
      const status = taggingStatusSchema.parse(await (await get('/v1/admin/taxonomy', { headers: admin })).json());
      if (status.state === 'failed') throw new Error(`re-tag failed: ${status.error}`);
      return status.taxonomy?.version === version && status.state === 'done';
    },
    60_000,
    200,
  );
}

describe('zero-shot tagging through the running stack', () => {
  it('refuses a label the bundled model cannot read, naming the word', async () => {
    const taxonomy = { attributes: [{ name: 'pattern', labels: [{ label: 'paisley' }, { label: 'striped' }] }] };
    const response = await get('/v1/admin/taxonomy', {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(taxonomy),
    });
    const body = await response.json();
    expect(response.status).toBe(400);
    expect(errorResponseSchema.parse(body).error).toMatchObject({ code: 'unknown_words', message: expect.stringContaining('label "paisley": "paisley"') });
  });

  it('sets a taxonomy and re-tags every product from stored vectors, embedding no image', async () => {
    const imagesBefore = await imagesEmbedded();
    const response = await get('/v1/admin/taxonomy', {
      method: 'PUT',
      headers: { ...admin, 'content-type': 'application/json' },
      body: JSON.stringify(TAXONOMY),
    });
    expect(response.status).toBe(202);
    const stored = (await response.json()) as { taxonomyVersion: number; queued: boolean };
    await waitForRetag(stored.taxonomyVersion);
    const status = taggingStatusSchema.parse(await (await get('/v1/admin/tags/status', { headers: admin })).json());
    expect(status).toMatchObject({ state: 'done', productsTagged: PRODUCTS, productsTotal: PRODUCTS });
    expect(await imagesEmbedded()).toBe(imagesBefore);
  });

  it('filters search by a tag, counts tag facets, and shows tags on every hit', async () => {
    const all = await searchOk('/v1/search?q=product&limit=100');
    const patternFacet = all.facets.tags?.pattern ?? [];
    expect(patternFacet.length).toBeGreaterThan(0);
    const { value: label, count } = patternFacet[0];
    const filtered = await searchOk(`/v1/search?q=product&limit=100&tag.pattern=${encodeURIComponent(label)}`);
    expect(filtered.total).toBe(count);
    expect(filtered.results.every((hit) => hit.tags?.some((tag) => tag.attribute === 'pattern' && tag.label === label))).toBe(true);
    // Two labels of one attribute: either; two attributes: both.
    const second = patternFacet[1]?.value;
    if (second) {
      const either = await searchOk(`/v1/search?q=product&limit=100&tag.pattern=${label},${second}`);
      expect(either.total).toBe(count + patternFacet[1].count);
    }
    const colour = filtered.facets.tags?.colour?.[0];
    if (colour) {
      const both = await searchOk(`/v1/search?q=product&limit=100&tag.pattern=${label}&tag.colour=${colour.value}`);
      expect(both.total).toBe(colour.count);
    }
  });

  it("tags products with the generator's pattern and colour in most cases", async () => {
    const all = await searchOk('/v1/search?q=product&limit=100');
    let agree = 0;
    let tagged = 0;
    for (const hit of all.results) {
      for (const tag of hit.tags ?? []) {
        tagged++;
        if (product(hit.productId).attributes![tag.attribute] === tag.label) agree++;
      }
    }
    expect(tagged).toBeGreaterThan(0);
    expect(agree / tagged).toBeGreaterThanOrEqual(0.8);
  });

  it("answers a product's tags, images and failed images at GET /v1/products/{id}", async () => {
    const productId = [...stack.products.keys()][0];
    const body = productDetailSchema.parse(await (await get(`/v1/products/${productId}`)).json());
    expect(body.productId).toBe(productId);
    expect(body.images.map((image) => image.imageId)).toEqual(product(productId).images.map((image) => image.id));
    expect(body.tags.every((tag) => ['pattern', 'colour'].includes(tag.attribute) && tag.confidence >= 0.3)).toBe(true);
    expect((await get('/v1/products/no-such-product')).status).toBe(404);
  });

  it('exports every tag as CSV', async () => {
    const response = await get('/v1/admin/tags/export', { headers: admin });
    expect(response.status).toBe(200);
    const lines = (await response.text()).split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('product_id,attribute,label,confidence');
    expect(lines.length).toBeGreaterThan(PRODUCTS / 2);
    for (const line of lines.slice(1)) expect(line).toMatch(/^[^,]+,(pattern|colour),[a-z]+,(0|1)\.\d{4}$/);
  });

  it('classifies an uploaded photo and a stored product against candidate labels', async () => {
    const productId = [...stack.products.keys()][1];
    const photo = Buffer.from(await (await fetch(product(productId).images[0].url)).arrayBuffer());
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(photo)], { type: 'image/jpeg' }), 'photo.jpg');
    const labels = PATTERNS.map((label) => `labels=${label}`).join('&');
    const upload = await get(`/v1/classify?${labels}`, { method: 'POST', body: form });
    const byUpload = classifyResponseSchema.parse(await upload.json());
    expect(byUpload.labels.map((entry) => entry.label).sort()).toEqual([...PATTERNS].sort());
    expect(byUpload.labels.reduce((sum, entry) => sum + entry.probability, 0)).toBeCloseTo(1, 2);
    expect(byUpload.labels[0].label).toBe(product(productId).attributes!.pattern);

    const byId = await get('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ productId, attribute: 'pattern' }),
    });
    const ranked = classifyResponseSchema.parse(await byId.json());
    expect(ranked).toMatchObject({ attribute: 'pattern', model: stack.modelId });
    expect(ranked.labels[0].label).toBe(product(productId).attributes!.pattern);

    const tooMany = await get('/v1/classify', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ productId, labels: Array.from({ length: 1000 }, (_, i) => `label ${i}`) }),
    });
    expect(tooMany.status).toBe(400);
    expect((await tooMany.json()).error.message).toMatch(/labels: at most 200 labels/);
  });

  it('vsearch tags show, preview and export work against the stack; a bad file exits 2', async () => {
    const show = await vsearch(['show']);
    expect(show).toMatchObject({ code: 0, output: expect.stringMatching(/taxonomy version \d+ .*: done, 60\/60 products/) });
    const preview = await vsearch(['preview', 'pattern', '--limit', '2', '--json']);
    expect(preview.code).toBe(0);
    expect(JSON.parse(preview.output)).toMatchObject({ attribute: 'pattern', labels: expect.any(Array) });
    const exported = await vsearch(['export']);
    expect(exported.code).toBe(0);
    expect(exported.output.startsWith('product_id,attribute,label,confidence\r\n')).toBe(true);
    const missing = await vsearch(['set', '/nonexistent/taxonomy.yaml']);
    expect(missing).toMatchObject({ code: 2, output: expect.stringContaining('cannot read /nonexistent/taxonomy.yaml') });
  });

  it('vsearch tags apply --wait re-tags the stored taxonomy as the next version', async () => {
    const before = taggingStatusSchema.parse(await (await get('/v1/admin/taxonomy', { headers: admin })).json()).taxonomy!.version;
    const apply = await vsearch(['apply', '--wait', '--poll-ms', '100']);
    expect(apply).toMatchObject({ code: 0, output: expect.stringMatching(new RegExp(`taxonomy version ${before + 1} .*: done, 60/60 products`)) });
  });
});

describe('tag filters in the web page (Chromium)', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchChromium();
  });
  afterAll(async () => browser?.close());

  it('shows tag chips on results, filters by a tag clicked in the sidebar, and keeps the filter in the URL', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${stack.baseUrl}/?q=product`);
    await page.locator('[data-testid=result]').first().waitFor();
    await page.waitForFunction(() => !document.body.classList.contains('busy'));
    expect(await page.locator('[data-testid=result] .tag-chip').count()).toBeGreaterThan(0);
    const input = page.locator('#facet-tags ul[data-attribute=pattern] input').first();
    const label = (await input.getAttribute('value')) ?? '';
    const count = Number(await page.locator(`#facet-tags ul[data-attribute=pattern] input[value="${label}"] ~ .count`).textContent());
    await input.click();
    await page.waitForFunction((expected) => document.querySelector('#query-summary')?.textContent?.startsWith(`${expected} result`), count);
    await page.waitForFunction(() => !document.body.classList.contains('busy'));
    const chips = await page
      .locator('[data-testid=result]')
      .evaluateAll((cards) => cards.map((card) => Array.from(card.querySelectorAll('.tag-chip[data-attribute=pattern]'), (chip) => chip.textContent)));
    expect(chips.every((labels) => labels.includes(label))).toBe(true);
    expect(new URL(page.url()).searchParams.getAll('tag.pattern')).toEqual([label]);
    // A shared link opens with the filter ticked.
    await page.reload();
    await page.locator('[data-testid=result]').first().waitFor();
    await page.waitForFunction(() => !document.body.classList.contains('busy'));
    expect(await page.locator(`#facet-tags ul[data-attribute=pattern] input[value="${label}"]`).isChecked()).toBe(true);
    expect(await page.locator('#query-summary').textContent()).toMatch(new RegExp(`^${count} result`));
    await page.close();
  });
});
