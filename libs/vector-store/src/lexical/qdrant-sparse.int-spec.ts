/**
 * The sparse-vector request bodies checked against Qdrant 1.19's own OpenAPI schemas.
 * real: the body builders of qdrant-sparse.ts, Qdrant's OpenAPI spec (read from
 * ../shared/reference/qdrant beside the repository, never copied into it), ajv.
 * fake: none; no Qdrant server runs (what the server does with the bodies is not checked here).
 */
import type { LexicalProductText } from './lexical-fields';
import { loadQdrantSchemas, type SchemaCheck } from './qdrant-openapi.test-support';
import {
  hybridQueryGroupsRequest,
  productTextVector,
  textSparseVectorsConfig,
  textVectorNameConfig,
  textVectorUpdate,
  type HybridQuery,
} from './qdrant-sparse';

const product: LexicalProductText = {
  title: 'Sierra T-Shirt',
  brand: 'Northwind',
  description: 'Soft cotton tee, crème colour.',
  categories: ['apparel', 'tops'],
  attributes: { colour: 'cream', pattern: 'solid' },
};

const hybrid: HybridQuery = {
  vector: new Float32Array([0.6, 0.8]),
  text: 'Sierra t-shirt',
  using: 'image',
  filter: {
    must: [
      { key: 'kind', match: { value: 'image' } },
      { key: 'brand', match: { any: ['Northwind'] } },
      { key: 'price', range: { gte: 10, lte: null } },
    ],
    must_not: [{ key: 'productId', match: { value: 'p9' } }],
  },
  limit: 10,
  prefetchLimit: 100,
  groupBy: 'productId',
};

let schemas: ReturnType<typeof loadQdrantSchemas>;
beforeAll(() => {
  schemas = loadQdrantSchemas();
});

function expectValid(check: SchemaCheck, body: unknown): void {
  expect({ body, ...check(body) }).toEqual({ body, valid: true, errors: '' });
}

describe('Qdrant sparse-vector request bodies', () => {
  it('creates a collection with the image vector and the text sparse vector with idf (CreateCollection)', () => {
    expectValid(schemas.check('CreateCollection'), { vectors: { image: { size: 2, distance: 'Cosine' } }, sparse_vectors: textSparseVectorsConfig() });
  });

  it('adds the text vector to an existing collection (VectorNameConfig)', () => {
    expectValid(schemas.check('VectorNameConfig'), textVectorNameConfig());
  });

  it('writes an image point with both vectors (PointInsertOperations)', () => {
    expectValid(schemas.check('PointInsertOperations'), {
      points: [
        {
          id: '0f8fad5b-d9cb-469f-a165-70867728950e',
          vector: { image: [0.6, 0.8], text: productTextVector(product) },
          payload: { kind: 'image', productId: 'p1' },
        },
      ],
    });
  });

  it("rewrites the text vector of a product's image points (UpdateVectors)", () => {
    expectValid(schemas.check('UpdateVectors'), textVectorUpdate(['0f8fad5b-d9cb-469f-a165-70867728950e'], product));
  });

  it('queries image and text prefetches fused by RRF, with and without weights and params (QueryGroupsRequest)', () => {
    const check = schemas.check('QueryGroupsRequest');
    expectValid(check, hybridQueryGroupsRequest(hybrid));
    expectValid(check, hybridQueryGroupsRequest({ ...hybrid, weights: { vector: 1, lexical: 2 }, params: { hnsw_ef: 64, quantization: { rescore: true } } }));
    expectValid(check, hybridQueryGroupsRequest({ ...hybrid, text: 'the 🎉' }));
    expectValid(check, hybridQueryGroupsRequest({ ...hybrid, scoreThreshold: 0.21 }));
  });

  it('uses prefetches and fusion that the ungrouped Query API takes too (QueryRequest)', () => {
    const { prefetch, query } = hybridQueryGroupsRequest({ ...hybrid, weights: { vector: 2, lexical: 1 } });
    expectValid(schemas.check('QueryRequest'), { prefetch, query, limit: 10, with_payload: true });
  });

  it('refuses bodies Qdrant would refuse (the check can fail)', () => {
    const query = schemas.check('QueryGroupsRequest');
    const body = hybridQueryGroupsRequest(hybrid);
    expect(query({ ...body, query: { rrf: { k: 0 } } }).valid).toBe(false); // k is at least 1
    expect(query({ ...body, query: { fusion: 'rrf', k: 60 } }).valid).toBe(false); // FusionQuery takes no parameters
    expect(query({ ...body, group_by: undefined }).valid).toBe(false);
    expect(query({ ...body, prefetch: [{ query: { indices: [1, 2], values: [1, 1] }, using: 'text', limitt: 5 }] }).valid).toBe(false); // misspelled key
    const sparse = schemas.check('SparseVector');
    expect(sparse({ indices: [-1], values: [1] }).valid).toBe(false);
    expect(sparse({ indices: ['a'], values: [1] }).valid).toBe(false);
    const config = schemas.check('CreateCollection');
    expect(config({ sparse_vectors: { text: { modifier: 'Idf' } } }).valid).toBe(false); // the enum is lower-case
    expect(config({ sparse_vectors: { text: { modifer: 'idf' } } }).valid).toBe(false);
  });
});
