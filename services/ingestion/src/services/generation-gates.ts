/**
 * The gates a filled generation passes before the `products` alias may move to it (state
 * `gating` of a whole-catalog reindex):
 *
 * - product_count: at least GATE_MIN_PRODUCT_SHARE of the live generation's products;
 * - failed_images: at most GATE_MAX_FAILED_IMAGE_SHARE of the sampled products' images failed
 *   (fetch, decode or embed), as the new generation stores them;
 * - golden_recall: the merchandisers' golden queries (texts the way shoppers search, hybrid;
 *   photos by vector) answered with recall@10 at most GATE_RECALL_MARGIN below the live one's;
 * - catalog_recall: the same comparison for checks generated from the catalog itself: each
 *   sampled product's title as a vector-only query, expecting the product in the top 10 (a
 *   model that matches texts to photos worse shows here, keywords cannot hide it).
 *
 * Each generation is searched with vectors of its own model, named on every query. When the
 * embedder does not serve the live generation's model (a model rollout), the live figure is the
 * one recorded in the live generation's own gate report from when it was swapped in.
 */
import { type CollectionInfo, type GateReport, type GateResult, type GoldenQuery } from '@vsearch/contracts';
import type { Logger } from '@vsearch/observability';
import { ModelNotServedError, type GenerationSearcher, type GoldenQuerySource, type ProductIndexWriter, type QueryEmbedder } from '../ports';
import type { SampledProduct } from './catalog-sample';
import { Limiter } from './concurrency';
import { failedImagesGate, GATE_RECALL_K, meanRecall, notRunGate, productCountGate, recallAtK, recallGate } from './gate-math';

export interface GateSettings {
  /** The new generation holds at least this share of the live one's products. */
  minProductShare: number;
  /** At most this share of the sampled products' images failed. */
  maxFailedImageShare: number;
  /** Recall@10 may fall at most this much below the live generation's. */
  recallMargin: number;
  /** Products sampled from the catalog for the failed-image count and the catalog checks. */
  catalogSample: number;
}

export interface GateInputs {
  /** The generation serving now (behind the alias). */
  live: CollectionInfo;
  /** The generation a rebuild filled. */
  next: CollectionInfo;
  sample: readonly SampledProduct[];
  /** The live generation's own report from its swap: the fallback figures when its model is not served. */
  liveReport?: GateReport;
}

/** One query of a recall gate, whatever its origin. */
interface RecallQuery {
  label: string;
  text?: string;
  imageUrl?: string;
  expected: string[];
  /** Search with the text as well (hybrid, as shoppers do) or with the vector only. */
  hybrid: boolean;
}

/** Search and embedding calls a gate runs at once. */
const GATE_CONCURRENCY = 8;
const TEXT_BATCH = 32;
/** Worst misses named in a gate's detail. */
const NAMED_MISSES = 3;

export class GenerationGates {
  private readonly limiter = new Limiter(GATE_CONCURRENCY);

  constructor(
    private readonly index: ProductIndexWriter,
    private readonly searcher: GenerationSearcher,
    private readonly embedder: QueryEmbedder,
    private readonly golden: GoldenQuerySource,
    private readonly settings: GateSettings,
    private readonly logger: Logger,
  ) {}

  /** Every gate's figures; `passed` when all passed. Throws DependencyUnavailableError on an outage (the job waits and checks again). */
  async check(inputs: GateInputs): Promise<GateReport> {
    const gates: GateResult[] = [
      productCountGate(inputs.next.productCount, inputs.live.productCount, this.settings.minProductShare),
      await this.failedImages(inputs),
      await this.goldenRecall(inputs),
      await this.catalogRecall(inputs),
    ];
    return { passed: gates.every((gate) => gate.passed), gates, checkedAt: new Date().toISOString() };
  }

  private async failedImages({ live, next, sample }: GateInputs): Promise<GateResult> {
    if (sample.length === 0) return notRunGate('failed_images', 'the catalog sample is empty');
    const counts = { next: { failed: 0, total: 0 }, live: { failed: 0, total: 0 } };
    let liveReadable = !live.damage;
    await Promise.all(
      sample.map((product) =>
        this.limiter.run(async () => {
          const stored = await this.index.getProduct(next.name, product.productId);
          if (stored) {
            counts.next.failed += stored.failedImages.length;
            counts.next.total += stored.images.length + stored.failedImages.length;
          }
          if (!liveReadable) return;
          const liveStored = await this.index.getProduct(live.name, product.productId).catch((error: unknown) => {
            // A damaged or unreadable live generation has no figure to show; the gate does not need one.
            liveReadable = false;
            this.logger.debug({ err: error, collection: live.name }, 'gates: live generation not readable for the failed-image figure');
            return null;
          });
          if (liveStored) {
            counts.live.failed += liveStored.failedImages.length;
            counts.live.total += liveStored.images.length + liveStored.failedImages.length;
          }
        }),
      ),
    );
    return failedImagesGate(
      counts.next.failed,
      counts.next.total,
      this.settings.maxFailedImageShare,
      liveReadable ? counts.live : undefined,
      ` over ${sample.length} sampled products`,
    );
  }

  private async goldenRecall(inputs: GateInputs): Promise<GateResult> {
    const set = await this.golden.current();
    if (!set || set.queries.length === 0) return notRunGate('golden_recall', 'no golden query set is stored (vsearch golden set <file.jsonl>)');
    const queries = set.queries.map(goldenRecallQuery);
    return this.compareRecall('golden_recall', queries, inputs, `${queries.length} golden queries (set of ${set.updatedAt})`);
  }

  private async catalogRecall(inputs: GateInputs): Promise<GateResult> {
    const queries: RecallQuery[] = inputs.sample
      .filter((product) => product.title)
      .map((product) => ({ label: product.title, text: product.title, expected: [product.productId], hybrid: false }));
    if (queries.length === 0) return notRunGate('catalog_recall', 'the catalog sample is empty');
    return this.compareRecall('catalog_recall', queries, inputs, `${queries.length} sampled products' titles as vector queries`);
  }

  private async compareRecall(gate: 'golden_recall' | 'catalog_recall', queries: RecallQuery[], inputs: GateInputs, what: string): Promise<GateResult> {
    const next = await this.recalls(queries, inputs.next);
    if (!next) throw new ModelNotServedError(inputs.next.modelId);
    const live = inputs.live.damage ? undefined : await this.recalls(queries, inputs.live);
    if (live) {
      // Only queries both generations could run are compared (a photo that cannot be fetched counts for neither).
      const pairs = queries.flatMap((query, i) => {
        const [nextRecall, liveRecall] = [next[i], live[i]];
        return nextRecall !== undefined && liveRecall !== undefined ? [{ label: query.label, next: nextRecall, live: liveRecall }] : [];
      });
      const skipped = queries.length - pairs.length;
      const misses = pairs
        .filter((pair) => pair.next < pair.live)
        .sort((a, b) => a.next - a.live - (b.next - b.live))
        .slice(0, NAMED_MISSES)
        .map((pair) => `"${pair.label.slice(0, 60)}" ${pair.live.toFixed(2)}→${pair.next.toFixed(2)}`);
      const detail = `${what}${skipped > 0 ? ` (${skipped} left out: image not fetchable)` : ''}${misses.length > 0 ? `; worst: ${misses.join(', ')}` : ''}`;
      return recallGate(gate, meanRecall(pairs.map((pair) => pair.next)), meanRecall(pairs.map((pair) => pair.live)), this.settings.recallMargin, detail);
    }
    const recorded = inputs.liveReport?.gates.find((result) => result.gate === gate && !result.detail?.startsWith('not run'));
    let liveSource = inputs.live.damage
      ? `; live ${inputs.live.name} is damaged, so its figure is the one recorded at its swap`
      : `; the embedder does not serve live ${inputs.live.name}'s model ${inputs.live.modelId}, so its figure is the one recorded at its swap`;
    if (recorded) liveSource += ` (${inputs.liveReport!.checkedAt})`;
    const ran = next.filter((recall): recall is number => recall !== undefined);
    return recallGate(gate, meanRecall(ran), recorded?.measured, this.settings.recallMargin, `${what}${liveSource}`);
  }

  /** Recall@10 of each query in one generation (undefined: its photo could not be used); undefined when the embedder does not serve the generation's model. */
  private async recalls(queries: RecallQuery[], generation: CollectionInfo): Promise<(number | undefined)[] | undefined> {
    let vectors: (Float32Array | undefined)[];
    try {
      vectors = await this.vectorsOf(queries, generation.modelId);
    } catch (error) {
      if (error instanceof ModelNotServedError) return undefined;
      throw error;
    }
    return Promise.all(
      queries.map((query, i) =>
        this.limiter.run(async () => {
          const vector = vectors[i];
          if (!vector) return undefined;
          const hits = await this.searcher.topProductIds(
            generation.name,
            generation.modelId,
            { vector, ...(query.hybrid && query.text ? { text: query.text } : {}) },
            GATE_RECALL_K,
          );
          return recallAtK(hits, query.expected);
        }),
      ),
    );
  }

  private async vectorsOf(queries: RecallQuery[], modelId: string): Promise<(Float32Array | undefined)[]> {
    const vectors: (Float32Array | undefined)[] = new Array(queries.length).fill(undefined);
    const texts = queries.map((query, i) => ({ query, i })).filter(({ query }) => query.text !== undefined);
    for (let start = 0; start < texts.length; start += TEXT_BATCH) {
      const batch = texts.slice(start, start + TEXT_BATCH);
      const embedded = await this.embedder.embedTexts(
        batch.map(({ query }) => query.text!),
        modelId,
      );
      batch.forEach(({ i }, j) => (vectors[i] = embedded[j]));
    }
    const photos = queries.flatMap((query, i) => (query.imageUrl ? [{ url: query.imageUrl, i }] : []));
    await Promise.all(photos.map(({ url, i }) => this.limiter.run(async () => void (vectors[i] = await this.embedder.embedImageUrl(url, modelId)))));
    return vectors;
  }
}

function goldenRecallQuery(query: GoldenQuery): RecallQuery {
  return 'query' in query
    ? { label: query.query, text: query.query, expected: query.expectedProductIds, hybrid: true }
    : { label: query.imageUrl, imageUrl: query.imageUrl, expected: query.expectedProductIds, hybrid: false };
}
