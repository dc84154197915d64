import { MAX_EVENT_BYTES, parseCatalogEvent, parseReindexRequest, validateCatalogEvent } from './index';

const validUpsert = {
  type: 'product.upserted',
  productId: 'sku-123',
  version: 7,
  title: 'Red leather ankle boots',
  description: 'Soft leather, block heel',
  brand: 'Northwind',
  categories: ['shoes', 'boots'],
  price: { amount: 129.9, currency: 'EUR' },
  inStock: true,
  images: [
    { id: 'front', url: 'https://img.example.com/sku-123/front.jpg' },
    { id: 'side', url: 'http://img.example.com/sku-123/side.jpg' },
  ],
  attributes: { colour: 'red', pattern: 'solid' },
  occurredAt: '2026-11-27T08:00:00Z',
};

const validDelete = { type: 'product.deleted', productId: 'sku-123', version: 8, occurredAt: '2026-11-27T08:00:00.000+01:00' };

function parse(value: unknown) {
  return parseCatalogEvent(JSON.stringify(value));
}

function expectFailure(value: unknown, code: string, pathOrText?: string) {
  const result = typeof value === 'string' || value instanceof Uint8Array ? parseCatalogEvent(value) : parse(value);
  if (result.ok) throw new Error(`expected ${code}, got a valid event`);
  expect(result.error.code).toBe(code);
  if (pathOrText) expect(result.error.message).toContain(pathOrText);
  return result.error;
}

describe(parseCatalogEvent.name, () => {
  it('parses a valid product.upserted event into a typed value', () => {
    const result = parse(validUpsert);
    expect(result).toEqual({ ok: true, value: validUpsert });
  });

  it('parses a valid product.deleted event, from bytes too', () => {
    const result = parseCatalogEvent(Buffer.from(JSON.stringify(validDelete)));
    expect(result.ok && result.value.type).toBe('product.deleted');
  });

  it('accepts an upsert without the optional description, brand and attributes', () => {
    const { description: _d, brand: _b, attributes: _a, ...minimal } = validUpsert;
    expect(parse(minimal).ok).toBe(true);
  });

  it('refuses invalid JSON with the parser message', () => {
    expectFailure('{"type": "product.upserted", ', 'invalid_json', 'not valid JSON');
  });

  it('refuses bytes that are not UTF-8', () => {
    expectFailure(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]), 'invalid_encoding');
  });

  it('refuses a JSON value that is not an object', () => {
    expectFailure('[1,2,3]', 'schema_violation', 'JSON object');
    expectFailure('null', 'schema_violation');
  });

  it('refuses an unknown or missing event type, naming the known ones', () => {
    const error = expectFailure({ ...validUpsert, type: 'product.renamed' }, 'unknown_type', 'product.renamed');
    expect(error.message).toContain('product.upserted');
    expectFailure({ ...validUpsert, type: undefined }, 'unknown_type');
  });

  it.each(['productId', 'version', 'title', 'categories', 'price', 'inStock', 'images', 'occurredAt'])(
    'refuses an upsert missing %s and names the field',
    (field) => {
      const event: Record<string, unknown> = { ...validUpsert };
      delete event[field];
      const error = expectFailure(event, 'schema_violation', field);
      expect(error.issues.map((issue) => issue.path)).toContain(field);
    },
  );

  it.each([
    ['productId', 42],
    ['title', ['a']],
    ['inStock', 'yes'],
    ['categories', 'shoes'],
    ['price', 10],
    ['images', { id: 'a' }],
  ])('refuses a mistyped %s', (field, value) => {
    expectFailure({ ...validUpsert, [field]: value }, 'schema_violation', field);
  });

  it('refuses a negative price', () => {
    const error = expectFailure({ ...validUpsert, price: { amount: -1, currency: 'EUR' } }, 'schema_violation', 'price.amount');
    expect(error.message).toContain('negative');
  });

  it('refuses a currency that is not an ISO code', () => {
    expectFailure({ ...validUpsert, price: { amount: 1, currency: 'euro' } }, 'schema_violation', 'price.currency');
  });

  it('refuses an upsert with no images', () => {
    expectFailure({ ...validUpsert, images: [] }, 'schema_violation', 'at least one image');
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/a.jpg', 'javascript:alert(1)', 'not a url', '//example.com/a.jpg'])('refuses the image URL %s', (url) => {
    expectFailure({ ...validUpsert, images: [{ id: 'a', url }] }, 'schema_violation', 'images.0.url');
  });

  it('refuses duplicate image ids', () => {
    const images = [validUpsert.images[0], { ...validUpsert.images[1], id: 'front' }];
    expectFailure({ ...validUpsert, images }, 'schema_violation', 'unique');
  });

  it('refuses a 1 MB title before parsing the JSON', () => {
    const error = expectFailure({ ...validUpsert, title: 'x'.repeat(1024 * 1024) }, 'too_large');
    expect(error.message).toContain(String(MAX_EVENT_BYTES));
  });

  it('refuses a title longer than the schema allows even when the event is small enough', () => {
    expectFailure({ ...validUpsert, title: 'x'.repeat(501) }, 'schema_violation', 'title');
  });

  it('refuses an empty or blank title', () => {
    expectFailure({ ...validUpsert, title: '   ' }, 'schema_violation', 'title');
  });

  it.each([1.5, -3, '7', Number.MAX_SAFE_INTEGER + 2])('refuses the version %p', (version) => {
    expectFailure({ ...validUpsert, version }, 'schema_violation', 'version');
  });

  it('refuses a malformed occurredAt', () => {
    expectFailure({ ...validDelete, occurredAt: 'yesterday' }, 'schema_violation', 'occurredAt');
  });

  it('refuses unknown fields, so typos are not silently dropped', () => {
    expectFailure({ ...validUpsert, instock: true }, 'schema_violation');
  });

  it('refuses a product id with characters outside the allowed set', () => {
    expectFailure({ ...validDelete, productId: 'a b/c' }, 'schema_violation', 'productId');
  });
});

describe(validateCatalogEvent.name, () => {
  it('validates an already-decoded value', () => {
    expect(validateCatalogEvent(validDelete)).toEqual({ ok: true, value: validDelete });
    expect(validateCatalogEvent({ ...validDelete, version: -1 }).ok).toBe(false);
  });
});

describe(parseReindexRequest.name, () => {
  const request = { type: 'reindex.requested', jobId: 'job_1', requestedAt: '2026-11-27T08:00:00Z' };

  it('parses a whole-catalog request and a filtered one', () => {
    expect(parseReindexRequest(JSON.stringify(request))).toEqual({ ok: true, value: request });
    const filtered = { ...request, filter: { categories: ['boots'] } };
    expect(parseReindexRequest(JSON.stringify(filtered))).toEqual({ ok: true, value: filtered });
  });

  it('refuses a bad job id and a catalog event on the reindex topic', () => {
    expect(parseReindexRequest(JSON.stringify({ ...request, jobId: '../x' })).ok).toBe(false);
    const wrongTopic = parseReindexRequest(JSON.stringify(validDelete));
    expect(!wrongTopic.ok && wrongTopic.error.code).toBe('unknown_type');
  });
});
