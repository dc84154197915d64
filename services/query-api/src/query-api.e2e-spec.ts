/**
 * The query API end to end, over its public HTTP API and in a real browser.
 * real: the query API, embedder, search and ingestion services (child processes
 * started from their `main.ts` by the @vsearch/testing harness, bundled
 * model on CPU, embedded vector store and event log; ingestion indexes the
 * generated catalog and runs the reindex), sharp preprocessing, Debian's
 * Chromium (playwright-core).
 * fake: nothing.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { CATEGORY_INFO, COLOUR_INFO, type Category, type Colour } from '@vsearch/catalog-generator';
import { CATALOG_REINDEX_TOPIC, parseReindexRequest, type ProductUpserted } from '@vsearch/contracts';
import { FileEventLog } from '@vsearch/event-log';
import { launchChromium, REPO_ROOT, waitFor } from '@vsearch/testing';
import { errorResponseSchema, searchResponseSchema, type SearchResponse } from './http/dtos/responses.dto';
import { E2E_ADMIN_KEY, startE2eStack, type E2eStack } from './testing/e2e-stack';

const SEED = 41;
const PRODUCTS = 160;

let stack: E2eStack;

beforeAll(async () => {
  stack = await startE2eStack({ seed: SEED, count: PRODUCTS });
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

const get = (pathAndQuery: string, init?: RequestInit) => fetch(`${stack.baseUrl}${pathAndQuery}`, init);

async function searchOk(pathAndQuery: string, init?: RequestInit): Promise<SearchResponse> {
  const response = await get(pathAndQuery, init);
  const body = await response.json();
  if (response.status !== 200) throw new Error(`${pathAndQuery} answered ${response.status}: ${JSON.stringify(body)}`);
  return searchResponseSchema.parse(body);
}

async function expectError(response: Response, status: number, code?: string): Promise<void> {
  const body = await response.json();
  expect({ status: response.status, code: body?.error?.code }).toEqual({ status, code: code ?? body?.error?.code });
  expect(errorResponseSchema.safeParse(body).success).toBe(true);
}

const product = (productId: string): ProductUpserted => stack.products.get(productId)!;
const category = (productId: string) => product(productId).attributes!.category;
const colour = (productId: string) => product(productId).attributes!.colour;

function imageForm(bytes: Buffer, name: string, type: string): FormData {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)], { type }), name);
  return form;
}

const MIME = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' } as const;

/** (colour, category) pairs in the catalog, most products first. */
function catalogPairs(): { colour: string; category: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const event of stack.products.values()) {
    const key = `${event.attributes!.colour}|${event.attributes!.category}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts]
    .map(([key, count]) => ({ colour: key.split('|')[0], category: key.split('|')[1], count }))
    .sort((a, b) => b.count - a.count || a.colour.localeCompare(b.colour));
}

/** Products of the catalog for which `predicate` holds, by id. */
const productIdsWhere = (predicate: (event: ProductUpserted) => boolean) => [...stack.products.values()].filter(predicate).map((event) => event.productId);

/** The most frequent value of `key` over the catalog's products, with the products that have it (ties: alphabetical). */
function mostCommon(
  key: (event: ProductUpserted) => string | undefined,
  among: (event: ProductUpserted) => boolean = () => true,
): { value: string; ids: string[] } {
  const groups = new Map<string, string[]>();
  for (const event of stack.products.values()) {
    const value = key(event);
    if (value === undefined || !among(event)) continue;
    groups.set(value, [...(groups.get(value) ?? []), event.productId]);
  }
  const [value, ids] = [...groups].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]))[0];
  return { value, ids };
}

const categoryLabel = (productId: string) => CATEGORY_INFO[category(productId) as Category].label;
/** A title ends with its model name ("Nimbus Red Dotted Backpack Aurora"). */
const modelName = (productId: string) => product(productId).title.split(' ').at(-1)!;
const sum = (facets: { count: number }[]) => facets.reduce((total, facet) => total + facet.count, 0);

describe('hybrid search: the query types of issue 15', () => {
  /**
   * Where the products matching every word of `query` land: the top hit is one of them, all but
   * one fill the first places, and all are on the first page. Plain reciprocal-rank fusion (k 60,
   * equal weights) lets a product matching one word but ranked first by the vector push one of
   * them a few places down (measured: 3 of 4 "Acme sneaker" in the top 4, 4 of 5 "Aurora Boot").
   */
  async function expectWordMatchesFirst(query: string, expected: string[]): Promise<SearchResponse> {
    const body = await searchOk(`/v1/search?q=${encodeURIComponent(query)}&limit=10`);
    const shown = body.results.map((result) => result.productId);
    const ranks = Object.fromEntries(expected.map((id) => [id, shown.indexOf(id) + 1]));
    const inFirstPlaces = expected.filter((id) => ranks[id] >= 1 && ranks[id] <= expected.length).length;
    expect({
      query,
      ranks,
      floorsMet: expected.includes(shown[0]) && inFirstPlaces >= expected.length - 1 && Object.values(ranks).every((rank) => rank >= 1),
    }).toMatchObject({
      floorsMet: true,
    });
    return body;
  }

  it('brand + category ("Nimbus backpack"): the products of that brand and category come first', async () => {
    const pair = mostCommon((event) => `${event.brand}|${event.attributes!.category}`);
    const [brand, leaf] = pair.value.split('|');
    const body = await expectWordMatchesFirst(`${brand} ${CATEGORY_INFO[leaf as Category].label.toLowerCase()}`, pair.ids);
    expect(body.mode).toBe('hybrid');
    expect(body.facets.brands.find((facet) => facet.value === brand)?.count).toBeGreaterThanOrEqual(pair.ids.length);
    // The products matched by words carry a keyword score beside their vector score.
    expect(body.results[0].keywordScore).toBeGreaterThan(0);
    expect(body.results[0].vectorScore).toBeDefined();
  });

  it('model name + category ("Sierra t-shirt"): the products of that model and category come first', async () => {
    const pair = mostCommon((event) => `${event.title.split(' ').at(-1)}|${event.attributes!.category}`);
    await expectWordMatchesFirst(`${modelName(pair.ids[0])} ${categoryLabel(pair.ids[0])}`, pair.ids);
  });

  it('a typo of a category ("bakcpack") finds that category, in hybrid and in keyword mode', async () => {
    // Two letters swapped is two edits: forgiven in words of 8 letters or more (typoTolerance in the lexical index).
    const leaf = mostCommon(
      (event) => event.attributes!.category,
      (event) => /^[a-z]{8,}$/.test(event.attributes!.category),
    ).value;
    const word = leaf.toLowerCase();
    const typo = `${word.slice(0, 2)}${word[3]}${word[2]}${word.slice(4)}`;
    for (const mode of ['hybrid', 'keyword']) {
      const body = await searchOk(`/v1/search?q=${encodeURIComponent(typo)}&mode=${mode}&limit=5`);
      expect({ typo, mode, categories: body.results.map((result) => category(result.productId)) }).toEqual({ typo, mode, categories: Array(5).fill(leaf) });
    }
  });

  it('a paraphrase ("a crimson top") finds the colour and category it describes', async () => {
    // Colour and category words that no title uses: only the vector ranking can find them.
    const paraphrasable = (event: ProductUpserted) =>
      COLOUR_INFO[event.attributes!.colour as Colour].synonyms.length > 1 &&
      CATEGORY_INFO[event.attributes!.category as Category].synonyms.some(
        (synonym) => /^[a-z]+$/.test(synonym) && synonym !== event.attributes!.category && !synonym.startsWith(event.attributes!.category),
      );
    const pair = mostCommon((event) => `${event.attributes!.colour}|${event.attributes!.category}`, paraphrasable);
    const [hue, leaf] = pair.value.split('|') as [Colour, Category];
    const colourWord = COLOUR_INFO[hue].synonyms.find((synonym) => synonym !== hue)!;
    const categoryWord = CATEGORY_INFO[leaf].synonyms.find((synonym) => /^[a-z]+$/.test(synonym) && synonym !== leaf && !synonym.startsWith(leaf))!;
    const query = `a ${colourWord} ${categoryWord}`;
    const body = await searchOk(`/v1/search?q=${encodeURIComponent(query)}&limit=3`);
    const top = body.results.map((result) => ({ colour: colour(result.productId), category: category(result.productId) }));
    expect({ query, top: top[0] }).toEqual({ query, top: { colour: hue, category: leaf } });
  });

  it.each(['zxqv wprtk glorfnax', 'qqqq ßßßß 12345xyz'])('a nonsense query ("%s") returns nothing, total 0 and empty facets', async (query) => {
    const body = await searchOk(`/v1/search?q=${encodeURIComponent(query)}`);
    expect(body).toMatchObject({ results: [], total: 0, totalIsLowerBound: false, facets: { categories: [], brands: [], priceBands: [], stock: [] } });
  });

  it('keyword mode matches the words alone: a brand finds exactly that brand', async () => {
    const brand = mostCommon((event) => event.brand).value;
    const body = await searchOk(`/v1/search?q=${encodeURIComponent(brand)}&mode=keyword&limit=100`);
    expect(body.mode).toBe('keyword');
    expect(body.results.map((result) => result.productId).sort()).toEqual(productIdsWhere((event) => event.brand === brand).sort());
    expect(body.total).toBe(body.results.length);
    expect(body.results.every((result) => result.vectorScore === undefined && result.keywordScore! > 0)).toBe(true);
  });

  it('total counts what matched, the facets count the same products, and paging reaches all of them', async () => {
    const leaf = mostCommon((event) => event.attributes!.category).value;
    const body = await searchOk(`/v1/search?q=${encodeURIComponent(CATEGORY_INFO[leaf as Category].label)}&limit=100`);
    expect(body.totalIsLowerBound).toBe(false);
    expect(body.total).toBeGreaterThan(0);
    expect(body.total).toBeLessThanOrEqual(100);
    expect(body.results.length).toBe(body.total);
    expect(sum(body.facets.brands)).toBe(body.total);
    expect(sum(body.facets.stock)).toBe(body.total);
    expect(sum(body.facets.priceBands)).toBe(body.total);
    const shown = body.results.map((result) => result.productId);
    for (const facet of body.facets.brands) expect(shown.filter((id) => product(id).brand === facet.value).length).toBe(facet.count);
    expect(body.facets.stock.find((facet) => facet.value === 'in_stock')?.count ?? 0).toBe(shown.filter((id) => product(id).inStock).length);
  });

  it('sorts by price either way and by newest, over the same matched products', async () => {
    const query = encodeURIComponent(CATEGORY_INFO[mostCommon((event) => event.attributes!.category).value as Category].label);
    const byRelevance = await searchOk(`/v1/search?q=${query}&limit=100`);
    const ascending = await searchOk(`/v1/search?q=${query}&limit=100&sort=price_asc`);
    const descending = await searchOk(`/v1/search?q=${query}&limit=100&sort=price_desc`);
    const prices = (body: SearchResponse) => body.results.map((result) => result.price.amount);
    expect(prices(ascending)).toEqual([...prices(byRelevance)].sort((a, b) => a - b));
    expect(prices(descending)).toEqual([...prices(byRelevance)].sort((a, b) => b - a));
    expect(ascending.total).toBe(byRelevance.total);
    const newest = await searchOk(`/v1/search?q=${query}&limit=100&sort=newest`);
    const changed = newest.results.map((result) => Date.parse(product(result.productId).occurredAt));
    expect(changed).toEqual([...changed].sort((a, b) => b - a));
    // Paging a sorted list continues it.
    const secondPage = await searchOk(`/v1/search?q=${query}&limit=3&offset=3&sort=price_asc`);
    expect(prices(secondPage)).toEqual(prices(ascending).slice(3, 6));
  });

  it('sorts photo search by price', async () => {
    const form = () => ({
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ imageUrl: product(`s${SEED}-000001`).images[0].url }),
    });
    const body = await searchOk('/v1/search/image?limit=20&sort=price_asc', form());
    const prices = body.results.map((result) => result.price.amount);
    expect(body.mode).toBe('vector');
    expect(prices.length).toBeGreaterThan(1);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
  });
});

describe('text search', () => {
  it('returns one row per product with the documented fields, facets and model', async () => {
    const body = await searchOk('/v1/search?q=blue%20backpack&limit=10');
    expect(body.model).toBe(stack.modelId);
    const ids = body.results.map((result) => result.productId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const result of body.results) {
      const event = product(result.productId);
      expect(result).toMatchObject({ title: event.title, brand: event.brand, categories: event.categories, price: event.price, inStock: event.inStock });
      expect(event.images.map((image) => image.id)).toContain(result.matchedImageId);
      expect(result.imageUrl).toBe(event.images.find((image) => image.id === result.matchedImageId)!.url);
    }
    const scores = body.results.map((result) => result.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    expect(body.facets.categories.length).toBeGreaterThan(0);
  });

  it('pages with limit and offset', async () => {
    const first = await searchOk('/v1/search?q=red&limit=6');
    const second = await searchOk('/v1/search?q=red&limit=3&offset=3');
    expect(second.results.map((result) => result.productId)).toEqual(first.results.slice(3, 6).map((result) => result.productId));
  });
});

describe('retrieval quality of the bundled model', () => {
  it('puts a product of the asked category and colour on top', async () => {
    const pairs = catalogPairs().slice(0, 10);
    const outcomes = [];
    for (const pair of pairs) {
      const body = await searchOk(`/v1/search?q=${encodeURIComponent(`${pair.colour} ${pair.category}`)}&limit=5`);
      const top = body.results[0]?.productId;
      outcomes.push({ query: `${pair.colour} ${pair.category}`, category: top && category(top), colour: top && colour(top) });
    }
    const categoryRight = outcomes.filter((outcome, i) => outcome.category === pairs[i].category).length;
    const bothRight = outcomes.filter((outcome, i) => outcome.category === pairs[i].category && outcome.colour === pairs[i].colour).length;
    // clip-mini 1.1.0 put the right category and colour on top for all 102 pairs of this catalog; a failure prints every top hit.
    expect({ floorsMet: categoryRight === pairs.length && bothRight >= 9, categoryRight, bothRight, outcomes }).toMatchObject({ floorsMet: true });
  });

  it.each(['zxqv wprtk glorfnax', 'laptop charger', 'how to file a tax return'])(
    'returns nothing for the nonsense query "%s" (the model score cutoff)',
    async (query) => {
      const body = await searchOk(`/v1/search?q=${encodeURIComponent(query)}`);
      expect(body.results).toEqual([]);
    },
  );

  it('finds the product of a held-out render (another pose, background, format) in the top 3', async () => {
    // Every 8th product: 20 photos that were never indexed.
    const indexes = Array.from({ length: PRODUCTS / 8 }, (_, i) => 1 + i * 8);
    const missed: string[] = [];
    for (const index of indexes) {
      const render = await stack.heldOutRender(index);
      const productId = `s${SEED}-${String(index).padStart(6, '0')}`;
      const body = await searchOk('/v1/search/image?limit=3', { method: 'POST', body: imageForm(render.bytes, `photo.${render.format}`, MIME[render.format]) });
      if (!body.results.some((result) => result.productId === productId)) missed.push(productId);
    }
    // clip-mini 1.1.0 found 80 of 80 held-out renders of this catalog in the top 3 (78 first); the floor allows 2 misses in 20.
    expect({ floorMet: indexes.length - missed.length >= 18, missed }).toMatchObject({ floorMet: true });
  });
});

describe('filters', () => {
  // Photo search has no score cutoff, so every indexed product is a candidate and the filters alone decide.
  const byPhotoOf = (productId: string, filters: string) =>
    searchOk(`/v1/search/image?limit=100${filters}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ imageUrl: product(productId).images[0].url }),
    });
  const matching = (predicate: (event: ProductUpserted) => boolean) =>
    [...stack.products.values()]
      .filter(predicate)
      .map((event) => event.productId)
      .sort();
  const ids = (body: SearchResponse) => body.results.map((result) => result.productId).sort();
  const anchor = () => `s${SEED}-000001`;

  it('narrows by category (department or category, any of several)', async () => {
    const target = product(anchor()).attributes!.category;
    expect(ids(await byPhotoOf(anchor(), `&category=${target}`))).toEqual(matching((event) => event.attributes!.category === target));
    const either = await byPhotoOf(anchor(), '&category=footwear&category=home');
    expect(ids(either)).toEqual(matching((event) => event.categories.includes('footwear') || event.categories.includes('home')));
    expect(either.facets.categories.find((facet) => facet.value === 'footwear')?.count).toBe(matching((event) => event.categories.includes('footwear')).length);
  });

  it('narrows by brand, price range and stock', async () => {
    const brand = product(anchor()).brand!;
    expect(ids(await byPhotoOf(anchor(), `&brand=${encodeURIComponent(brand)}`))).toEqual(matching((event) => event.brand === brand));
    expect(ids(await byPhotoOf(anchor(), '&minPrice=20&maxPrice=60'))).toEqual(matching((event) => event.price.amount >= 20 && event.price.amount <= 60));
    expect(ids(await byPhotoOf(anchor(), '&inStock=false'))).toEqual(matching((event) => !event.inStock));
  });

  it('combines filters', async () => {
    const combined = await byPhotoOf(anchor(), '&category=footwear,home&inStock=true&maxPrice=100');
    const expected = matching(
      (event) => (event.categories.includes('footwear') || event.categories.includes('home')) && event.inStock && event.price.amount <= 100,
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(ids(combined)).toEqual(expected);
  });

  it('applies the same filters to text search', async () => {
    const body = await searchOk('/v1/search?q=shoe&limit=100&category=footwear&inStock=true');
    for (const result of body.results) expect([result.categories.includes('footwear'), result.inStock]).toEqual([true, true]);
  });
});

describe('photo search', () => {
  it('searches by an image URL (an allow-listed host) with filters', async () => {
    const event = product(`s${SEED}-000010`);
    const body = await searchOk(`/v1/search/image?limit=5&category=${encodeURIComponent(event.categories[1])}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ imageUrl: event.images[0].url }),
    });
    expect(body.results[0].productId).toBe(event.productId);
    expect(body.results[0].score).toBeGreaterThan(0.99);
    expect(body.results.every((result) => result.categories.includes(event.categories[1]))).toBe(true);
  });
});

describe('more like this', () => {
  it('answers products like a stored one, leaving it out', async () => {
    const productId = `s${SEED}-000005`;
    const body = await searchOk(`/v1/products/${productId}/similar?limit=5`);
    expect(body.results.length).toBe(5);
    expect(body.results.map((result) => result.productId)).not.toContain(productId);
  });

  it('answers 404 for an unknown product', async () => {
    await expectError(await get('/v1/products/no-such-product/similar'), 404, 'product_not_found');
  });
});

describe('bad input gets a 4xx with a reason, never a 5xx', () => {
  it.each([
    ['only stop words', 'the of and a'],
    ['only punctuation', '?!.,;:…'],
    ['quotes, minus, star and colon', '"red backpack" -leather back* brand:Nimbus'],
    ['emoji', '🎒🔥 backpack 👟'],
    ['right-to-left text', 'حقيبة ظهر حمراء'],
    ['10 KB of text', 'red leather backpack with a zip pocket '.repeat(270)],
  ])('%s is literal text: 200 in every mode', async (_what, q) => {
    for (const mode of ['hybrid', 'vector', 'keyword']) {
      const response = await get(`/v1/search?q=${encodeURIComponent(q)}&mode=${mode}`);
      expect({ mode, status: response.status }).toEqual({ mode, status: 200 });
      searchResponseSchema.parse(await response.json());
    }
  });

  it.each([
    ['mode', 'fuzzy', 'hybrid, vector, keyword'],
    ['sort', 'cheapest', 'relevance, price_asc, price_desc, newest'],
  ])('an unknown %s ("%s") → 400 naming it and the values allowed', async (name, value, allowed) => {
    const response = await get(`/v1/search?q=backpack&${name}=${value}`);
    const body = await response.json();
    expect({ status: response.status, body }).toEqual({
      status: 400,
      body: { error: { code: 'invalid_parameter', message: `${name}: must be one of ${allowed}; got "${value}"`, requestId: expect.any(String) } },
    });
  });

  it.each([
    ['an empty query', '/v1/search?q=', 400],
    ['a query over 12,000 characters', `/v1/search?q=${'x'.repeat(12_001)}`, 400],
    ['an unknown filter', '/v1/search?q=boot&color=red', 400],
    ['minPrice > maxPrice', '/v1/search?q=boot&minPrice=100&maxPrice=10', 400],
    ['a non-numeric price', '/v1/search?q=boot&maxPrice=ten', 400],
    ['limit 0', '/v1/search?q=boot&limit=0', 400],
    ['limit 1000', '/v1/search?q=boot&limit=1000', 400],
  ])('%s', async (_what, pathAndQuery, status) => {
    await expectError(await get(pathAndQuery), status);
  });

  it('a 50 MB upload → 413', async () => {
    const huge = Buffer.alloc(50 * 1024 * 1024, 0xab);
    huge.set([0xff, 0xd8, 0xff, 0xe0]);
    await expectError(await get('/v1/search/image', { method: 'POST', body: imageForm(huge, 'huge.jpg', 'image/jpeg') }), 413, 'payload_too_large');
  });

  it('a PDF named .jpg → 415', async () => {
    const pdf = Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n', 'latin1');
    await expectError(await get('/v1/search/image', { method: 'POST', body: imageForm(pdf, 'photo.jpg', 'image/jpeg') }), 415, 'unsupported_media_type');
  });

  it('a truncated JPEG → 422', async () => {
    const jpeg = await stack.heldOutRender(7);
    const { default: sharp } = await import('sharp');
    const full = await sharp(jpeg.bytes).jpeg().toBuffer();
    const truncated = full.subarray(0, Math.floor(full.length / 2));
    await expectError(await get('/v1/search/image', { method: 'POST', body: imageForm(truncated, 'photo.jpg', 'image/jpeg') }), 422, 'image_undecodable');
  });

  it.each([
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['loopback not allow-listed', 'http://127.0.0.1:1/secret.jpg'],
    ['a private network', 'http://10.0.0.1/a.jpg'],
    ['a non-http scheme', 'file:///etc/passwd'],
  ])('an SSRF image URL (%s) → 400', async (_what, imageUrl) => {
    const response = await get('/v1/search/image', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ imageUrl }) });
    await expectError(response, 400);
  });

  it('a missing or wrong API key → 401 / 403', async () => {
    await expectError(await get('/v1/admin/reindex', { method: 'POST' }), 401, 'unauthorized');
    await expectError(await get('/v1/admin/reindex', { method: 'POST', headers: { 'x-api-key': 'guess' } }), 403, 'forbidden');
  });

  it('a path traversal under /catalog-images → 404', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const call = request(`${stack.baseUrl}/catalog-images/..%2f..%2fcatalog.jsonl`, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      call.on('error', reject);
      call.end();
    });
    expect(status).toBe(404);
  });
});

describe('operations', () => {
  it('serves readiness, metrics per route and status, the OpenAPI document and the request id', async () => {
    expect(await (await get('/readyz')).json()).toEqual({ status: 'ready', dependencies: { embedder: 'up', search: 'up' }, missing: [] });
    const response = await get('/v1/search?q=mug', { headers: { 'x-request-id': 'e2e-trace-42' } });
    expect(response.headers.get('x-request-id')).toBe('e2e-trace-42');
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/v1\/search"[^}]*status="200"/);
    expect(metrics).toMatch(/http_requests_total\{[^}]*route="\/v1\/search\/image"[^}]*status="413"/);
    const document = await (await get('/docs-json')).json();
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1/search', '/v1/search/image', '/v1/products/{id}/similar', '/v1/admin/reindex', '/v1/admin/reindex/{id}']),
    );
  });
});

describe('request ids', () => {
  it('carries X-Request-Id to the embedder and search as gRPC metadata', async () => {
    await searchOk('/v1/search?q=green%20lamp%20e2e', { headers: { 'x-request-id': 'e2e-embed-7731' } });
    await expectError(await get('/v1/products/missing-product-x/similar', { headers: { 'x-request-id': 'e2e-similar-7732' } }), 404);
    await waitFor(
      'the services to log the request ids',
      () => stack.embedder.logs().includes('"requestId":"e2e-embed-7731"') && stack.search.logs().includes('"requestId":"e2e-similar-7732"'),
      5_000,
    );
  });
});

describe('web page in Chromium', () => {
  let browser: Browser;
  let page: Page;
  const screenshots = path.join(REPO_ROOT, 'artifacts/screenshots');

  beforeAll(async () => {
    mkdirSync(screenshots, { recursive: true });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => browser?.close());

  const shownProductIds = () => page.locator('[data-testid=result]').evaluateAll((cards) => cards.map((card) => (card as HTMLElement).dataset.productId!));

  it('shows results for a typed query, with images, prices and scores', async () => {
    await page.goto(stack.baseUrl);
    const pair = catalogPairs()[0];
    const query = `${pair.colour} ${pair.category}`;
    const expected = await searchOk(`/v1/search?q=${encodeURIComponent(query)}&limit=24`);
    await page.fill('#q', query);
    await page.press('#q', 'Enter');
    await page.locator('[data-testid=result]').first().waitFor();
    expect(await shownProductIds()).toEqual(expected.results.map((result) => result.productId));
    const first = page.locator('[data-testid=result]').first();
    expect(await first.locator('.title').textContent()).toBe(expected.results[0].title);
    expect(await first.locator('.price').textContent()).toMatch(/\d/);
    expect(await first.locator('.score').textContent()).toBe(`score ${expected.results[0].score.toPrecision(3)}`);
    // Images load from /catalog-images.
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('[data-testid=result] img'))
        .slice(0, 4)
        .every((img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0),
    );
    expect(await page.locator('#query-summary').textContent()).toContain(`${expected.total} results for “${query}”`);
    await page.screenshot({ path: path.join(screenshots, 'web-page.png') });
  });

  const facetCount = (group: string, value: string) => page.locator(`#facet-${group} input[value="${value}"] ~ .count`).textContent();
  const search = async (query: string) => {
    await page.fill('#q', query);
    await page.press('#q', 'Enter');
    await page.waitForFunction(
      (expected) => document.querySelector('#query-summary')?.textContent?.includes(`“${expected}”`) && !document.body.classList.contains('busy'),
      query,
    );
  };
  const settled = () => page.waitForFunction(() => !document.body.classList.contains('busy'));

  it('a brand query shows that brand first, "N results" from total and counts beside every filter value', async () => {
    const pair = mostCommon((event) => `${event.brand}|${event.attributes!.category}`);
    const [brand, leaf] = pair.value.split('|');
    const query = `${brand} ${CATEGORY_INFO[leaf as Category].label.toLowerCase()}`;
    const expected = await searchOk(`/v1/search?q=${encodeURIComponent(query)}&limit=24`);
    await search(query);
    const ids = await shownProductIds();
    expect(ids).toEqual(expected.results.map((result) => result.productId));
    expect(product(ids[0]).brand).toBe(brand);
    expect(await page.locator('#query-summary').textContent()).toContain(`${expected.total} results for “${query}”`);
    for (const [group, facets] of [
      ['category', expected.facets.categories],
      ['brand', expected.facets.brands],
      ['price', expected.facets.priceBands],
      ['stock', expected.facets.stock],
    ] as const) {
      for (const facet of facets)
        expect({ group, value: facet.value, count: await facetCount(group, facet.value) }).toEqual({ group, value: facet.value, count: String(facet.count) });
    }
  });

  it('clicking a facet value filters the results to it, and clicking it again clears it', async () => {
    const before = await shownProductIds();
    const brand = (await page.locator('#facet-brand input').evaluateAll((inputs) => inputs.map((input) => (input as HTMLInputElement).value)))[1];
    const count = Number(await facetCount('brand', brand));
    await page.locator(`#facet-brand input[value="${brand}"]`).click();
    await page.waitForFunction((expected) => document.querySelector('#query-summary')?.textContent?.startsWith(`${expected} result`), count);
    await settled();
    const ids = await shownProductIds();
    expect(ids.length).toBe(Math.min(count, 24));
    expect(ids.every((id) => product(id).brand === brand)).toBe(true);
    expect(await page.locator(`#facet-brand input[value="${brand}"]`).isChecked()).toBe(true);
    await page.locator(`#facet-brand input[value="${brand}"]`).click();
    await settled();
    await page.waitForFunction((expected) => document.querySelectorAll('[data-testid=result]').length === expected, before.length);
    expect(await shownProductIds()).toEqual(before);
  });

  it('sorts the shown results by price', async () => {
    await page.selectOption('#sort', 'price_asc');
    await settled();
    const ascending = (await shownProductIds()).map((id) => product(id).price.amount);
    expect(ascending.length).toBeGreaterThan(1);
    expect(ascending).toEqual([...ascending].sort((a, b) => a - b));
    await page.selectOption('#sort', 'price_desc');
    await settled();
    const descending = (await shownProductIds()).map((id) => product(id).price.amount);
    expect(descending).toEqual([...descending].sort((a, b) => b - a));
    await page.selectOption('#sort', 'relevance');
    await settled();
  });

  it('fits a 390 px phone: the photo button is on screen, the filters wait behind a toggle, the first result shows on the first screen', async () => {
    const phone = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      await phone.goto(`${stack.baseUrl}/?q=${encodeURIComponent(catalogPairs()[0].colour + ' ' + catalogPairs()[0].category)}`);
      await phone.locator('[data-testid=result]').first().waitFor();
      const photo = (await phone.locator('#photo-button').boundingBox())!;
      expect({ left: photo.x >= 0, right: photo.x + photo.width <= 390 }).toEqual({ left: true, right: true });
      expect(await phone.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
      expect(await phone.locator('#filters').isVisible()).toBe(false);
      const first = (await phone.locator('[data-testid=result]').first().boundingBox())!;
      expect(first.y + first.height / 2).toBeLessThan(844);
      await phone.screenshot({ path: path.join(screenshots, 'web-page-390.png') });
      await phone.click('#filters-toggle');
      expect(await phone.locator('#filters').isVisible()).toBe(true);
      expect(await phone.getAttribute('#filters-toggle', 'aria-expanded')).toBe('true');
      await phone.screenshot({ path: path.join(screenshots, 'web-page-390-filters.png') });
    } finally {
      await phone.close();
    }
  });

  it('narrows the results with the filters', async () => {
    // A category of a shown result: the filtered list cannot be empty.
    const department = product((await shownProductIds())[0]).categories[0];
    await page.locator(`#facet-category input[value="${department}"]`).click();
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=result]').length > 0 && !document.body.classList.contains('busy'));
    await page.waitForFunction((value) => document.querySelector<HTMLInputElement>(`#facet-category input[value="${value}"]`)?.checked === true, department);
    const ids = await shownProductIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => product(id).categories.includes(department))).toBe(true);
    await page.fill('#maxPrice', '0.5');
    await page.dispatchEvent('#maxPrice', 'change');
    await page.locator('#empty').waitFor({ state: 'visible' });
    expect(await shownProductIds()).toEqual([]);
    // Nothing matched: the ticked category stays listed so the shopper can untick it.
    expect(await page.locator(`#facet-category input[value="${department}"]`).isChecked()).toBe(true);
    await page.click('button[type=reset]');
    await page.locator('[data-testid=result]').first().waitFor();
  });

  it('searches by an uploaded photo (file picker) and by a dropped photo', async () => {
    const render = await stack.heldOutRender(HELD_OUT_FOR_BROWSER);
    const expected = await searchOk('/v1/search/image?limit=24', {
      method: 'POST',
      body: imageForm(render.bytes, `photo.${render.format}`, MIME[render.format]),
    });
    const expectedIds = expected.results.map((result) => result.productId);
    expect(expectedIds.length).toBeGreaterThan(0);
    await page.setInputFiles('#photo', { name: `photo.${render.format}`, mimeType: MIME[render.format], buffer: render.bytes });
    await page.waitForFunction(() => document.querySelector('#query-summary')?.textContent?.includes('your photo'));
    expect(await shownProductIds()).toEqual(expectedIds);
    // The photographed product (never indexed with this render) is among the first three shown.
    expect(expectedIds.slice(0, 3)).toContain(`s${SEED}-${String(HELD_OUT_FOR_BROWSER).padStart(6, '0')}`);
    await page.screenshot({ path: path.join(screenshots, 'web-page-photo.png') });

    await page.evaluate(() => {
      document.querySelector('#results')!.replaceChildren();
      document.querySelector('#query-summary')!.replaceChildren();
    });
    const dataTransfer = await page.evaluateHandle(
      ({ base64, name, type }) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([Uint8Array.from(atob(base64), (char) => char.charCodeAt(0))], name, { type }));
        return transfer;
      },
      { base64: render.bytes.toString('base64'), name: `dropped.${render.format}`, type: MIME[render.format] },
    );
    await page.dispatchEvent('main', 'dragenter', { dataTransfer });
    expect(await page.locator('#drop-overlay').isVisible()).toBe(true);
    await page.dispatchEvent('main', 'drop', { dataTransfer });
    await page.waitForFunction(() => document.querySelector('#query-summary')?.textContent?.includes('your photo'));
    expect(await shownProductIds()).toEqual(expectedIds);
    expect(await page.locator('#drop-overlay').isVisible()).toBe(false);
  });

  it('shows "more like this" for a result', async () => {
    const first = page.locator('[data-testid=result]').first();
    const title = await first.locator('.title').textContent();
    const sourceId = await first.getAttribute('data-product-id');
    await first.locator('button.similar').click();
    await page.waitForFunction((expected) => document.querySelector('#query-summary')?.textContent?.includes(`more like “${expected}”`), title);
    const ids = await shownProductIds();
    expect(ids.length).toBeGreaterThan(0);
    expect(ids).not.toContain(sourceId);
  });

  it("shows the server's reason when a file is not an image", async () => {
    await page.setInputFiles('#photo', { name: 'photo.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('%PDF-1.4 not an image') });
    await page.locator('#error').waitFor({ state: 'visible' });
    expect(await page.locator('#error').textContent()).toContain('not a JPEG, PNG or WebP');
  });
});

const HELD_OUT_FOR_BROWSER = 19;

// Near the end: a reindex swaps the collection the other tests search.
describe('admin reindex (through ingestion)', () => {
  it('publishes the request to catalog.reindex.v1, answers 202, and reports progress until the alias swap', async () => {
    const before = await searchOk('/v1/search?q=red%20sneaker&limit=5');
    const response = await get('/v1/admin/reindex', {
      method: 'POST',
      headers: { 'x-api-key': E2E_ADMIN_KEY, 'content-type': 'application/json', 'x-request-id': 'e2e-reindex-1' },
      body: JSON.stringify({ reason: 'e2e: rebuild the index' }),
    });
    expect(response.status).toBe(202);
    const { jobId } = await response.json();

    const log = new FileEventLog({ dir: path.join(stack.dataDir, 'event-log') });
    const requests: unknown[] = [];
    await log.replayTopic(CATALOG_REINDEX_TOPIC, async (batch) => {
      for (const message of batch.messages) {
        const parsed = parseReindexRequest(message.value!.toString('utf8'));
        expect(parsed.ok).toBe(true);
        if (parsed.ok) requests.push({ ...parsed.value, key: message.key, requestId: message.headers['x-request-id'] });
      }
    });
    await log.close();
    expect(requests).toContainEqual(expect.objectContaining({ jobId, key: jobId, reason: 'e2e: rebuild the index', requestId: 'e2e-reindex-1' }));

    let job: { state?: string } = {};
    await waitFor(
      `reindex job ${jobId} to finish`,
      async () => {
        const progress = await get(`/v1/admin/reindex/${jobId}`, { headers: { 'x-api-key': E2E_ADMIN_KEY } });
        if (progress.status === 404) return false; // ingestion has not read the request yet
        job = await progress.json();
        expect(progress.status).toBe(200);
        return job.state === 'done' || job.state === 'failed';
      },
      120_000,
      250,
    );
    expect(job).toMatchObject({ jobId, state: 'done', total: PRODUCTS, done: PRODUCTS, collection: expect.stringMatching(/^products_v\d+$/) });
    expect((job as { previousCollection?: string; collection: string }).previousCollection).not.toBe((job as { collection: string }).collection);

    const after = await searchOk('/v1/search?q=red%20sneaker&limit=5');
    expect(after.results.map((result) => result.productId)).toEqual(before.results.map((result) => result.productId));
    await expectError(await get('/v1/admin/reindex/rx-unknown-job', { headers: { 'x-api-key': E2E_ADMIN_KEY } }), 404, 'job_not_found');
  });
});

// Last: stops the services behind the query API.
describe('when a dependency goes down', () => {
  it('answers 503 with Retry-After, and /readyz names what is missing', async () => {
    await stack.search.stop();
    const response = await get('/v1/search?q=red%20boot');
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectError(response, 503, 'dependency_unavailable');
    await expectError(await get(`/v1/products/s${SEED}-000001/similar`), 503, 'dependency_unavailable');
    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', dependencies: { embedder: 'up', search: 'down' }, missing: ['search'] });

    await stack.embedder.stop();
    const render = await stack.heldOutRender(2);
    const upload = await get('/v1/search/image', { method: 'POST', body: imageForm(render.bytes, `photo.${render.format}`, MIME[render.format]) });
    await expectError(upload, 503, 'dependency_unavailable');
    expect(await (await get('/readyz')).json()).toMatchObject({ missing: ['embedder', 'search'] });
    await stack.ingestion.stop();
    // The generations list comes from ingestion: 503 while it is down.
    const generations = await get('/v1/admin/generations', { headers: { 'x-api-key': E2E_ADMIN_KEY } });
    expect(Number(generations.headers.get('retry-after'))).toBeGreaterThan(0);
    await expectError(generations, 503, 'dependency_unavailable');
    // Job state comes from the durable job store on the event log, not from ingestion: still answered.
    await expectError(await get('/v1/admin/reindex/rx-anything', { headers: { 'x-api-key': E2E_ADMIN_KEY } }), 404, 'job_not_found');
    // Client mistakes are still 4xx, and liveness holds.
    await expectError(await get('/v1/search?q='), 400);
    expect((await get('/healthz')).status).toBe(200);
  });
});
