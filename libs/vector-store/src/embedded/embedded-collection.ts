/**
 * One collection of the embedded store, in memory: unit vectors in one
 * growable Float32Array (a slot per image), product data and filter columns
 * by product ordinal, inverted lists for categories and brands, tombstones for
 * deleted products, an IVF index once the collection is large, and the
 * keyword (MiniSearch) index of the products' words. Everything
 * here is synchronous, so a search sees one consistent state (no write can
 * interleave with it) and alias swaps never race a running search.
 */
import { availableParallelism } from 'node:os';
import { PRICE_BANDS, priceBandIndexOf, type ProductTag } from '@vsearch/contracts';
import { lexicalTextOf } from '../lexical/lexical-fields';
import { canonicalImageRef } from '../product-data';
import { MiniSearchLexicalIndex } from '../lexical/minisearch.lexical-index';
import {
  SEARCH_LIMITS,
  type FacetCount,
  type FailedImage,
  type ProductData,
  type ImageRef,
  type ScannedProduct,
  type SearchFacets,
  type SearchFilter,
  type StoredProduct,
} from '../types';
import type { StoredVersion } from '../versioning';
import { Int8Codes, int8KernelModule } from './int8-kernel';
import { IvfIndex } from './ivf-index';
import { ParallelScan } from './parallel-scan';
import { tagFacetsFromCounts } from '../tag-facets';
import { TopK, dotAt } from './top-k';

export interface EmbeddedIndexOptions {
  /**
   * Below this many points every search scans all of them (no IVF). Default:
   * 512 MiB of int8 codes (about 4M points at 128 dimensions, 1M at 512),
   * 20,000 without SIMD. Measured here (docs/benchmarks.md): the scan of 1M
   * x 128 takes ~7 ms at recall@10 1.0, while IVF needed 40% of its lists for
   * recall 0.9 on isotropic vectors and was slower than the scan at that
   * depth (its lists are gathered slot by slot), so the index only pays once
   * a full scan cannot stay interactive.
   */
  exactSearchBelow?: number;
  /** Lists probed per query; more means better recall and slower queries. Default: derived from the list count. */
  nprobe?: number;
  /** Number of IVF lists; default round(sqrt(points)). */
  lists?: number;
  /** Filtered searches whose candidate products hold at most this many points scan them exactly. */
  filteredExactBelow: number;
  /**
   * Scan int8 codes with the WebAssembly SIMD kernel, then re-score the best
   * `rerank` x k candidates with the float32 vectors (default true where
   * WebAssembly SIMD exists; false scans float32 in JavaScript).
   */
  quantized?: boolean;
  /**
   * Candidates re-scored per result point when quantized (default 4, at least 40 candidates), for
   * the first RERANK_MARGIN_FROM points; a deeper ranking re-scores one candidate per point past those.
   */
  rerank?: number;
  /**
   * Threads for full scans of large collections (64k points and more): 2 adds
   * a worker thread that shares the chunks (see ParallelScan). Default 1: on
   * a busy machine a descheduled worker makes the main thread wait, which
   * costs more than the second core gives (measured in docs/benchmarks.md).
   */
  scanThreads?: 1 | 2;
  /** Full scans of fewer slots stay on one thread (handing chunks over costs more than it saves); default 65,536. */
  parallelScanFrom?: number;
}

export const DEFAULT_INDEX_OPTIONS: EmbeddedIndexOptions = Object.freeze({
  filteredExactBelow: 50_000,
});

const EXACT_SCAN_BYTES = 512 * 1024 * 1024;
const PARALLEL_SCAN_FROM = 4 * Int8Codes.CHUNK;

export interface CollectionMeta {
  name: string;
  modelId: string;
  dimension: number;
  createdAt: string;
}

interface ImageSlot extends ImageRef {
  slot: number;
}

interface ProductEntry {
  ordinal: number;
  productId: string;
  version: number;
  /** Null for a tombstone: the product was deleted at `version`. */
  data: ProductData | null;
  images: ImageSlot[];
  /** Images the last upsert could not index; empty for a tombstone. */
  failedImages: FailedImage[];
  categoryCodes: Int32Array;
  /** Zero-shot tags; empty for a tombstone. */
  tags: ProductTag[];
  /** Taxonomy version of the last tagging (0: never tagged): an older one is not applied over it. */
  tagsVersion: number;
}

/** A stored product as the snapshot writes it. */
export interface ProductSnapshot {
  productId: string;
  version: number;
  data: ProductData | null;
  images: ImageRef[];
  /** Written only when there are some; absent in snapshots taken before failed images were recorded. */
  failedImages?: FailedImage[];
  /** Written only once the product was tagged; absent in snapshots taken before tagging existed. */
  tags?: ProductTag[];
  tagsVersion?: number;
}

interface CompiledFilter {
  matches(ordinal: number): boolean;
  /** No condition and no product left out: `matches` accepts every live product. */
  matchesEveryLiveProduct: boolean;
  /** Candidate products when a category or brand narrows the search; undefined means every product. */
  candidates?: Iterable<number>;
  /** Upper bound of matching products, when known from the inverted lists. */
  estimate: number;
}

export interface PointHit {
  ordinal: number;
  slot: number;
  score: number;
}

/** A product in one ranking, best first. */
export interface RankedProduct {
  ordinal: number;
  score: number;
  /** The best-matching image's slot (vector ranking only). */
  slot?: number;
}

/** One ranking cut at a depth: `more` when products past the depth also matched. */
export interface Ranking {
  ranked: RankedProduct[];
  more: boolean;
}

/** How many live products pass a filter, and their facets. */
export interface FilterSummary {
  count: number;
  facets: SearchFacets;
}

export class EmbeddedCollection {
  private vectors: Float32Array;
  private slotOwner: Int32Array;
  private slotHighWater = 0;
  private readonly freeSlots: number[] = [];
  private livePoints = 0;
  /** Bumped by every change to product data, so cached filter summaries know when they are stale. */
  private dataVersion = 0;
  private readonly summaryCache = new Map<string, { dataVersion: number; summary: FilterSummary }>();
  /** Keyword index of the live products' words, kept in step with every write. */
  private lexical = new MiniSearchLexicalIndex();
  /** Largest int8 code scale of any stored vector: bounds the quantisation error of a scan (see vectorFloor). */
  private maxCodeScale = 0;

  private readonly entries: ProductEntry[] = [];
  private readonly byId = new Map<string, ProductEntry>();
  private price = new Float64Array(1024);
  private inStock = new Uint8Array(1024);
  private brand = new Int32Array(1024);
  private live = new Uint8Array(1024);
  /**
   * A live product's first two category codes (-1: none) at 2 x ordinal and 2 x ordinal + 1, and
   * whether it has more (then its entry's categoryCodes holds them all): facet counting reads
   * these for up to MATCH_COUNT_CAP products per query, where a read of each entry cost a cache miss.
   */
  private categoryPair = new Int32Array(2048).fill(-1);
  private moreCategories = new Uint8Array(1024);
  private liveProducts = 0;
  /** Upper bound of images per product ever stored, for exact grouping (see `topPoints`). */
  private maxImagesPerProduct = 1;

  /** Ordinals per tag key (`attribute=label`), for tag filters. */
  /** Ordinals of live products per tag, by attribute then label (two lookups: no key string is built per product and tag). */
  private readonly tagMembers = new Map<string, Map<string, Set<number>>>();
  private readonly brandCodes = new Map<string, number>();
  private readonly categoryCodes = new Map<string, number>();
  private readonly brandNames: string[] = [];
  private readonly categoryNames: string[] = [];
  private readonly brandMembers: Array<Set<number>> = [];
  private readonly categoryMembers: Array<Set<number>> = [];

  private index: IvfIndex | undefined;
  private readonly codes: Int8Codes | undefined;
  private readonly parallel: ParallelScan | undefined;
  private exactSearchBelow: number;

  constructor(
    readonly meta: CollectionMeta,
    private indexOptions: EmbeddedIndexOptions = DEFAULT_INDEX_OPTIONS,
  ) {
    this.vectors = new Float32Array(1024 * meta.dimension);
    this.slotOwner = new Int32Array(1024).fill(-1);
    const threads = indexOptions.scanThreads === 2 && availableParallelism() > 1 ? 2 : 1;
    const sharedKernel = indexOptions.quantized === false || threads === 1 ? null : int8KernelModule(true);
    const kernel = indexOptions.quantized === false ? null : (sharedKernel ?? int8KernelModule());
    this.codes = kernel ? new Int8Codes(kernel, meta.dimension, kernel === sharedKernel) : undefined;
    this.parallel = this.codes?.shared ? new ParallelScan(this.codes) : undefined;
    this.exactSearchBelow = indexOptions.exactSearchBelow ?? (this.codes ? Math.floor(EXACT_SCAN_BYTES / this.codes.record) : 20_000);
  }

  get dimension(): number {
    return this.meta.dimension;
  }

  get pointCount(): number {
    return this.livePoints;
  }

  get productCount(): number {
    return this.liveProducts;
  }

  get indexed(): boolean {
    return this.index !== undefined;
  }

  versionOf(productId: string): StoredVersion | undefined {
    const entry = this.byId.get(productId);
    return entry ? { version: entry.version, deleted: entry.data === null } : undefined;
  }

  product(productId: string): StoredProduct | undefined {
    const entry = this.byId.get(productId);
    if (!entry?.data) return undefined;
    return {
      product: entry.data,
      images: entry.images.map(canonicalImageRef),
      failedImages: entry.failedImages.map((failed) => ({ ...failed })),
      ...(entry.tags.length > 0 ? { tags: entry.tags.map((tag) => ({ ...tag })) } : {}),
    };
  }

  /** A live product's tags by ordinal (empty when it has none). */
  tagsAt(ordinal: number): ProductTag[] {
    return this.entries[ordinal].tags;
  }

  /**
   * Live products in ordinal order from `start`, for re-tagging and exports: at most `limit`, with
   * their unit image vectors when asked (views into the store: copy before keeping them).
   */
  productsFrom(start: number, limit: number, withVectors: boolean): { products: ScannedProduct[]; next?: number } {
    const products: ScannedProduct[] = [];
    let ordinal = Math.max(0, start);
    for (; ordinal < this.entries.length && products.length < limit; ordinal++) {
      const entry = this.entries[ordinal];
      if (!entry.data) continue;
      products.push({
        productId: entry.productId,
        title: entry.data.title,
        imageUrl: entry.images[0]?.imageUrl ?? '',
        tags: entry.tags,
        tagsVersion: entry.tagsVersion,
        vectors: withVectors ? entry.images.map(({ slot }) => this.vectors.subarray(slot * this.dimension, (slot + 1) * this.dimension)) : [],
      });
    }
    return { products, ...(ordinal < this.entries.length ? { next: ordinal } : {}) };
  }

  /** The taxonomy version a product was last tagged with (0: never), or undefined when it is not live. */
  tagsVersionOf(productId: string): number | undefined {
    const entry = this.byId.get(productId);
    return entry?.data ? entry.tagsVersion : undefined;
  }

  /** Replaces a live product's tags, keeping its data and vectors; a tombstone or unknown product is left alone. */
  applyTags(productId: string, tags: ProductTag[], taxonomyVersion: number): void {
    const entry = this.byId.get(productId);
    if (!entry?.data) return;
    this.dataVersion++;
    entry.tagsVersion = taxonomyVersion;
    // a re-tag mostly moves confidences: labels, their keyword index entry and filter members change only sometimes
    if (sameLabels(tags, entry.tags)) {
      entry.tags = tags;
      return;
    }
    this.lexical.replaceTags(productId, labelsOf(tags), labelsOf(entry.tags));
    // filter members of the labels the product keeps stay as they are
    this.removeTagMembers(entry.ordinal, entry.tags, tags);
    this.addTagMembers(entry.ordinal, tags, entry.tags);
    entry.tags = tags;
  }

  /** Unit vectors of a stored product's images. */
  productVectors(productId: string): Float32Array[] {
    const entry = this.byId.get(productId);
    if (!entry?.data) return [];
    return entry.images.map(({ slot }) => this.vectors.slice(slot * this.dimension, (slot + 1) * this.dimension));
  }

  /** Stores a product with its (unit) image vectors and failed images, replacing any stored images and failures. */
  applyUpsert(
    product: ProductData,
    images: ImageRef[],
    vectors: Float32Array[],
    failedImages: FailedImage[] = [],
    tags: ProductTag[] = [],
    tagsVersion = 0,
  ): void {
    const entry = this.entryFor(product.productId);
    // before the old images go: the keyword index un-counts the words of the text it indexed
    this.setData(entry, product, tags, images);
    this.releaseImages(entry);
    entry.tagsVersion = tagsVersion;
    entry.failedImages = failedImages;
    entry.images = images.map((image, i) => {
      this.maxCodeScale = Math.max(this.maxCodeScale, maxAbs(vectors[i]) / 127);
      const slot = this.allocateSlot();
      this.vectors.set(vectors[i], slot * this.dimension);
      this.codes?.encode(slot, this.vectors, slot * this.dimension);
      this.slotOwner[slot] = entry.ordinal;
      this.index?.add(this.vectors, slot);
      return { ...canonicalImageRef(image), slot };
    });
    this.livePoints += images.length;
    this.maxImagesPerProduct = Math.max(this.maxImagesPerProduct, images.length);
  }

  /** Rewrites a live product's data, keeping its images. */
  applyAttributeUpdate(product: ProductData): void {
    const entry = this.byId.get(product.productId);
    if (!entry?.data) return;
    this.setData(entry, product, entry.tags, entry.images);
  }

  /** Removes a product's images and data, keeping a tombstone with the delete's version. */
  applyDelete(productId: string, version: number): void {
    const entry = this.entryFor(productId);
    if (entry.data) this.lexical.remove(productId, lexicalTextOf(entry.data, entry.tags, entry.images));
    this.releaseImages(entry);
    this.clearData(entry);
    entry.failedImages = [];
    entry.tagsVersion = 0;
    entry.version = version;
  }

  /** Trains the IVF index when the collection is large and has outgrown the last training. */
  maintainIndex(): void {
    if (this.livePoints < this.exactSearchBelow) {
      this.index = undefined;
      return;
    }
    if (this.index && this.livePoints <= this.index.trainedOn * 2) return;
    this.rebuildIndex();
  }

  /** Stops the scan worker, if any; the collection must not be searched afterwards. */
  dispose(): void {
    this.parallel?.stop();
  }

  /**
   * Changes index settings at run time (benchmarks, operators): the scan
   * threshold, nprobe, list count, rerank depth; scanThreads switches between
   * 1 and 2 only for a collection created with 2 (its codes are shared).
   */
  tune(options: Partial<Omit<EmbeddedIndexOptions, 'quantized'>>): void {
    const relist = options.lists !== undefined && options.lists !== this.indexOptions.lists;
    this.indexOptions = { ...this.indexOptions, ...options };
    if (options.exactSearchBelow !== undefined) this.exactSearchBelow = options.exactSearchBelow;
    if (relist && this.livePoints >= this.exactSearchBelow) this.rebuildIndex();
    else this.maintainIndex();
  }

  /** Lists of the IVF index, 0 while searches scan everything. */
  get indexLists(): number {
    return this.index && this.livePoints >= this.exactSearchBelow ? this.index.listCount : 0;
  }

  rebuildIndex(): void {
    const slots = this.liveSlots();
    const index = IvfIndex.train(this.vectors, slots, this.dimension, { lists: this.indexOptions.lists });
    for (const slot of slots) index.add(this.vectors, slot);
    this.index = index;
  }

  /**
   * The best points for a unit query, enough to fill `productsNeeded` distinct
   * products: a product holds at most `maxImagesPerProduct` points, so the
   * best point of each of the top N products ranks within the top
   * N x maxImagesPerProduct points (every point above it belongs to one of the
   * N-1 better products). Grouping is therefore exact for exact scans.
   */
  topPoints(
    query: Float32Array,
    filter: SearchFilter | undefined,
    productsNeeded: number,
    scoreThreshold: number | undefined,
    excludeOrdinal = -1,
  ): PointHit[] {
    const k = Math.min(productsNeeded * this.maxImagesPerProduct, this.livePoints);
    if (k === 0) return [];
    const heap = new TopK(k);
    const compiled = this.compileFilter(filter, excludeOrdinal);
    const threshold = scoreThreshold ?? -Infinity;
    const dimension = this.dimension;
    const vectors = this.vectors;
    const owner = this.slotOwner;

    const scanSlot = (slot: number) => {
      const ordinal = owner[slot];
      if (ordinal < 0 || !compiled.matches(ordinal)) return;
      const score = dotAt(vectors, slot * dimension, query, dimension);
      if (score >= threshold && score > heap.floor) heap.push(score, slot);
    };

    const candidatePoints = compiled.candidates ? compiled.estimate * this.maxImagesPerProduct : Infinity;
    if (this.codes) return this.topPointsQuantized(this.codes, query, compiled, productsNeeded, k, threshold, candidatePoints);
    if (!this.index || this.livePoints < this.exactSearchBelow) {
      for (let slot = 0; slot < this.slotHighWater; slot++) scanSlot(slot);
    } else if (compiled.candidates && candidatePoints <= this.indexOptions.filteredExactBelow) {
      // Selective filter: scanning its few candidates exactly beats probing lists that hold few matches.
      for (const ordinal of compiled.candidates) {
        if (!compiled.matches(ordinal)) continue;
        for (const image of this.entries[ordinal].images) {
          const score = dotAt(vectors, image.slot * dimension, query, dimension);
          if (score >= threshold && score > heap.floor) heap.push(score, image.slot);
        }
      }
    } else {
      const index = this.index;
      const order = index.probeOrder(query);
      const nprobe = this.nprobe(index);
      // Probe the nearest lists; keep going while a filter left the page short.
      for (let i = 0; i < order.length && (i < nprobe || heap.size < k); i++) {
        const members = index.list(order[i]);
        for (let m = 0; m < members.length; m++) scanSlot(members[m]);
      }
    }
    return heap.sorted().map(({ id, score }) => ({ slot: id, score, ordinal: owner[id] }));
  }

  /**
   * topPoints over int8 codes: the SIMD kernel scores chunks of slots, the
   * best `rerank` x k matching candidates (see rerankPoolSize) are kept on
   * their approximate scores, then re-scored exactly with the float32 vectors.
   */
  private topPointsQuantized(
    codes: Int8Codes,
    query: Float32Array,
    compiled: CompiledFilter,
    productsNeeded: number,
    k: number,
    threshold: number,
    candidatePoints: number,
  ): PointHit[] {
    const pool = new TopK(rerankPoolSize(k, this.indexOptions.rerank ?? 4));
    const queryScale = codes.setQuery(query);
    // With a threshold, slots whose approximate score cannot reach it are never considered.
    const thresholdFloor = threshold === -Infinity ? -Infinity : threshold - this.quantisationError(query, queryScale);
    const floor = () => (pool.floor > thresholdFloor ? pool.floor : thresholdFloor);
    const owner = this.slotOwner;
    let matched = 0;
    // The kernel returns only slots scoring above the floor; JavaScript filters and keeps them.
    const consider = ({ slots, scores }: { slots: Int32Array; scores: Float32Array }) => {
      for (let i = 0; i < slots.length; i++) {
        const score = scores[i];
        if (score <= pool.floor || score < thresholdFloor) continue;
        const slot = slots[i];
        const ordinal = owner[slot];
        if (ordinal < 0 || !compiled.matches(ordinal)) continue;
        matched++;
        pool.push(score, slot);
      }
    };
    const buffer = new Int32Array(Int8Codes.CHUNK);
    let buffered = 0;
    const flush = () => {
      if (buffered === 0) return;
      consider(codes.selectSlots(buffer.subarray(0, buffered), floor()));
      buffered = 0;
    };
    const add = (slot: number) => {
      buffer[buffered++] = slot;
      if (buffered === buffer.length) flush();
    };

    if (!this.index || this.livePoints < this.exactSearchBelow) {
      if (this.indexOptions.scanThreads === 2 && this.parallel?.usable && this.slotHighWater >= (this.indexOptions.parallelScanFrom ?? PARALLEL_SCAN_FROM)) {
        this.parallel.scan(this.slotHighWater, floor, consider);
      } else {
        for (let first = 0; first < this.slotHighWater; first += Int8Codes.CHUNK) {
          const count = Math.min(Int8Codes.CHUNK, this.slotHighWater - first);
          consider(codes.selectRange(first, count, floor()));
        }
      }
    } else if (compiled.candidates && candidatePoints <= this.indexOptions.filteredExactBelow) {
      for (const ordinal of compiled.candidates) {
        if (!compiled.matches(ordinal)) continue;
        for (const image of this.entries[ordinal].images) add(image.slot);
      }
      flush();
    } else {
      const index = this.index;
      const order = index.probeOrder(query);
      const nprobe = this.nprobe(index);
      for (let i = 0; i < order.length && (i < nprobe || matched < k); i++) {
        const members = index.list(order[i]);
        for (let m = 0; m < members.length; m++) add(members[m]);
        if (i + 1 >= nprobe) flush(); // past nprobe, count matches list by list
      }
      flush();
    }

    const dimension = this.dimension;
    const vectors = this.vectors;
    if (this.maxImagesPerProduct > 1 && productsNeeded < k) {
      // Several images a product: keep each product's best re-scored point (by slot owner, no
      // entry read) and return the best productsNeeded of them, one point each: what callers
      // keep of the best k points, without sorting k points.
      const bestScore = new Float32Array(this.entries.length);
      const bestSlot = new Int32Array(this.entries.length).fill(-1);
      const scored: number[] = [];
      pool.forEachId((slot) => {
        const score = dotAt(vectors, slot * dimension, query, dimension);
        if (score < threshold) return;
        const ordinal = owner[slot];
        if (bestSlot[ordinal] < 0) scored.push(ordinal);
        else if (score < bestScore[ordinal] || (score === bestScore[ordinal] && slot > bestSlot[ordinal])) return;
        bestScore[ordinal] = score;
        bestSlot[ordinal] = slot;
      });
      const products = new TopK(productsNeeded);
      for (const ordinal of scored) products.push(bestScore[ordinal], bestSlot[ordinal]);
      return products.sorted().map(({ id, score }) => ({ slot: id, score, ordinal: owner[id] }));
    }
    const heap = new TopK(k);
    // The pool's order does not matter: every candidate is re-scored.
    pool.forEachId((slot) => {
      const score = dotAt(vectors, slot * dimension, query, dimension);
      if (score >= threshold) heap.push(score, slot);
    });
    return heap.sorted().map(({ id, score }) => ({ slot: id, score, ordinal: owner[id] }));
  }

  /**
   * Bound of |int8 score - float32 score| for this query against any stored vector: each code is
   * off by at most half its scale (at most maxCodeScale / 2), each query value by half the query's
   * scale, so the dot product is off by at most the sum of those errors times the other side's
   * magnitudes. Loose, but it keeps counts above a threshold exact.
   */
  private quantisationError(query: Float32Array, queryScale: number): number {
    let l1 = 0;
    for (let d = 0; d < query.length; d++) l1 += Math.abs(query[d]);
    const dimension = query.length;
    return (l1 * this.maxCodeScale) / 2 + (Math.sqrt(dimension) * queryScale) / 2 + (dimension * this.maxCodeScale * queryScale) / 4 + 1e-4;
  }

  /**
   * The vector ranking: products by their best image's cosine, those below `threshold` left
   * out, at most `depth` of them (`more` when others also qualified).
   */
  vectorRanking(query: Float32Array, filter: SearchFilter | undefined, depth: number, threshold: number | undefined): Ranking {
    const points = this.topPoints(query, filter, depth + 1, threshold);
    const seen = new Set<number>();
    const ranked: RankedProduct[] = [];
    for (const point of points) {
      if (seen.has(point.ordinal)) continue;
      seen.add(point.ordinal);
      ranked.push({ ordinal: point.ordinal, score: point.score, slot: point.slot });
    }
    const more = ranked.length > depth;
    return { ranked: more ? ranked.slice(0, depth) : ranked, more };
  }

  /** The keyword ranking: products whose words match the text, best BM25 first, filtered, at most `depth`. */
  keywordRanking(text: string, filter: SearchFilter | undefined, depth: number): Ranking {
    const compiled = this.compileFilter(filter, -1);
    const byId = this.byId;
    const { hits, matched } = this.lexical.searchCounting(text, {
      limit: depth,
      // The keyword index holds the live products only: without a condition there is nothing to check.
      accept: compiled.matchesEveryLiveProduct
        ? undefined
        : (productId) => {
            const entry = byId.get(productId);
            return entry !== undefined && compiled.matches(entry.ordinal);
          },
    });
    return { ranked: hits.map((hit) => ({ ordinal: byId.get(hit.productId)!.ordinal, score: hit.score })), more: matched > depth };
  }

  /** A live product's data by ordinal. */
  dataAt(ordinal: number): ProductData {
    const data = this.entries[ordinal].data;
    if (!data) throw new Error(`product ordinal ${ordinal} is not live`);
    return data;
  }

  /** The product's image nearest the query (its first image without one), with its cosine. */
  bestImageOf(ordinal: number, query: Float32Array | undefined, slot?: number): ImageRef {
    const images = this.entries[ordinal].images;
    let best = images.find((image) => image.slot === slot) ?? images[0];
    if (slot === undefined && query) {
      let bestScore = -Infinity;
      for (const image of images) {
        const score = dotAt(this.vectors, image.slot * this.dimension, query, this.dimension);
        if (score > bestScore) [best, bestScore] = [image, score];
      }
    }
    return canonicalImageRef(best);
  }

  /** Collapses point hits (best first) to the best point per product. */
  groupByProduct(points: PointHit[]): Array<{ product: ProductData; score: number; image: ImageRef }> {
    const seen = new Set<number>();
    const hits: Array<{ product: ProductData; score: number; image: ImageRef }> = [];
    for (const point of points) {
      if (seen.has(point.ordinal)) continue;
      seen.add(point.ordinal);
      const entry = this.entries[point.ordinal];
      const image = entry.images.find((candidate) => candidate.slot === point.slot);
      if (!entry.data || !image) continue;
      hits.push({ product: entry.data, score: point.score, image: canonicalImageRef(image) });
    }
    return hits;
  }

  ordinalOf(productId: string): number {
    return this.byId.get(productId)?.ordinal ?? -1;
  }

  /**
   * How many live products pass the filter, with their facets: what a search without a cut-off
   * matches (every product has a cosine). It depends on the filter and the stored data, never on
   * the query, so it is cached per filter until the next write: a shopper's query otherwise pays
   * a pass over every product (about 20 ms at 100k products).
   */
  filterSummary(filter: SearchFilter | undefined): FilterSummary {
    const key = JSON.stringify(filter ?? {});
    const cached = this.summaryCache.get(key);
    if (cached && cached.dataVersion === this.dataVersion) return cached.summary;
    const compiled = this.compileFilter(filter, -1);
    const matching: number[] = [];
    const consider = (ordinal: number) => {
      if (compiled.matches(ordinal)) matching.push(ordinal);
    };
    if (compiled.candidates) for (const ordinal of compiled.candidates) consider(ordinal);
    else for (let ordinal = 0; ordinal < this.entries.length; ordinal++) consider(ordinal);
    const summary = { count: matching.length, facets: this.facetsOf(matching) };
    if (this.summaryCache.size >= SUMMARY_CACHE_ENTRIES) this.summaryCache.clear();
    this.summaryCache.set(key, { dataVersion: this.dataVersion, summary });
    return summary;
  }

  /** Category, brand, price-band and stock counts over these live products (each listed once). */
  facetsOf(ordinals: Iterable<number>): SearchFacets {
    // Counted in arrays indexed by code: this runs over up to MATCH_COUNT_CAP products per query.
    const categoryCounts = new Int32Array(this.categoryNames.length);
    const brandCounts = new Int32Array(this.brandNames.length);
    const bandCounts = new Int32Array(PRICE_BANDS.length);
    let inStock = 0;
    let outOfStock = 0;
    const tagCounts = new Map<string, Map<string, number>>();
    const { entries, brand: brands, price: prices, categoryPair, moreCategories } = this;
    // No product tagged since the collection opened: no entry needs reading for its tags.
    const anyTags = this.tagMembers.size > 0;
    for (const ordinal of ordinals) {
      const tags = anyTags ? entries[ordinal].tags : NO_TAGS;
      for (let i = 0; i < tags.length; i++) {
        const { attribute, label } = tags[i];
        let labels = tagCounts.get(attribute);
        if (!labels) tagCounts.set(attribute, (labels = new Map()));
        labels.set(label, (labels.get(label) ?? 0) + 1);
      }
      if (moreCategories[ordinal] === 1) {
        const codes = entries[ordinal].categoryCodes;
        for (let i = 0; i < codes.length; i++) categoryCounts[codes[i]]++;
      } else {
        if (categoryPair[2 * ordinal] >= 0) categoryCounts[categoryPair[2 * ordinal]]++;
        if (categoryPair[2 * ordinal + 1] >= 0) categoryCounts[categoryPair[2 * ordinal + 1]]++;
      }
      const brand = brands[ordinal];
      if (brand >= 0) brandCounts[brand]++;
      bandCounts[priceBandIndexOf(prices[ordinal])]++;
      if (this.inStock[ordinal]) inStock++;
      else outOfStock++;
    }
    const stock: FacetCount[] = [
      { value: 'in_stock', count: inStock },
      { value: 'out_of_stock', count: outOfStock },
    ];
    return {
      categories: topFacets(categoryCounts, this.categoryNames),
      brands: topFacets(brandCounts, this.brandNames),
      priceBands: PRICE_BANDS.flatMap(({ value }, band) => (bandCounts[band] > 0 ? [{ value, count: bandCounts[band] }] : [])),
      stock: stock.filter((facet) => facet.count > 0).sort((a, b) => b.count - a.count),
      ...(tagCounts.size > 0 ? { tags: tagFacetsFromCounts(tagCounts) } : {}),
    };
  }

  /** Every stored product (tombstones included) with its unit vectors, for snapshots. */
  *exportProducts(): Generator<{ snapshot: ProductSnapshot; vectors: Float32Array[]; lists: number[] }> {
    for (const entry of this.entries) {
      yield {
        snapshot: {
          productId: entry.productId,
          version: entry.version,
          data: entry.data,
          images: entry.images.map(canonicalImageRef),
          ...(entry.failedImages.length > 0 ? { failedImages: entry.failedImages } : {}),
          ...(entry.tagsVersion > 0 ? { tags: entry.tags, tagsVersion: entry.tagsVersion } : {}),
        },
        vectors: entry.images.map(({ slot }) => this.vectors.subarray(slot * this.dimension, (slot + 1) * this.dimension)),
        lists: entry.images.map(({ slot }) => this.index?.listOf(slot) ?? -1),
      };
    }
  }

  exportIndex(): { centroids: Float32Array; trainedOn: number } | undefined {
    return this.index ? { centroids: this.index.centroids, trainedOn: this.index.trainedOn } : undefined;
  }

  /** Restores a snapshot's index before its products are imported (their list assignments follow). */
  importIndex(centroids: Float32Array, trainedOn: number): void {
    this.index = IvfIndex.fromCentroids(this.dimension, centroids, trainedOn);
  }

  importProduct(snapshot: ProductSnapshot, vectors: Float32Array[], lists: number[]): void {
    if (snapshot.data === null) {
      this.applyDelete(snapshot.productId, snapshot.version);
      return;
    }
    const index = this.index;
    this.index = undefined;
    this.applyUpsert(snapshot.data, snapshot.images, vectors, snapshot.failedImages ?? [], snapshot.tags ?? [], snapshot.tagsVersion ?? 0);
    this.index = index;
    if (index) {
      for (const [i, image] of this.byId.get(snapshot.productId)!.images.entries()) {
        if (lists[i] >= 0 && lists[i] < index.listCount) index.addToList(image.slot, lists[i]);
        else index.add(this.vectors, image.slot);
      }
    }
  }

  private nprobe(index: IvfIndex): number {
    return Math.min(index.listCount, this.indexOptions.nprobe ?? Math.max(8, Math.ceil(index.listCount * 0.08)));
  }

  private liveSlots(): Int32Array {
    const slots = new Int32Array(this.livePoints);
    let n = 0;
    for (let slot = 0; slot < this.slotHighWater; slot++) if (this.slotOwner[slot] >= 0) slots[n++] = slot;
    return slots;
  }

  /**
   * One monomorphic predicate over the filter columns (it runs for every
   * candidate point of a scan), plus the candidate products from the
   * inverted lists when a category or brand narrows the search.
   */
  private compileFilter(filter: SearchFilter | undefined, excludeOrdinal: number): CompiledFilter {
    const live = this.live;
    const price = this.price;
    const inStock = this.inStock;
    const brand = this.brand;
    const entries = this.entries;
    let candidates: Set<number>[] | undefined;
    let estimate = this.liveProducts;

    let wantedCategories: Set<number> | null = null;
    if (filter?.categories?.length) {
      const codes = filter.categories.map((name) => this.categoryCodes.get(name)).filter((code): code is number => code !== undefined);
      wantedCategories = new Set(codes);
      const sets = codes.map((code) => this.categoryMembers[code]);
      const size = sets.reduce((sum, set) => sum + set.size, 0);
      if (size <= estimate) {
        estimate = size;
        candidates = sets;
      }
    }
    let wantedBrands: Set<number> | null = null;
    if (filter?.brands?.length) {
      const codes = filter.brands.map((name) => this.brandCodes.get(name)).filter((code): code is number => code !== undefined);
      wantedBrands = new Set(codes);
      const sets = codes.map((code) => this.brandMembers[code]);
      const size = sets.reduce((sum, set) => sum + set.size, 0);
      if (size <= estimate) {
        estimate = size;
        candidates = sets;
      }
    }
    const wantedTags = Object.entries(filter?.tags ?? {}).map(([attribute, labels]) => {
      const members = labels.flatMap((label) => {
        const set = this.tagMembers.get(attribute)?.get(label);
        return set ? [set] : [];
      });
      const size = members.reduce((sum, set) => sum + set.size, 0);
      if (size <= estimate) {
        estimate = size;
        candidates = members;
      }
      return members;
    });
    const hasTags = (ordinal: number) => wantedTags.every((members) => members.some((set) => set.has(ordinal)));
    const minPrice = filter?.minPrice ?? -Infinity;
    const maxPrice = filter?.maxPrice ?? Infinity;
    const stock = filter?.inStock === undefined ? -1 : filter.inStock ? 1 : 0;
    const hasCategory = (ordinal: number, wanted: Set<number>) => {
      const codes = entries[ordinal].categoryCodes;
      for (let i = 0; i < codes.length; i++) if (wanted.has(codes[i])) return true;
      return false;
    };
    const matches = (ordinal: number) =>
      live[ordinal] === 1 &&
      ordinal !== excludeOrdinal &&
      price[ordinal] >= minPrice &&
      price[ordinal] <= maxPrice &&
      (stock < 0 || inStock[ordinal] === stock) &&
      (wantedBrands === null || wantedBrands.has(brand[ordinal])) &&
      (wantedCategories === null || hasCategory(ordinal, wantedCategories)) &&
      (wantedTags.length === 0 || hasTags(ordinal));
    // Every condition `matches` checks after `live`, none set.
    const matchesEveryLiveProduct =
      excludeOrdinal < 0 &&
      minPrice === -Infinity &&
      maxPrice === Infinity &&
      stock < 0 &&
      wantedBrands === null &&
      wantedCategories === null &&
      wantedTags.length === 0;
    return { matches, matchesEveryLiveProduct, estimate, candidates: candidates && unionOf(candidates) };
  }

  private entryFor(productId: string): ProductEntry {
    let entry = this.byId.get(productId);
    if (!entry) {
      entry = {
        ordinal: this.entries.length,
        productId,
        version: 0,
        data: null,
        images: [],
        failedImages: [],
        categoryCodes: new Int32Array(0),
        tags: [],
        tagsVersion: 0,
      };
      this.entries.push(entry);
      this.byId.set(productId, entry);
      this.ensureProductCapacity(this.entries.length);
      this.brand[entry.ordinal] = -1;
    }
    return entry;
  }

  /** `images` are the product's images after the write; `entry.images` still hold those indexed before it. */
  private setData(entry: ProductEntry, product: ProductData, tags: ProductTag[], images: readonly ImageRef[]): void {
    this.lexical.upsert(product.productId, lexicalTextOf(product, tags, images), entry.data ? lexicalTextOf(entry.data, entry.tags, entry.images) : undefined);
    this.clearData(entry);
    entry.tags = tags;
    this.addTagMembers(entry.ordinal, tags);
    this.dataVersion++;
    entry.data = product;
    entry.version = product.version;
    const o = entry.ordinal;
    this.live[o] = 1;
    this.liveProducts++;
    this.price[o] = product.price.amount;
    this.inStock[o] = product.inStock ? 1 : 0;
    this.brand[o] = product.brand ? this.code(product.brand, this.brandCodes, this.brandNames, this.brandMembers) : -1;
    if (this.brand[o] >= 0) this.brandMembers[this.brand[o]].add(o);
    entry.categoryCodes = Int32Array.from(
      new Set(product.categories.map((name) => this.code(name, this.categoryCodes, this.categoryNames, this.categoryMembers))),
    );
    for (const code of entry.categoryCodes) this.categoryMembers[code].add(o);
    this.categoryPair[2 * o] = entry.categoryCodes.length > 0 ? entry.categoryCodes[0] : -1;
    this.categoryPair[2 * o + 1] = entry.categoryCodes.length > 1 ? entry.categoryCodes[1] : -1;
    this.moreCategories[o] = entry.categoryCodes.length > 2 ? 1 : 0;
  }

  private clearData(entry: ProductEntry): void {
    if (!entry.data) return;
    this.dataVersion++;
    const o = entry.ordinal;
    if (this.brand[o] >= 0) this.brandMembers[this.brand[o]].delete(o);
    for (const code of entry.categoryCodes) this.categoryMembers[code].delete(o);
    this.removeTagMembers(o, entry.tags);
    entry.tags = [];
    this.brand[o] = -1;
    entry.categoryCodes = new Int32Array(0);
    this.categoryPair[2 * o] = this.categoryPair[2 * o + 1] = -1;
    this.moreCategories[o] = 0;
    entry.data = null;
    this.live[o] = 0;
    this.liveProducts--;
  }

  /** Makes the product a member of its `tags`' filter lists, except those of `kept` (it is already). */
  private addTagMembers(ordinal: number, tags: readonly ProductTag[], kept: readonly ProductTag[] = []): void {
    for (const tag of tags) {
      if (hasLabel(kept, tag)) continue;
      let labels = this.tagMembers.get(tag.attribute);
      if (!labels) this.tagMembers.set(tag.attribute, (labels = new Map()));
      let members = labels.get(tag.label);
      if (!members) labels.set(tag.label, (members = new Set()));
      members.add(ordinal);
    }
  }

  /** Takes the product out of its `tags`' filter lists, except those of `kept`. */
  private removeTagMembers(ordinal: number, tags: readonly ProductTag[], kept: readonly ProductTag[] = []): void {
    for (const tag of tags) {
      if (hasLabel(kept, tag)) continue;
      const labels = this.tagMembers.get(tag.attribute);
      const members = labels?.get(tag.label);
      if (!labels || !members) continue;
      members.delete(ordinal);
      if (members.size > 0) continue;
      labels.delete(tag.label);
      if (labels.size === 0) this.tagMembers.delete(tag.attribute);
    }
  }

  private releaseImages(entry: ProductEntry): void {
    for (const { slot } of entry.images) {
      this.index?.remove(slot);
      this.slotOwner[slot] = -1;
      this.freeSlots.push(slot);
    }
    this.livePoints -= entry.images.length;
    entry.images = [];
  }

  private allocateSlot(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const slot = this.slotHighWater++;
    if (slot >= this.slotOwner.length) {
      const capacity = this.slotOwner.length * 2;
      const vectors = new Float32Array(capacity * this.dimension);
      vectors.set(this.vectors);
      this.vectors = vectors;
      const owner = new Int32Array(capacity).fill(-1);
      owner.set(this.slotOwner);
      this.slotOwner = owner;
    }
    return slot;
  }

  private ensureProductCapacity(count: number): void {
    if (count <= this.live.length) return;
    const capacity = this.live.length * 2;
    const grow = <T extends Float64Array | Uint8Array | Int32Array>(array: T, make: (n: number) => T): T => {
      const grown = make(capacity);
      grown.set(array);
      return grown;
    };
    this.price = grow(this.price, (n) => new Float64Array(n));
    this.inStock = grow(this.inStock, (n) => new Uint8Array(n));
    this.brand = grow(this.brand, (n) => new Int32Array(n));
    this.live = grow(this.live, (n) => new Uint8Array(n));
    this.moreCategories = grow(this.moreCategories, (n) => new Uint8Array(n));
    const categoryPair = new Int32Array(2 * capacity).fill(-1);
    categoryPair.set(this.categoryPair);
    this.categoryPair = categoryPair;
  }

  private code(name: string, codes: Map<string, number>, names: string[], members: Array<Set<number>>): number {
    let code = codes.get(name);
    if (code === undefined) {
      code = names.length;
      codes.set(name, code);
      names.push(name);
      members.push(new Set());
    }
    return code;
  }
}

/** Whether `tags` hold `tag`'s attribute and label (a product's tags are a handful: a scan beats building a set). */
function hasLabel(tags: readonly ProductTag[], tag: ProductTag): boolean {
  for (const other of tags) if (other.label === tag.label && other.attribute === tag.attribute) return true;
  return false;
}

function sameLabels(a: readonly ProductTag[], b: readonly ProductTag[]): boolean {
  return a.length === b.length && a.every((tag, i) => tag.label === b[i].label && tag.attribute === b[i].attribute);
}

function labelsOf(tags: readonly ProductTag[]): string[] {
  return tags.map((tag) => tag.label);
}

function* unionOf(sets: Set<number>[]): Generator<number> {
  if (sets.length === 1) {
    yield* sets[0];
    return;
  }
  const seen = new Set<number>();
  for (const set of sets) {
    for (const ordinal of set) {
      if (seen.has(ordinal)) continue;
      seen.add(ordinal);
      yield ordinal;
    }
  }
}

/** Distinct filters whose summaries are kept between writes. */
const SUMMARY_CACHE_ENTRIES = 256;
/** A product's tags when facet counting need not read them (nothing in the collection is tagged). */
const NO_TAGS: readonly ProductTag[] = Object.freeze([]);
/** Ranking depth up to which every point gets `rerank` re-scored candidates (see rerankPoolSize). */
const RERANK_MARGIN_FROM = 1000;

function maxAbs(vector: Float32Array): number {
  let max = 0;
  for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i]));
  return max;
}

/**
 * Candidates re-scored for the best k points: `rerank` per point up to RERANK_MARGIN_FROM points,
 * then one per point. The margin is there for the int8 scores' error, which moves a point only
 * among its near neighbours; a ranking 10,000 deep (what counts and facets read) re-scored 4 x k
 * spent most of a text search on re-scoring.
 */
export function rerankPoolSize(k: number, rerank: number): number {
  const margin = Math.min(k, RERANK_MARGIN_FROM) * (rerank - 1);
  return Math.max(k + margin, 40);
}

function topFacets(counts: Int32Array, names: string[]): FacetCount[] {
  const counted: FacetCount[] = [];
  counts.forEach((count, code) => {
    if (count > 0) counted.push({ value: names[code], count });
  });
  return counted.sort((a, b) => b.count - a.count || a.value.localeCompare(b.value)).slice(0, SEARCH_LIMITS.facetValues);
}
