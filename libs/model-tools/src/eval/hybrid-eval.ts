/**
 * Hybrid-search quality of a model on the evaluation catalog: the catalog's products (catalog
 * data + gallery image vectors) go into a real embedded vector store in a temporary directory,
 * and every generated text query (see query-types.ts) is searched there in `vector`, `keyword`
 * and `hybrid` mode as the query API searches: the query embedded by the model, the model's
 * `textSearchScoreThreshold` as the vector cut-off. Reports recall@10, precision@10 and MRR per
 * query type and mode.
 */
import { buildProductEvent } from '@vsearch/catalog-generator';
import { productDataFromEvent, type FusionSettings, type SearchMode } from '@vsearch/contracts';
import { BUNDLED_MODEL_DIR, ModelRuntime } from '@vsearch/model';
import { DEFAULT_ALIAS, EmbeddedVectorStore, type ProductWithImageVectors, type SearchQuery } from '@vsearch/vector-store';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { planEvalCatalog } from './eval-catalog';
import { DEFAULT_EVAL_COUNT, DEFAULT_EVAL_SEED, embedImages, embedTexts, renderAndPreprocess, type EmbeddedEvalCatalog } from './evaluate-model';
import { HYBRID_QUERY_TYPES, generateHybridQueries, type HybridEvalQuery, type HybridQueryType } from './query-types';
import { cappedPrecisionAtK, mean, recallAtK, reciprocalRank } from './retrieval-metrics';

/** The modes compared, in report order. */
export const EVAL_SEARCH_MODES: readonly SearchMode[] = ['vector', 'keyword', 'hybrid'];
const K = 10;
/** Results read per query for MRR: the store's largest page. */
const MRR_DEPTH = 100;
const UPSERT_BATCH = 256;

export interface HybridModeScores {
  recallAt10: number;
  /** Capped at the number of relevant products (see cappedPrecisionAtK). */
  precisionAt10: number;
  mrr: number;
}

export interface HybridTypeReport {
  queries: number;
  /** Mean number of relevant products per query: recall@10 cannot exceed 10 / this. */
  meanRelevant: number;
  vector: HybridModeScores;
  keyword: HybridModeScores;
  hybrid: HybridModeScores;
}

/** What `vsearch eval --json` prints under `hybridSearch`. */
export interface HybridSearchReport {
  store: 'embedded';
  /** The vector cut-off applied in vector and hybrid mode (the model's textSearchScoreThreshold). */
  textScoreThreshold: number;
  /** Unset: the store's default fusion. */
  fusion?: FusionSettings;
  types: Record<HybridQueryType, HybridTypeReport>;
}

export interface HybridSearchDetails {
  products: number;
  queries: number;
  /** Reciprocal rank per mode of every query, for reading failures. */
  perQuery: { type: HybridQueryType; text: string; relevant: number; reciprocalRank: Record<SearchMode, number> }[];
  seconds: { catalog: number; index: number; search: number; total: number };
}

export interface EvaluateHybridSearchOptions {
  modelDir?: string;
  seed?: number;
  count?: number;
  /** Use this runtime instead of loading `modelDir` (it is not closed). */
  runtime?: ModelRuntime;
  /** The catalog already planned and embedded with this model (evaluateModel's `catalog`): nothing is rendered. */
  catalog?: EmbeddedEvalCatalog;
  /** Fusion settings sent with every hybrid query; unset: the store's default. */
  fusion?: FusionSettings;
  concurrency?: number;
  batchSize?: number;
  onProgress?: (message: string) => void;
}

function round(value: number): number {
  return Math.round(value * 10_000) / 10_000;
}

/** Renders and embeds the gallery image of every product (the image→image query render is not needed here). */
async function embedGallery(runtime: ModelRuntime, seed: number, count: number, concurrency: number, batchSize: number): Promise<EmbeddedEvalCatalog> {
  const plan = planEvalCatalog(seed, count);
  const pixels = await renderAndPreprocess(plan, runtime.info().imageSize, concurrency, [0]);
  return {
    plan,
    galleryVectors: await embedImages(
      runtime,
      pixels.map((p) => p[0]),
      batchSize,
    ),
  };
}

/** The store's write for each product: its catalog data as ingestion stores it, one image with its gallery vector. */
function productWrites(catalog: EmbeddedEvalCatalog, dimension: number): ProductWithImageVectors[] {
  return catalog.plan.products.map((product, index) => {
    const productId = evalProductId(index);
    const image = { id: 'img-1', url: `https://eval.invalid/${productId}/img-1.png` };
    return {
      product: productDataFromEvent(buildProductEvent(product.spec, productId, [image])),
      images: [{ imageId: image.id, imageUrl: image.url, vector: catalog.galleryVectors.subarray(index * dimension, (index + 1) * dimension) }],
    };
  });
}

function evalProductId(index: number): string {
  return `eval-${index}`;
}

/** The query as the query API would send it in each mode. */
function searchQuery(mode: SearchMode, text: string, vector: Float32Array, scoreThreshold: number, fusion: FusionSettings | undefined): SearchQuery {
  if (mode === 'keyword') return { mode, text, limit: MRR_DEPTH };
  if (mode === 'vector') return { mode, vector, scoreThreshold, limit: MRR_DEPTH };
  return { mode, text, vector, scoreThreshold, fusion, limit: MRR_DEPTH };
}

function scores(queries: readonly { relevant: ReadonlySet<number>; ranked: readonly number[] }[]): HybridModeScores {
  return {
    recallAt10: round(mean(queries.map((q) => recallAtK(q.ranked, q.relevant, K)))),
    precisionAt10: round(mean(queries.map((q) => cappedPrecisionAtK(q.ranked, q.relevant, K)))),
    mrr: round(mean(queries.map((q) => reciprocalRank(q.ranked, q.relevant)))),
  };
}

/** Runs the whole hybrid-search evaluation; `report` is the `--json` object's `hybridSearch`. */
export async function evaluateHybridSearch(options: EvaluateHybridSearchOptions = {}): Promise<{ report: HybridSearchReport; details: HybridSearchDetails }> {
  const started = performance.now();
  const batchSize = options.batchSize ?? 64;
  const progress = options.onProgress ?? (() => undefined);
  const runtime = options.runtime ?? (await ModelRuntime.load(options.modelDir ?? BUNDLED_MODEL_DIR, { executionProviders: ['cpu'] }));
  const dir = await mkdtemp(path.join(os.tmpdir(), 'vsearch-eval-hybrid-'));
  const store = new EmbeddedVectorStore({ dir, durable: false });
  try {
    const { dimension, modelId, textScoreThreshold } = runtime.info();
    if (!options.catalog) progress(`eval: rendering and embedding ${options.count ?? DEFAULT_EVAL_COUNT} gallery images for hybrid search`);
    const catalog =
      options.catalog ??
      (await embedGallery(runtime, options.seed ?? DEFAULT_EVAL_SEED, options.count ?? DEFAULT_EVAL_COUNT, options.concurrency ?? 8, batchSize));
    if (catalog.galleryVectors.length !== catalog.plan.products.length * dimension) {
      throw new RangeError(
        `the catalog's gallery vectors do not fit the model: ${catalog.galleryVectors.length} values for ${catalog.plan.products.length} products of dimension ${dimension}`,
      );
    }
    const catalogDone = performance.now();

    progress(`eval: indexing ${catalog.plan.products.length} products into an embedded store`);
    await store.open();
    const collection = await store.createGeneration(modelId, dimension);
    await store.swapAlias(DEFAULT_ALIAS, collection);
    const writes = productWrites(catalog, dimension);
    for (let start = 0; start < writes.length; start += UPSERT_BATCH) await store.upsertProducts(collection, writes.slice(start, start + UPSERT_BATCH));
    const indexDone = performance.now();

    const queries = generateHybridQueries(catalog.plan);
    progress(`eval: ${queries.length} text queries × ${EVAL_SEARCH_MODES.length} search modes`);
    const vectors = await embedTexts(
      runtime,
      queries.map((q) => q.text),
      batchSize,
    );
    const indexOf = new Map(writes.map((write, index) => [write.product.productId, index]));
    const ranked: Record<SearchMode, number[][]> = { vector: [], keyword: [], hybrid: [] };
    for (const [row, query] of queries.entries()) {
      const vector = vectors.subarray(row * dimension, (row + 1) * dimension);
      for (const mode of EVAL_SEARCH_MODES) {
        const page = await store.searchSimilar({ collection, ...searchQuery(mode, query.text, vector, textScoreThreshold, options.fusion) });
        ranked[mode].push(page.hits.map((hit) => indexOf.get(hit.product.productId) ?? -1));
      }
    }
    const searchDone = performance.now();

    const rowsOf = (type: HybridQueryType): number[] => queries.flatMap((q, row) => (q.type === type ? [row] : []));
    const typeReport = (type: HybridQueryType): HybridTypeReport => {
      const rows = rowsOf(type);
      const modeScores = (mode: SearchMode) => scores(rows.map((row) => ({ relevant: queries[row].relevant, ranked: ranked[mode][row] })));
      return {
        queries: rows.length,
        meanRelevant: round(mean(rows.map((row) => queries[row].relevant.size))),
        vector: modeScores('vector'),
        keyword: modeScores('keyword'),
        hybrid: modeScores('hybrid'),
      };
    };
    const report: HybridSearchReport = {
      store: 'embedded',
      textScoreThreshold,
      ...(options.fusion ? { fusion: options.fusion } : {}),
      types: Object.fromEntries(HYBRID_QUERY_TYPES.map((type) => [type, typeReport(type)])) as Record<HybridQueryType, HybridTypeReport>,
    };
    const finished = performance.now();
    return {
      report,
      details: {
        products: catalog.plan.products.length,
        queries: queries.length,
        perQuery: queries.map((query: HybridEvalQuery, row) => ({
          type: query.type,
          text: query.text,
          relevant: query.relevant.size,
          reciprocalRank: {
            vector: round(reciprocalRank(ranked.vector[row], query.relevant)),
            keyword: round(reciprocalRank(ranked.keyword[row], query.relevant)),
            hybrid: round(reciprocalRank(ranked.hybrid[row], query.relevant)),
          },
        })),
        seconds: {
          catalog: round((catalogDone - started) / 1000),
          index: round((indexDone - catalogDone) / 1000),
          search: round((searchDone - indexDone) / 1000),
          total: round((finished - started) / 1000),
        },
      },
    };
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
    if (!options.runtime) await runtime.close();
  }
}
