/**
 * LanceDB 0.31 (@lancedb/lancedb, installed only in this folder: see its package.json) side by side with our
 * embedded store, for issue #15's proposal: would an embedded engine that already does vector,
 * full-text and hybrid search meet "hybrid p95 ≤ 1.5 × vector p95 at 100k products" where
 * MiniSearch does not? Prints the figures and the command that reproduces them; asserts nothing.
 *
 * Usage (LanceDB and its optional packages take ~0.5 GB, so the repository's own install leaves them out):
 *   npm --prefix libs/vector-store/bench/lancedb ci
 *   npx tsc -p libs/vector-store/bench/lancedb            # type check, once installed
 *   node tools/cli/bin/run-ts.js libs/vector-store/bench/lancedb/lancedb-side-by-side.bench.ts
 *          [--products 100000] [--queries 40] [--runs 3] [--dimension 128] [--seed 1]
 *
 * Both stores hold the same synthetic catalog, the same vectors and answer the same queries (see
 * hybrid-bench-setup.ts). LanceDB's table has the product id, the vector, a column per keyword
 * field the catalog fills (lexical-fields.ts, the text lexicalTextByField makes, so both analyse
 * the same strings) with LanceDB's native inverted index (BM25) on each, and the facet fields.
 * It is written in batches of 1,000 products, as the store's upserts come, then compacted and
 * indexed; the vectors get an HNSW index too (one graph, int8 codes), and every vector measure is
 * taken both flat (every vector compared, exact, like our default scan) and through the graph.
 *
 * Per query, in turn, so every measure sees the same machine load: our vector and hybrid search
 * (24 hits with facets, as hybrid.bench.ts), then LanceDB's vector top 24, full-text top 24 (a
 * multi-field match with our field boosts; and 10,000 deep, the depth our store's keyword
 * ranking goes to so that it can count and facet what matched), hybrid top 24 (both rankings fused
 * by LanceDB's default reranker, RRF with k = 60 as ours; once more with an RRFReranker object,
 * which takes a round trip through JavaScript), full-text and hybrid with typo tolerance (fuzziness 2 per
 * field: a swap of two letters is two Levenshtein edits), and what our contract needs beyond the
 * page: the number of products the query matched (exact up to 10,000) and facets over them.
 * LanceDB returns neither for a ranked query, so that measure fetches the matched set (full-text
 * matches and, with a cut-off, the vectors above it from a flat search, 10,000 at most each, with
 * the facet fields) and counts it here, as our Qdrant adapter does. Without a cut-off every
 * product matches: the count is `countRows()` and facets over the whole collection would be
 * cached per data version, as our store caches them.
 *
 * CPU time is the whole process's (LanceDB runs its searches on Rust threads of this process), so
 * on this 2-core machine LanceDB's wall time can be below its CPU time.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  BooleanQuery,
  Index,
  MatchQuery,
  MultiMatchQuery,
  Occur,
  Operator,
  PhraseQuery,
  connect,
  rerankers,
  type FullTextQuery,
  type Table,
  type VectorQuery,
} from '@lancedb/lancedb';
import { MATCH_COUNT_CAP } from '@vsearch/contracts';
import { LEXICAL_FIELDS, lexicalTextByField, type LexicalFieldName } from '../../src/lexical/lexical-fields';
import { MiniSearchLexicalIndex } from '../../src/lexical/minisearch.lexical-index';
import { facetsOfMatches, type MatchedProduct } from '../../src/qdrant/matched-products';
import {
  benchCatalog,
  benchQueries,
  cutOffs,
  filledEmbeddedStore,
  hybridBenchFlags,
  machineLine,
  medianOverRuns,
  parseHybridBenchArgs,
  productWithImage,
  timed,
  type BenchQuery,
} from '../hybrid-bench-setup';
import { capabilityProducts, type BenchProduct } from '../synthetic-shopper-catalog';

const PAGE = 24;
const RRF_K = 60;
/** Edits a fuzzy LanceDB match allows: two, since a swap of two adjacent letters is two Levenshtein edits. */
const TYPO_EDITS = 2;
/** The analyzer closest to ours: lower-cased, accents folded, stop words dropped, no stemming. */
const FTS_OPTIONS = { baseTokenizer: 'simple', lowercase: true, asciiFolding: true, removeStopWords: true, stem: false, withPosition: false } as const;
const FACET_COLUMNS = ['id', 'brand', 'categories', 'price', 'inStock'];
/** One HNSW graph (one partition), cosine, int8 scalar-quantised codes like our scan's. */
const HNSW_OPTIONS = { distanceType: 'cosine', numPartitions: 1 } as const;
/** Candidates an HNSW search considers (LanceDB's default is 1.5 × the limit, 36 here: low recall on random vectors). */
const HNSW_EF = 100;

const MEASURES = [
  'ours: vector',
  'ours: hybrid',
  'LanceDB: vector, flat',
  'LanceDB: vector, HNSW',
  'LanceDB: full-text',
  'LanceDB: full-text, 10,000 deep',
  'LanceDB: hybrid, flat',
  'LanceDB: hybrid, HNSW',
  'LanceDB: hybrid, HNSW, RRFReranker',
  'LanceDB: full-text, typos',
  'LanceDB: hybrid, HNSW, typos',
  'LanceDB: count + facets',
] as const;
type Measure = (typeof MEASURES)[number];

interface Sample {
  set: string;
  measure: Measure;
  wallMs: number;
  cpuMs: number;
}

type IndexedField = { name: LexicalFieldName; boost: number };

/** The keyword fields the catalog fills (the synthetic catalog has no tags and no image descriptions). */
function fieldsWithText(products: readonly BenchProduct[]): IndexedField[] {
  return LEXICAL_FIELDS.filter(({ name }) => products.some((product) => lexicalTextByField(product.text)[name] !== '')).map(({ name, boost }) => ({
    name,
    boost,
  }));
}

function lanceRow(product: BenchProduct, position: number, vector: Float32Array, fields: readonly IndexedField[]): Record<string, unknown> {
  const stored = productWithImage(product, position, vector).product;
  const texts = lexicalTextByField(product.text);
  return {
    id: product.productId,
    vector: Array.from(vector),
    ...Object.fromEntries(fields.map(({ name }) => [name, texts[name]])),
    price: stored.price.amount,
    inStock: stored.inStock,
  };
}

function directorySize(directory: string): number {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' }).reduce((bytes, entry) => {
    const stats = statSync(path.join(directory, entry));
    return stats.isFile() ? bytes + stats.size : bytes;
  }, 0);
}

interface LanceBuild {
  table: Table;
  writeMs: { wallMs: number; cpuMs: number };
  compactMs: { wallMs: number; cpuMs: number };
  indexMs: { wallMs: number; cpuMs: number };
  vectorIndexMs: { wallMs: number; cpuMs: number };
  diskBytes: number;
  /** Per index: its name and the rows it covers (all of them, or the build did not finish). */
  indexedRows: string;
}

async function buildLanceTable(
  directory: string,
  products: readonly BenchProduct[],
  vectors: readonly Float32Array[],
  fields: readonly IndexedField[],
): Promise<LanceBuild> {
  const db = await connect(directory);
  const rows = (first: number) => products.slice(first, first + 1000).map((product, i) => lanceRow(product, first + i, vectors[first + i], fields));
  const write = await timed(async () => {
    const table = await db.createTable('products', rows(0));
    for (let first = 1000; first < products.length; first += 1000) await table.add(rows(first));
    return table;
  });
  const table = write.result;
  const compactMs = await timed(() => table.optimize({ cleanupOlderThan: new Date(), deleteUnverified: true }));
  const indexMs = await timed(async () => {
    for (const { name } of fields) await table.createIndex(name, { config: Index.fts(FTS_OPTIONS) });
  });
  const vectorIndexMs = await timed(() => table.createIndex('vector', { config: Index.hnswSq(HNSW_OPTIONS) }));
  const indexes = await table.listIndices();
  const indexedRows = indexes
    .map((index) => `${index.name} ${index.numIndexedRows ?? '?'} of ${(index.numIndexedRows ?? 0) + (index.numUnindexedRows ?? 0)}`)
    .join(', ');
  return { table, writeMs: write, compactMs, indexMs, vectorIndexMs, diskBytes: directorySize(directory), indexedRows };
}

/** Our keyword ranking's fields and boosts as one LanceDB query (its default operator, OR: any word). */
function multiFieldQuery(text: string, fields: readonly IndexedField[]): FullTextQuery {
  return new MultiMatchQuery(
    text,
    fields.map(({ name }) => name),
    { boosts: fields.map(({ boost }) => boost) },
  );
}

/** The same with typo tolerance: LanceDB's multi-field match has no fuzziness, so one fuzzy match per field, any of which may hit. */
function fuzzyMultiFieldQuery(text: string, fields: readonly IndexedField[], edits = TYPO_EDITS): FullTextQuery {
  return new BooleanQuery(fields.map(({ name, boost }) => [Occur.Should, new MatchQuery(text, name, { fuzziness: edits, boost, prefixLength: 1 })]));
}

/** The vector ranking: every vector compared (flat, exact, as our scan), or the HNSW graph walked. */
function nearest(table: Table, vector: Float32Array, scoreThreshold: number | undefined, search: 'flat' | 'hnsw'): VectorQuery {
  const query = table.query().nearestTo(vector).distanceType('cosine');
  const ranked = search === 'flat' ? query.bypassVectorIndex() : query.ef(HNSW_EF);
  return scoreThreshold === undefined ? ranked : ranked.distanceRange(undefined, 1 - scoreThreshold);
}

/** Share of the flat search's top PAGE that the HNSW search also returns, over the queries. */
async function hnswRecall(table: Table, queries: readonly BenchQuery[]): Promise<number> {
  let found = 0;
  for (const { vector } of queries) {
    const [exact, approximate] = await Promise.all(
      (['flat', 'hnsw'] as const).map(async (search) =>
        (await nearest(table, vector, undefined, search).select(['id']).limit(PAGE).toArray()).map((row) => String(row.id)),
      ),
    );
    const returned = new Set(approximate);
    found += exact.filter((id) => returned.has(id)).length;
  }
  return found / (queries.length * PAGE);
}

/**
 * LanceDB 0.31 fails a hybrid query whose vector ranking comes back empty (a cut-off that no
 * vector passes): "expected column _distance not found in rank". An adapter would answer with the
 * keyword ranking alone, as this does, and count how often it had to.
 */
async function hybridOrKeywordOnly(hybrid: VectorQuery, keywordOnly: () => Promise<unknown[]>, fallbacks: { count: number }): Promise<unknown[]> {
  try {
    return await hybrid.toArray();
  } catch (error) {
    if (!String(error).includes('_distance not found')) throw error;
    fallbacks.count++;
    return keywordOnly();
  }
}

/** What our contract returns beside the page: how many products matched (exact up to the cap) and facets over them. */
async function countAndFacets(table: Table, query: BenchQuery, fields: readonly IndexedField[], scoreThreshold: number | undefined): Promise<number> {
  if (scoreThreshold === undefined) return table.countRows();
  const [keywordMatches, vectorMatches] = await Promise.all([
    table.query().fullTextSearch(multiFieldQuery(query.text, fields)).select(FACET_COLUMNS).limit(MATCH_COUNT_CAP).toArray(),
    nearest(table, query.vector, scoreThreshold, 'flat').select(FACET_COLUMNS).limit(MATCH_COUNT_CAP).toArray(),
  ]);
  const matched = new Map<string, MatchedProduct>();
  for (const row of [...vectorMatches, ...keywordMatches]) {
    const id = String(row.id);
    if (matched.has(id)) continue;
    matched.set(id, {
      productId: id,
      pointId: id,
      score: 0,
      brand: row.brand,
      categories: String(row.categories).split('\n'),
      price: row.price,
      inStock: row.inStock,
    });
  }
  facetsOfMatches([...matched.values()]);
  return Math.min(matched.size, MATCH_COUNT_CAP);
}

async function main(): Promise<void> {
  const options = parseHybridBenchArgs(process.argv.slice(2));
  console.log(
    `LanceDB side by side: ${options.products} products, ${options.dimension} dimensions, ${options.queries} queries per kind, ${options.runs} runs, seed ${options.seed}`,
  );
  console.log(machineLine());
  await printCapabilities();

  const { products, vectors } = benchCatalog(options);
  const fields = fieldsWithText(products);
  const ours = await filledEmbeddedStore(products, vectors, options.dimension);
  const directory = mkdtempSync(path.join(os.tmpdir(), 'lancedb-bench-'));
  try {
    const lance = await buildLanceTable(directory, products, vectors, fields);
    printBuild(options.products, ours, lance, fields);
    const rrf = await rerankers.RRFReranker.create(RRF_K);
    const { kinds, queries } = benchQueries(products, options);
    console.log(`LanceDB HNSW (ef ${HNSW_EF}) recall@${PAGE} against its flat search: ${(await hnswRecall(lance.table, queries)).toFixed(3)}`);

    for (const { name: cutOffName, scoreThreshold } of cutOffs(options.dimension)) {
      const fallbacks = { count: 0 };
      const lanceHybrid = (query: BenchQuery, vectorSearch: 'flat' | 'hnsw', keywords: FullTextQuery, reranker?: rerankers.RRFReranker) => {
        const hybrid = nearest(lance.table, query.vector, scoreThreshold, vectorSearch).fullTextSearch(keywords).select(['id']).limit(PAGE);
        const keywordOnly = () => lance.table.query().fullTextSearch(keywords).select(['id']).limit(PAGE).toArray();
        return hybridOrKeywordOnly(reranker ? hybrid.rerank(reranker) : hybrid, keywordOnly, fallbacks);
      };
      const search: Record<Measure, (query: BenchQuery) => Promise<unknown>> = {
        'ours: vector': ({ text, vector }) =>
          ours.store.searchSimilar({ collection: ours.collection, vector, text, mode: 'vector', scoreThreshold, limit: PAGE, withFacets: true }),
        'ours: hybrid': ({ text, vector }) =>
          ours.store.searchSimilar({ collection: ours.collection, vector, text, mode: 'hybrid', scoreThreshold, limit: PAGE, withFacets: true }),
        'LanceDB: vector, flat': ({ vector }) => nearest(lance.table, vector, scoreThreshold, 'flat').select(['id']).limit(PAGE).toArray(),
        'LanceDB: vector, HNSW': ({ vector }) => nearest(lance.table, vector, scoreThreshold, 'hnsw').select(['id']).limit(PAGE).toArray(),
        'LanceDB: full-text': ({ text }) => lance.table.query().fullTextSearch(multiFieldQuery(text, fields)).select(['id']).limit(PAGE).toArray(),
        'LanceDB: full-text, 10,000 deep': ({ text }) =>
          lance.table.query().fullTextSearch(multiFieldQuery(text, fields)).select(['id']).limit(MATCH_COUNT_CAP).toArray(),
        'LanceDB: hybrid, flat': (query) => lanceHybrid(query, 'flat', multiFieldQuery(query.text, fields)),
        'LanceDB: hybrid, HNSW': (query) => lanceHybrid(query, 'hnsw', multiFieldQuery(query.text, fields)),
        'LanceDB: hybrid, HNSW, RRFReranker': (query) => lanceHybrid(query, 'hnsw', multiFieldQuery(query.text, fields), rrf),
        'LanceDB: full-text, typos': ({ text }) => lance.table.query().fullTextSearch(fuzzyMultiFieldQuery(text, fields)).select(['id']).limit(PAGE).toArray(),
        'LanceDB: hybrid, HNSW, typos': (query) => lanceHybrid(query, 'hnsw', fuzzyMultiFieldQuery(query.text, fields)),
        'LanceDB: count + facets': (query) => countAndFacets(lance.table, query, fields, scoreThreshold),
      };
      const runs: Sample[][] = [];
      for (let run = 0; run < options.runs + 1; run++) {
        const samples: Sample[] = [];
        for (const query of queries) {
          for (const measure of MEASURES) {
            const { wallMs, cpuMs } = await timed(() => search[measure](query));
            samples.push({ set: query.set, measure, wallMs, cpuMs });
          }
        }
        if (run > 0) runs.push(samples); // run 0 warms up
      }
      printLatencies(cutOffName, runs, kinds);
      console.log('');
      console.log(
        `LanceDB hybrid queries answered by the keyword ranking alone (its vector ranking empty): ${fallbacks.count} of ${(options.runs + 1) * queries.length * 4}`,
      );
    }
  } finally {
    await ours.store.close();
    rmSync(directory, { recursive: true, force: true });
  }
  console.log('');
  console.log(`command: node tools/cli/bin/run-ts.js libs/vector-store/bench/lancedb/lancedb-side-by-side.bench.ts ${hybridBenchFlags(options)}`);
}

function printBuild(productCount: number, ours: { wallMs: number; cpuMs: number }, lance: LanceBuild, fields: readonly IndexedField[]): void {
  const cell = ({ wallMs, cpuMs }: { wallMs: number; cpuMs: number }) => `${(wallMs / 1000).toFixed(1)} / ${(cpuMs / 1000).toFixed(1)}`;
  console.log('');
  console.log(`### Build, ${productCount} products (s wall / s CPU)`);
  console.log('');
  console.log('| step | time |');
  console.log('| --- | --- |');
  console.log(`| ours: upserts in batches of 1,000 (vectors + MiniSearch index, in memory) | ${cell(ours)} |`);
  console.log(`| LanceDB: write in batches of 1,000 (table.add) | ${cell(lance.writeMs)} |`);
  console.log(`| LanceDB: compact (optimize, old versions removed) | ${cell(lance.compactMs)} |`);
  console.log(`| LanceDB: ${fields.length} FTS indexes (${fields.map(({ name }) => name).join(', ')}) | ${cell(lance.indexMs)} |`);
  console.log(`| LanceDB: HNSW vector index (one graph, int8 codes, cosine) | ${cell(lance.vectorIndexMs)} |`);
  console.log(`| LanceDB: on disk after build | ${(lance.diskBytes / 2 ** 20).toFixed(1)} MiB |`);
  console.log(`| LanceDB: rows each index covers | ${lance.indexedRows} |`);
}

function printLatencies(cutOffName: string, runs: Sample[][], kinds: string[]): void {
  const figure = (measure: Measure, p: number, field: 'wallMs' | 'cpuMs', set?: string) =>
    medianOverRuns(
      runs,
      p,
      (sample) => sample.measure === measure && (set === undefined || sample.set === set),
      (sample) => sample[field],
    );
  const cells = (measure: Measure, field: 'wallMs' | 'cpuMs', set?: string) =>
    `${figure(measure, 0.5, field, set).toFixed(2)} / ${figure(measure, 0.95, field, set).toFixed(2)}`;
  const ratio = (hybrid: Measure, vector: Measure, field: 'wallMs' | 'cpuMs', set?: string) =>
    (figure(hybrid, 0.95, field, set) / figure(vector, 0.95, field, set)).toFixed(2);

  console.log('');
  console.log(`### ${cutOffName}: every measure, all query kinds (ms, p50 / p95)`);
  console.log('');
  console.log('| measure | wall | CPU |');
  console.log('| --- | --- | --- |');
  for (const measure of MEASURES) console.log(`| ${measure} | ${cells(measure, 'wallMs')} | ${cells(measure, 'cpuMs')} |`);

  console.log('');
  console.log(`### ${cutOffName}: per query kind (ms CPU, p50 / p95; hybrid / vector at p95, wall / CPU)`);
  console.log('');
  console.log(
    '| queries | ours hybrid | ours hybrid / vector | LanceDB full-text | LanceDB hybrid, HNSW | LanceDB hybrid / vector, HNSW | LanceDB hybrid / vector, flat | LanceDB hybrid, typos / vector, HNSW | LanceDB count + facets |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const set of [undefined, ...kinds]) {
    const both = (hybrid: Measure, vector: Measure) => `${ratio(hybrid, vector, 'wallMs', set)} / ${ratio(hybrid, vector, 'cpuMs', set)}`;
    const row = [
      set ?? '**all kinds**',
      cells('ours: hybrid', 'cpuMs', set),
      both('ours: hybrid', 'ours: vector'),
      cells('LanceDB: full-text', 'cpuMs', set),
      cells('LanceDB: hybrid, HNSW', 'cpuMs', set),
      both('LanceDB: hybrid, HNSW', 'LanceDB: vector, HNSW'),
      both('LanceDB: hybrid, flat', 'LanceDB: vector, flat'),
      both('LanceDB: hybrid, HNSW, typos', 'LanceDB: vector, HNSW'),
      cells('LanceDB: count + facets', 'cpuMs', set),
    ];
    console.log(`| ${row.join(' | ')} |`);
  }
}

/**
 * What LanceDB's full-text search finds that ours finds (or not), on four products: typos,
 * prefixes, phrases, accents, compounds, plurals, and whether every word must match. Each LanceDB
 * check names the query and index options it used.
 */
async function printCapabilities(): Promise<void> {
  const products = capabilityProducts();
  const ourIndex = new MiniSearchLexicalIndex();
  for (const { id, text } of products) ourIndex.upsert(id, text);
  const fields: IndexedField[] = LEXICAL_FIELDS.filter(({ name }) => ['title', 'brand', 'categories', 'attributes', 'description'].includes(name));

  const directory = mkdtempSync(path.join(os.tmpdir(), 'lancedb-capabilities-'));
  try {
    const db = await connect(directory);
    const table = await db.createTable(
      'products',
      products.map(({ id, text }) => {
        const texts = lexicalTextByField(text);
        return {
          id,
          ...Object.fromEntries(fields.map(({ name }) => [name, texts[name]])),
          titleStemmed: texts.title,
          titlePrefixes: texts.title,
          titleNgrams: texts.title,
        };
      }),
    );
    for (const { name } of fields) await table.createIndex(name, { config: Index.fts({ ...FTS_OPTIONS, withPosition: true }) });
    await table.createIndex('titleStemmed', { config: Index.fts({ ...FTS_OPTIONS, stem: true, language: 'English' }) });
    // LanceDB's ngram tokenizer cuts the whole field, not each word: prefixOnly indexes the field's first letters only.
    const ngrams = { ...FTS_OPTIONS, baseTokenizer: 'ngram', ngramMinLength: 3, ngramMaxLength: 10 } as const;
    await table.createIndex('titlePrefixes', { config: Index.fts({ ...ngrams, prefixOnly: true }) });
    await table.createIndex('titleNgrams', { config: Index.fts(ngrams) });
    const found = async (query: FullTextQuery) => {
      const rows = await table.query().fullTextSearch(query).select(['id']).limit(10).toArray();
      return rows.map((row) => String(row.id)).join(', ') || 'nothing';
    };
    const checks: Array<{ check: string; query: string; prefix?: boolean; lance: Array<[string, FullTextQuery]> }> = [
      {
        check: 'typo, 2 edits (swap)',
        query: 'bakcpack',
        lance: [
          ['exact', multiFieldQuery('bakcpack', fields)],
          ['fuzziness 1', fuzzyMultiFieldQuery('bakcpack', fields, 1)],
          ['fuzziness 2', fuzzyMultiFieldQuery('bakcpack', fields, 2)],
        ],
      },
      { check: 'typo, 1 edit', query: 'backpak', lance: [['fuzziness 1', fuzzyMultiFieldQuery('backpak', fields, 1)]] },
      {
        check: 'prefix',
        query: 'backp',
        prefix: true,
        lance: [
          ['simple tokenizer', multiFieldQuery('backp', fields)],
          ['ngram prefixOnly index', new MatchQuery('backp', 'titlePrefixes')],
          ['ngram index (any trigram of the query)', new MatchQuery('backp', 'titleNgrams')],
          ['ngram index, `backgammon`', new MatchQuery('backgammon', 'titleNgrams')],
        ],
      },
      {
        check: 'phrase',
        query: 'red backpack',
        lance: [
          ['any word (default)', multiFieldQuery('red backpack', fields)],
          ['PhraseQuery (positions)', new PhraseQuery('red backpack', 'title')],
          ['PhraseQuery, reversed', new PhraseQuery('backpack red', 'title')],
        ],
      },
      {
        check: 'every word, across fields',
        query: 'northwind backpack',
        lance: [
          ['operator OR (default)', multiFieldQuery('northwind backpack', fields)],
          [
            'operator AND',
            new MultiMatchQuery(
              'northwind backpack',
              fields.map(({ name }) => name),
              { operator: Operator.And },
            ),
          ],
        ],
      },
      { check: 'accents folded', query: 'creme', lance: [['asciiFolding', multiFieldQuery('creme', fields)]] },
      { check: 'compound, joined', query: 'tshirt', lance: [['simple tokenizer', multiFieldQuery('tshirt', fields)]] },
      { check: 'model code, unhyphenated', query: 'kx4821', lance: [['simple tokenizer', multiFieldQuery('kx4821', fields)]] },
      { check: 'model code, as written', query: 'KX-4821', lance: [['simple tokenizer', multiFieldQuery('KX-4821', fields)]] },
      {
        check: 'plural',
        query: 'lamps',
        lance: [
          ['no stemming', multiFieldQuery('lamps', fields)],
          ['stem: true', new MatchQuery('lamps', 'titleStemmed')],
        ],
      },
    ];
    console.log('');
    console.log('### What each finds (4 products: backpack, mug, tshirt, lamp)');
    console.log('');
    console.log('| check | query | ours | LanceDB 0.31 |');
    console.log('| --- | --- | --- | --- |');
    for (const { check, query, prefix, lance } of checks) {
      const ourHits = ourIndex.search(query, { limit: 10, prefixLastTerm: prefix ?? false }).map((hit) => hit.productId);
      const lanceHits = await Promise.all(lance.map(async ([how, lanceQuery]) => `${how}: ${await found(lanceQuery)}`));
      console.log(`| ${check} | \`${query}\` | ${ourHits.join(', ') || 'nothing'}${prefix ? ' (prefix on)' : ''} | ${lanceHits.join('; ')} |`);
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

void main();
