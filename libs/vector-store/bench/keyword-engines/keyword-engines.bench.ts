/**
 * Keyword engines side by side, for issue #15: would another well-kept keyword library answer the
 * embedded store's keyword arm fast enough (hybrid p95 ≤ 1.5 × vector p95 needs the keyword
 * ranking at p95 ≈ 1.3 ms CPU at 100k products)? Compares our MiniSearchLexicalIndex with Orama
 * 3.1.18 (@orama/orama, pure JavaScript) and SQLite's FTS5 (better-sqlite3 12.11.1, a native
 * addon), both installed only in this folder (see its package.json). Prints the figures and the
 * command that reproduces them; asserts nothing.
 *
 * Usage:
 *   npm --prefix libs/vector-store/bench/keyword-engines ci   # better-sqlite3 compiles from source when no prebuilt binary can be downloaded
 *   npx tsc -p libs/vector-store/bench/keyword-engines         # type check, once installed
 *   node tools/cli/bin/run-ts.js libs/vector-store/bench/keyword-engines/keyword-engines.bench.ts
 *          [--products 100000] [--queries 20] [--runs 3] [--seed 1] [--warmup 3] [--typo-queries 2]
 *
 * Every engine holds the same synthetic catalog (hybrid-bench-setup.ts) and gets the same terms:
 * each keyword field's text (lexicalTextByField) analyzed by our analyzer (analyzeText) and joined
 * by spaces, one engine field per keyword field the catalog fills, with our field boosts
 * (LEXICAL_FIELD_BOOSTS). A query is analyzed by analyzeQueryWords and each word's term is sent
 * (ours takes the raw text and analyzes it itself, inside the timing, as the store calls it).
 * - ours: MiniSearchLexicalIndex.searchCounting (all words first, typo search for unknown words),
 *   twice: as the store builds it (with its word match cache: a common word searched over every
 *   product keeps its matches until the next write) and with that cache keeping nothing.
 * - Orama: one `string` property per field, a tokenizer that splits the analyzed text at spaces
 *   and keeps each term once (as Orama's default tokenizer does), sorting off (we never sort by a
 *   field), BM25 (Orama's defaults k 1.2, b 0.75, d 0.5) with our boosts, `threshold: 0` (Orama's
 *   "every term" setting; it keeps a product when one field matched as many dictionary words as
 *   the query has terms). `tolerance: 0` in the runs (Orama still matches every term as a prefix:
 *   `exact: false`, its default); `tolerance: 2` (a swap of two letters is two Levenshtein edits;
 *   Orama applies it to every query term) top 24 only, once, on the first --typo-queries queries of
 *   each kind of run 1: at 100k one pasted description costs it 1 to 2 minutes.
 * - SQLite FTS5, in memory: a contentless table (`content=''`, `contentless_delete=1`, so rows can
 *   be replaced) with one column per field, rowid = the product's position, the `unicode61`
 *   tokenizer (it splits our terms at the spaces and changes nothing else), its rank set to
 *   `bm25(...)` with our boosts, `optimize` once after the bulk insert. A query is the terms each
 *   in double quotes, space-separated: FTS5 ANDs them over the row (any column). No typo tolerance.
 *
 * Passes: one warm-up (--warmup queries per kind, every measure), then per run a top-24 pass
 * (each query: every engine's top 24, in turn, so all see the same machine load) and a deep pass
 * (each query: every engine's 10,000 deep, the depth our store's count and facets read, then
 * FTS5's `count(*)`). Every pass draws its own queries (benchQueries' `draw`), so no measured
 * query was searched before by any engine, except where a kind has few values (category labels,
 * brand + model; the bench prints how many repeat) and a cache may then hold it, as it would in
 * service. Figures are medians over the runs of each run's percentile. CPU time is this
 * process's (user + system); every engine here runs on the calling thread.
 */
import { writeFileSync } from 'node:fs';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { create, insert, search as oramaSearch, type AnyOrama, type Results, type Tokenizer } from '@orama/orama';
import Database from 'better-sqlite3';
import { MATCH_COUNT_CAP } from '@vsearch/contracts';
import { LEXICAL_FIELDS, lexicalTextByField, type LexicalFieldName, type LexicalProductText } from '../../src/lexical/lexical-fields';
import { DEFAULT_FIELD_GROUPS, MiniSearchLexicalIndex } from '../../src/lexical/minisearch.lexical-index';
import type { WordMatchCacheOptions } from '../../src/lexical/word-match-cache';
import { analyzeQueryWords, analyzeText } from '../../src/lexical/tokenizer';
import {
  benchCatalog,
  benchQueries,
  machineLine,
  median,
  medianOverRuns,
  memoryAfterGc,
  parseHybridBenchArgs,
  timedSync,
  type BenchQuery,
  type HybridBenchOptions,
} from '../hybrid-bench-setup';
import { capabilityProducts } from '../synthetic-shopper-catalog';

const PAGE = 24;
const DEEP = MATCH_COUNT_CAP;
const ORAMA_TYPO_TOLERANCE = 2;
/** A word match cache that keeps nothing: no word has this many matches. */
const NO_WORD_CACHE: WordMatchCacheOptions = { minMatches: 2 ** 31, maxHeld: 2 ** 31 };

/** In the order they run on each query: every engine's top 24 first, then the deep rankings, each after the other engines' calls. */
const TOP_MEASURES = ['ours: top 24', 'ours, no word cache: top 24', 'Orama: top 24', 'FTS5: top 24'] as const;
const DEEP_MEASURES = ['ours: 10,000 deep', 'ours, no word cache: 10,000 deep', 'Orama: 10,000 deep', 'FTS5: 10,000 deep', 'FTS5: count(*)'] as const;
const MEASURES = [...TOP_MEASURES, ...DEEP_MEASURES] as const;
/** Measured apart, on the first --typo-queries queries of each kind, once: one pasted description costs it 1 to 2 minutes at 100k. */
const TYPO_MEASURE = 'Orama, tolerance 2: top 24';
type Measure = (typeof MEASURES)[number] | typeof TYPO_MEASURE;

const ENGINES = ['ours', 'orama', 'fts5'] as const;
type Engine = (typeof ENGINES)[number];

function engineOf(measure: Measure): Engine {
  return measure.startsWith('ours') ? 'ours' : measure.startsWith('Orama') ? 'orama' : 'fts5';
}

interface Options extends HybridBenchOptions {
  /** Queries of each kind in the warm-up pass (drawn apart from the measured ones). */
  warmup: number;
  /** Queries of each kind measured with Orama at tolerance 2. */
  typoQueries: number;
  /** The engines built and measured (default all): fewer keep the others' memory, and their garbage collection, out of the process. */
  engines: readonly Engine[];
  /** Where to write every sample as JSON (optional). */
  samples?: string;
}

/** --warmup, --typo-queries, --engines and --samples here, the rest as the other hybrid benches take them. */
function parseArgs(argv: readonly string[]): Options {
  const own = { warmup: 3, typoQueries: 2 };
  let engines: readonly Engine[] = ENGINES;
  let samples: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--engines') {
      const listed = String(argv[++i]).split(',');
      const unknown = listed.filter((engine) => !(ENGINES as readonly string[]).includes(engine));
      if (unknown.length > 0 || listed.length === 0) throw new Error(`--engines takes a comma-separated list of ${ENGINES.join(', ')}, got ${argv[i]}`);
      engines = ENGINES.filter((engine) => listed.includes(engine));
      continue;
    }
    if (argv[i] === '--samples') {
      samples = argv[++i];
      continue;
    }
    const key = argv[i] === '--warmup' ? 'warmup' : argv[i] === '--typo-queries' ? 'typoQueries' : undefined;
    if (!key) {
      rest.push(argv[i]);
      continue;
    }
    const value = Number(argv[++i]);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${argv[i - 1]} takes a whole number, got ${argv[i]}`);
    own[key] = value;
  }
  return {
    ...parseHybridBenchArgs(rest, { products: 100_000, queries: 20, runs: 3, dimension: 8, seed: 1 }),
    ...own,
    engines,
    ...(samples ? { samples } : {}),
  };
}

/** Garbage-collection pauses, as the runtime reports them (start and duration, on performance.now()'s clock). */
const gcPauses: Array<{ start: number; end: number }> = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
}).observe({ entryTypes: ['gc'] });

/** Milliseconds of garbage collection inside [start, end] (the pauses come sorted by start). */
function gcWithin(start: number, end: number): number {
  let low = 0;
  let high = gcPauses.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (gcPauses[middle].end <= start) low = middle + 1;
    else high = middle;
  }
  let total = 0;
  for (let i = low; i < gcPauses.length && gcPauses[i].start < end; i++) total += Math.min(end, gcPauses[i].end) - Math.max(start, gcPauses[i].start);
  return Math.max(0, total);
}

/** Progress on stderr, so a long run shows where it is without touching the tables on stdout. */
function progress(line: string): void {
  process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
}

/** What one timed call found: the ids it returned and how many products matched in all (where the engine says). */
interface Found {
  ids: string[];
  matched: number;
}

interface Sample {
  set: string;
  text: string;
  measure: Measure;
  /** performance.now() at the call's start and end, to find the garbage collection inside it. */
  start: number;
  end: number;
  gcMs: number;
  wallMs: number;
  cpuMs: number;
  matched: number;
  ids: string[];
}

type IndexedField = { name: LexicalFieldName; boost: number };
type AnalyzedProduct = { id: string } & Partial<Record<LexicalFieldName, string>>;

/** The keyword fields the catalog fills (the synthetic catalog has no tags and no image descriptions). */
function fieldsWithText(texts: ReadonlyArray<LexicalProductText>): IndexedField[] {
  return LEXICAL_FIELDS.filter(({ name }) => texts.some((text) => lexicalTextByField(text)[name] !== '')).map(({ name, boost }) => ({ name, boost }));
}

/** Each field's text as our analyzer's terms joined by spaces: what Orama and FTS5 index. */
function analyzedProduct(id: string, text: LexicalProductText, fields: readonly IndexedField[]): AnalyzedProduct {
  const texts = lexicalTextByField(text);
  const product: AnalyzedProduct = { id };
  for (const { name } of fields) product[name] = analyzeText(texts[name]).join(' ');
  return product;
}

/** The query's words as our analyzer makes them (each word's term), for the engines that take terms. */
function queryTerms(text: string): string[] {
  return analyzeQueryWords(text).map((word) => word.term);
}

// ---------------------------------------------------------------------------------------------
// Orama

type OramaDb = AnyOrama;

/** Splits the analyzed text at its spaces and keeps each term once, as Orama's default tokenizer keeps each token once. */
const SPACE_TOKENIZER: Tokenizer = {
  language: 'english',
  normalizationCache: new Map(),
  tokenize: (raw: string) => [...new Set(raw.split(' ').filter((term) => term !== ''))],
};

function createOrama(fields: readonly IndexedField[]): OramaDb {
  return create({
    schema: Object.fromEntries(fields.map(({ name }) => [name, 'string' as const])),
    components: { tokenizer: SPACE_TOKENIZER },
    sort: { enabled: false },
  }) as OramaDb;
}

function oramaQuery(db: OramaDb, fields: readonly IndexedField[], text: string, limit: number, tolerance: number): Found {
  const terms = queryTerms(text);
  if (terms.length === 0) return { ids: [], matched: 0 };
  const results = oramaSearch(db, {
    term: terms.join(' '),
    properties: fields.map(({ name }) => name),
    boost: Object.fromEntries(fields.map(({ name, boost }) => [name, boost])),
    tolerance,
    threshold: 0,
    limit,
  }) as Results<AnalyzedProduct> | Promise<unknown>;
  if (results instanceof Promise) throw new Error('Orama answered asynchronously: this bench times it as a synchronous call');
  return { ids: results.hits.map((hit) => hit.id), matched: results.count };
}

// ---------------------------------------------------------------------------------------------
// SQLite FTS5

interface Fts5 {
  db: Database.Database;
  top: Database.Statement<[string, number], number>;
  count: Database.Statement<[string], number>;
}

function createFts5(fields: readonly IndexedField[]): Fts5 {
  const db = new Database(':memory:');
  db.exec(`CREATE VIRTUAL TABLE products USING fts5(${fields.map(({ name }) => name).join(', ')}, content='', contentless_delete=1, tokenize='unicode61')`);
  db.prepare(`INSERT INTO products(products, rank) VALUES ('rank', ?)`).run(`bm25(${fields.map(({ boost }) => boost).join(', ')})`);
  return {
    db,
    top: db.prepare<[string, number], number>('SELECT rowid FROM products WHERE products MATCH ? ORDER BY rank LIMIT ?').pluck(),
    count: db.prepare<[string], number>('SELECT count(*) FROM products WHERE products MATCH ?').pluck(),
  };
}

/** The terms as an FTS5 query: each a quoted string (no FTS5 syntax), ANDed by the spaces. */
function fts5Match(terms: readonly string[]): string {
  return terms.map((term) => `"${term.replaceAll('"', '""')}"`).join(' ');
}

function fts5Query(fts: Fts5, ids: readonly string[], text: string, limit: number): Found {
  const terms = queryTerms(text);
  if (terms.length === 0) return { ids: [], matched: 0 };
  const rows = fts.top.all(fts5Match(terms), limit);
  return { ids: rows.map((rowid) => ids[rowid - 1]), matched: rows.length };
}

function fts5Count(fts: Fts5, text: string): Found {
  const terms = queryTerms(text);
  if (terms.length === 0) return { ids: [], matched: 0 };
  return { ids: [], matched: fts.count.get(fts5Match(terms)) ?? 0 };
}

function fts5Bytes(db: Database.Database): number {
  return (db.pragma('page_count', { simple: true }) as number) * (db.pragma('page_size', { simple: true }) as number);
}

// ---------------------------------------------------------------------------------------------

interface Build {
  name: string;
  wallMs: number;
  cpuMs: number;
  heapBytes: number;
  rssBytes: number;
  note: string;
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const enginesFlag = options.engines.length === ENGINES.length ? '' : ` --engines ${options.engines.join(',')}`;
  const command = `node tools/cli/bin/run-ts.js libs/vector-store/bench/keyword-engines/keyword-engines.bench.ts --products ${options.products} --queries ${options.queries} --runs ${options.runs} --seed ${options.seed} --warmup ${options.warmup} --typo-queries ${options.typoQueries}${enginesFlag}`;
  const enabled = (measure: Measure) => options.engines.includes(engineOf(measure));
  const topMeasures = TOP_MEASURES.filter(enabled);
  const deepMeasures = DEEP_MEASURES.filter(enabled);
  const withTypos = options.engines.includes('orama') && options.typoQueries > 0;
  console.log(
    `Keyword engines side by side: ${options.products} products, ${options.queries} queries per kind, ${options.runs} runs, warm-up ${options.warmup} queries per kind, engines ${options.engines.join(', ')}${withTypos ? `, Orama tolerance 2 on ${options.typoQueries} queries per kind` : ''}, seed ${options.seed}`,
  );
  console.log(machineLine());
  console.log(`started ${new Date().toISOString()}`);
  printCapabilities();

  const { products } = benchCatalog(options);
  const ids = products.map((product) => product.productId);
  const fields = fieldsWithText(products.map((product) => product.text));
  console.log('');
  console.log(`fields: ${fields.map(({ name, boost }) => `${name} ×${boost}`).join(', ')}`);

  const analysis = timedSync(() => products.map((product) => analyzedProduct(product.productId, product.text, fields)));
  const analyzed = analysis.result;
  const builds: Build[] = [];
  const measureBuild = <T>(name: string, note: (built: T) => string, build: () => T): T => {
    const before = memoryAfterGc();
    const { result, wallMs, cpuMs } = timedSync(build);
    const after = memoryAfterGc();
    builds.push({ name, wallMs, cpuMs, heapBytes: after.heapUsed - before.heapUsed, rssBytes: after.rss - before.rss, note: note(result) });
    return result;
  };

  const build = <T>(engine: Engine, make: () => T): T | undefined => (options.engines.includes(engine) ? make() : undefined);
  const fts = build('fts5', () =>
    measureBuild(
      'SQLite FTS5 (insert in one transaction, then optimize)',
      (built: Fts5) => `database ${(fts5Bytes(built.db) / 2 ** 20).toFixed(1)} MiB (page_count × page_size)`,
      () => {
        const built = createFts5(fields);
        const add = built.db.prepare(`INSERT INTO products(rowid, ${fields.map(({ name }) => name).join(', ')}) VALUES (?${', ?'.repeat(fields.length)})`);
        built.db.transaction(() => analyzed.forEach((product, position) => add.run(position + 1, ...fields.map(({ name }) => product[name] ?? ''))))();
        built.db.exec(`INSERT INTO products(products) VALUES ('optimize')`);
        return built;
      },
    ),
  );
  const ourIndex = (wordCache?: WordMatchCacheOptions) => () => {
    const index = new MiniSearchLexicalIndex(DEFAULT_FIELD_GROUPS, undefined, wordCache);
    for (const product of products) index.upsert(product.productId, product.text);
    return index;
  };
  const ours = build('ours', () =>
    measureBuild('ours: MiniSearchLexicalIndex (upsert per product, analyzes the text itself)', () => 'analysis included', ourIndex()),
  );
  const oursUncached = build('ours', () =>
    measureBuild('ours again, word cache off (for the no-cache measures)', () => 'the same index', ourIndex(NO_WORD_CACHE)),
  );
  const orama = build('orama', () =>
    measureBuild(
      'Orama (insert per product)',
      () => 'keeps each document (the analyzed texts) too',
      () => {
        const db = createOrama(fields);
        for (const product of analyzed) {
          const inserted = insert(db, product);
          if (inserted instanceof Promise) throw new Error('Orama inserted asynchronously');
        }
        return db;
      },
    ),
  );

  const searchOurs = (index: MiniSearchLexicalIndex, text: string, limit: number): Found => {
    const { hits, matched } = index.searchCounting(text, { limit });
    return { ids: hits.map((hit) => hit.productId), matched };
  };
  const afterBuilds = memoryAfterGc();
  // Only the enabled engines' measures run, so the others' `!` is never reached.
  const search: Record<Measure, (text: string) => Found> = {
    'ours: top 24': (text) => searchOurs(ours!, text, PAGE),
    'ours: 10,000 deep': (text) => searchOurs(ours!, text, DEEP),
    'ours, no word cache: top 24': (text) => searchOurs(oursUncached!, text, PAGE),
    'ours, no word cache: 10,000 deep': (text) => searchOurs(oursUncached!, text, DEEP),
    'Orama: top 24': (text) => oramaQuery(orama!, fields, text, PAGE, 0),
    'Orama: 10,000 deep': (text) => oramaQuery(orama!, fields, text, DEEP, 0),
    [TYPO_MEASURE]: (text) => oramaQuery(orama!, fields, text, PAGE, ORAMA_TYPO_TOLERANCE),
    'FTS5: top 24': (text) => fts5Query(fts!, ids, text, PAGE),
    'FTS5: 10,000 deep': (text) => fts5Query(fts!, ids, text, DEEP),
    'FTS5: count(*)': (text) => fts5Count(fts!, text),
  };

  // Each pass draws its own queries (benchQueries' draw): the top-24 pass of run r draws r, its deep pass 100 + r, the warm-up 1000.
  const { kinds } = benchQueries(products, options);
  const topQueries = (run: number) => benchQueries(products, options, run).queries;
  const deepQueries = (run: number) => benchQueries(products, options, 100 + run).queries;
  const warmUp = benchQueries(products, { ...options, queries: options.warmup }, 1000).queries;
  const measuredTexts = Array.from({ length: options.runs }, (_, run) => [...topQueries(run + 1), ...deepQueries(run + 1)]).flat();
  const seen = new Set(warmUp.map((query) => query.text));
  const repeatsByKind = new Map<string, number>();
  for (const query of measuredTexts) {
    if (seen.has(query.text)) repeatsByKind.set(query.set, (repeatsByKind.get(query.set) ?? 0) + 1);
    seen.add(query.text);
  }
  console.log(
    `queries: ${measuredTexts.length} measured (each run: ${options.queries} per kind for the top 24, ${options.queries} others for 10,000 deep), warm-up ${warmUp.length}; measured texts seen before in the bench: ${kinds.map((kind) => `${kind} ${repeatsByKind.get(kind) ?? 0}`).join(', ')}`,
  );

  /** The queries in turn, each measure on each; between queries the event loop runs (outside the timings), so the GC observer keeps up. */
  const pass = async (name: string, passQueries: readonly BenchQuery[], measures: readonly Measure[]): Promise<Sample[]> => {
    progress(`${name}: ${passQueries.length} queries × ${measures.length} measures`);
    const samples: Sample[] = [];
    for (const query of passQueries) {
      for (const measure of measures) {
        const start = performance.now();
        const { result, wallMs, cpuMs } = timedSync(() => search[measure](query.text));
        const end = performance.now();
        samples.push({
          set: query.set,
          text: query.text,
          measure,
          start,
          end,
          gcMs: 0,
          wallMs,
          cpuMs,
          matched: result.matched,
          ids: result.ids.slice(0, PAGE),
        });
        if (wallMs > 5000) progress(`  ${measure}, ${query.set}: ${(wallMs / 1000).toFixed(1)} s`);
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    return samples;
  };
  const passTimes: string[] = [];
  const started = performance.now();
  await pass('warm-up', warmUp, [...topMeasures, ...deepMeasures]);
  passTimes.push(`warm-up ${((performance.now() - started) / 1000).toFixed(0)} s`);
  const runs: Sample[][] = [];
  for (let run = 1; run <= options.runs; run++) {
    const runStart = performance.now();
    runs.push([
      ...(await pass(`run ${run} of ${options.runs}, top 24`, topQueries(run), topMeasures)),
      ...(await pass(`run ${run} of ${options.runs}, 10,000 deep`, deepQueries(run), deepMeasures)),
    ]);
    passTimes.push(`run ${run} ${((performance.now() - runStart) / 1000).toFixed(0)} s`);
  }
  const typoQueries = kinds.flatMap((kind) =>
    topQueries(1)
      .filter((query) => query.set === kind)
      .slice(0, options.typoQueries),
  );
  const typoStart = performance.now();
  const typo = withTypos ? await pass('Orama, tolerance 2', typoQueries, [TYPO_MEASURE]) : [];
  if (withTypos) passTimes.push(`Orama tolerance 2 ${((performance.now() - typoStart) / 1000).toFixed(0)} s`);
  await new Promise((resolve) => setTimeout(resolve, 100)); // the last GC entries
  gcPauses.sort((a, b) => a.start - b.start);
  for (const sample of [...runs.flat(), ...typo]) sample.gcMs = gcWithin(sample.start, sample.end);
  console.log(`passes (wall): ${passTimes.join(', ')}`);

  printBuilds(options.products, analysis, builds, afterBuilds);
  printLatencies(runs, kinds, topMeasures, deepMeasures);
  if (withTypos) printTypoSpot(typo, runs[0], kinds, options.typoQueries);
  printMatches(runs[0], typo, kinds, options.engines, withTypos);
  if (orama) printOramaPostingsCost(orama);
  if (options.samples) {
    const slim = (sample: Sample) => ({
      set: sample.set,
      text: sample.text,
      measure: sample.measure,
      cpuMs: sample.cpuMs,
      wallMs: sample.wallMs,
      gcMs: sample.gcMs,
      matched: sample.matched,
    });
    writeFileSync(options.samples, JSON.stringify({ command, runs: runs.map((samples) => samples.map(slim)), typo: typo.map(slim) }));
    console.log('');
    console.log(`samples: ${options.samples}`);
  }
  fts?.db.close();
  console.log('');
  console.log(`finished ${new Date().toISOString()}; ${machineLine()}`);
  console.log(`command: ${command}`);
}

const MiB = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

function printBuilds(
  productCount: number,
  analysis: { wallMs: number; cpuMs: number },
  builds: readonly Build[],
  afterBuilds: { heapUsed: number; rss: number },
): void {
  const seconds = ({ wallMs, cpuMs }: { wallMs: number; cpuMs: number }) => `${(wallMs / 1000).toFixed(1)} / ${(cpuMs / 1000).toFixed(1)}`;
  console.log('');
  console.log(`### Build, ${productCount} products`);
  console.log('');
  console.log('| engine | s wall / s CPU | heap held after GC, MiB | RSS growth, MiB | note |');
  console.log('| --- | --- | --- | --- | --- |');
  console.log(`| our analyzer over every field (the terms Orama and FTS5 are fed; not in their build times) | ${seconds(analysis)} | | | |`);
  for (const build of builds) console.log(`| ${build.name} | ${seconds(build)} | ${MiB(build.heapBytes)} | ${MiB(build.rssBytes)} | ${build.note} |`);
  console.log(
    `| the process after the builds (the catalog, the analyzed texts and every engine built) | | ${MiB(afterBuilds.heapUsed)} in all | ${MiB(afterBuilds.rss)} in all | |`,
  );
}

function figure(runs: Sample[][], measure: Measure, p: number, field: 'wallMs' | 'cpuMs', set?: string): number {
  return medianOverRuns(
    runs,
    p,
    (sample) => sample.measure === measure && (set === undefined || sample.set === set),
    (sample) => sample[field],
  );
}

function ms(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

function printLatencies(runs: Sample[][], kinds: readonly string[], topMeasures: readonly Measure[], deepMeasures: readonly Measure[]): void {
  const cells = (measure: Measure, field: 'wallMs' | 'cpuMs', set?: string) =>
    `${ms(figure(runs, measure, 0.5, field, set))} / ${ms(figure(runs, measure, 0.95, field, set))}`;
  const gc = (measure: Measure) => {
    const samples = runs.flat().filter((sample) => sample.measure === measure);
    const gcMs = samples.reduce((sum, sample) => sum + sample.gcMs, 0);
    const wallMs = samples.reduce((sum, sample) => sum + sample.wallMs, 0);
    const pauses = samples.filter((sample) => sample.gcMs >= 100).length;
    return `${(gcMs / 1000).toFixed(1)} s of ${(wallMs / 1000).toFixed(1)} s (${Math.round((100 * gcMs) / wallMs)}%); ${pauses} calls with ≥ 100 ms`;
  };
  console.log('');
  console.log(
    `### All query kinds (ms, p50 / p95; ${runs.length === 2 ? "the higher of the 2 runs' percentiles" : `median of the ${runs.length} runs' percentiles`})`,
  );
  console.log('');
  console.log('| measure | CPU | wall | garbage collection inside the calls, all runs |');
  console.log('| --- | --- | --- | --- |');
  for (const measure of [...topMeasures, ...deepMeasures])
    console.log(`| ${measure} | ${cells(measure, 'cpuMs')} | ${cells(measure, 'wallMs')} | ${gc(measure)} |`);

  const perKind = (title: string, measures: readonly Measure[]) => {
    console.log('');
    console.log(`### ${title} per query kind (ms CPU, p50 / p95)`);
    console.log('');
    console.log(`| queries | ${measures.join(' | ')} |`);
    console.log(`| --- | ${measures.map(() => '---').join(' | ')} |`);
    for (const set of [undefined, ...kinds])
      console.log(`| ${set ?? '**all kinds**'} | ${measures.map((measure) => cells(measure, 'cpuMs', set)).join(' | ')} |`);
  };
  perKind('Top 24', topMeasures);
  perKind('10,000 deep', deepMeasures);
}

/** Orama at tolerance 2, measured once on a few queries of each kind: each query's CPU ms, beside Orama at tolerance 0 on the same queries (first run). */
function printTypoSpot(typoSamples: readonly Sample[], runSamples: readonly Sample[], kinds: readonly string[], perKind: number): void {
  console.log('');
  console.log(`### Orama, tolerance 2, top 24: the first ${perKind} queries of each kind, measured once after the runs (ms CPU per query)`);
  console.log('');
  console.log('| queries | Orama, tolerance 2 | Orama, tolerance 0 (run 1, same queries) | ours (run 1, same queries) |');
  console.log('| --- | --- | --- | --- |');
  const firstOf = (measure: Measure, set: string) => runSamples.filter((sample) => sample.measure === measure && sample.set === set).slice(0, perKind);
  for (const set of kinds) {
    const typo = typoSamples.filter((sample) => sample.set === set).map((sample) => ms(sample.cpuMs));
    const exact = firstOf('Orama: top 24', set).map((sample) => ms(sample.cpuMs));
    const ours = firstOf('ours: top 24', set).map((sample) => ms(sample.cpuMs));
    console.log(`| ${set} | ${typo.join(', ')} | ${exact.join(', ')} | ${ours.join(', ')} |`);
  }
  const all = typoSamples.map((sample) => sample.cpuMs);
  console.log(`| **all ${all.length}** | median ${ms(median(all))}, max ${ms(Math.max(...all))} | | |`);
}

/**
 * Per kind, the median number of products each engine matched (and how many queries matched
 * nothing), and how much of our top 24 its top 24 holds: first measured run; Orama at tolerance 2
 * on its few queries, against ours on the same ones.
 */
function printMatches(
  runSamples: readonly Sample[],
  typoSamples: readonly Sample[],
  kinds: readonly string[],
  engines: readonly Engine[],
  withTypos: boolean,
): void {
  const of = (measure: Measure, set: string) =>
    (measure === TYPO_MEASURE ? typoSamples : runSamples).filter((sample) => sample.measure === measure && sample.set === set);
  const matched = (measure: Measure, set: string) => median(of(measure, set).map((sample) => sample.matched));
  const empty = (measure: Measure, set: string) => of(measure, set).filter((sample) => sample.matched === 0).length;
  const count = (measure: Measure, set: string) =>
    `${matched(measure, set).toLocaleString('en-US')} (${empty(measure, set)} of ${of(measure, set).length} empty)`;
  const overlap = (measure: Measure, set: string) => {
    const ourPages = of('ours: top 24', set);
    let shared = 0;
    let total = 0;
    of(measure, set).forEach((page, i) => {
      const returned = new Set(page.ids);
      shared += ourPages[i].ids.filter((id) => returned.has(id)).length;
      total += ourPages[i].ids.length;
    });
    return total === 0 ? '–' : `${Math.round((100 * shared) / total)}%`;
  };
  console.log('');
  console.log('### Products matched per query, and how much of our top 24 each top 24 holds');
  console.log('');
  console.log(
    `Median over the kind's queries of the products matched (ours: \`matched\`; Orama: \`count\`; FTS5: \`count(*)\`), with the queries that matched nothing; then the share of our top 24 found in the engine's top 24.${withTypos ? ' Orama at tolerance 2: its few queries only.' : ''}`,
  );
  console.log('');
  const allColumns: Array<{ name: string; count: Measure; top: Measure }> = [
    { name: 'ours', count: 'ours: 10,000 deep', top: 'ours: top 24' },
    { name: 'Orama', count: 'Orama: 10,000 deep', top: 'Orama: top 24' },
    { name: 'FTS5', count: 'FTS5: count(*)', top: 'FTS5: top 24' },
    { name: 'Orama, tolerance 2', count: TYPO_MEASURE, top: TYPO_MEASURE },
  ];
  const columns = allColumns.filter(({ count }) => engines.includes(engineOf(count)) && (count !== TYPO_MEASURE || withTypos));
  if (!engines.includes('ours')) return;
  const others = columns.filter(({ name }) => name !== 'ours');
  console.log(`| queries | ${columns.map(({ name }) => name).join(' | ')} | our top 24 in ${others.map(({ name }) => name).join(' / ')} top 24 |`);
  console.log(`| --- | ${columns.map(() => '---').join(' | ')} | --- |`);
  for (const set of kinds) {
    console.log(
      `| ${set} | ${columns.map(({ count: measure }) => count(measure, set)).join(' | ')} | ${others.map(({ top }) => overlap(top, set)).join(' / ')} |`,
    );
  }
}

/** The parts of Orama's index this bench reads (internals, not its API): each field's radix tree and its terms' document counts. */
interface OramaIndexInternals {
  indexes: Record<string, { node: { find(params: { term: string; exact: boolean; tolerance: number }): Record<string, number[]> } }>;
  tokenOccurrences: Record<string, Record<string, number>>;
}

/**
 * What Orama's radix tree costs to hand out one description term's postings, by how many
 * products hold the term, against copying the same postings: its find() adds each product with
 * an `includes` check over the products added so far, so the cost grows with the square of the postings.
 */
function printOramaPostingsCost(db: OramaDb): void {
  const index = (db as unknown as { data: { index: OramaIndexInternals } }).data.index;
  const counts = Object.entries(index.tokenOccurrences.description).sort((a, b) => a[1] - b[1]);
  const near = (target: number) => counts.reduce((best, entry) => (Math.abs(entry[1] - target) < Math.abs(best[1] - target) ? entry : best));
  const terms = [
    ...new Set([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, Infinity].map((target) => (target === Infinity ? counts[counts.length - 1] : near(target))[0])),
  ];
  console.log('');
  console.log("### Orama: one description term's postings from its radix tree (find, exact) against copying them (ms CPU)");
  console.log('');
  console.log('| term | products holding it | find | copying the same postings |');
  console.log('| --- | --- | --- | --- |');
  for (const term of terms) {
    const found = timedSync(() => index.indexes.description.node.find({ term, exact: true, tolerance: 0 }));
    const copied = timedSync(() => Object.values(found.result).reduce((sum, ids) => sum + Array.from(ids).length, 0));
    console.log(`| ${term} | ${copied.result.toLocaleString('en-US')} | ${ms(found.cpuMs)} | ${ms(copied.cpuMs)} |`);
  }
}

/**
 * What each engine finds on four products: typos, prefixes, every word across fields, compounds,
 * accents, plurals. Every engine is fed our analyzer's terms, so accents and compounds are the
 * analyzer's work; the rest is the engine's.
 */
function printCapabilities(): void {
  const products = capabilityProducts();
  const fields = fieldsWithText(products.map(({ text }) => text));
  const ourIndex = new MiniSearchLexicalIndex();
  for (const { id, text } of products) ourIndex.upsert(id, text);
  const analyzed = products.map(({ id, text }) => analyzedProduct(id, text, fields));
  const db = createOrama(fields);
  for (const one of analyzed) void insert(db, one);
  const fts = createFts5(fields);
  const add = fts.db.prepare(`INSERT INTO products(rowid, ${fields.map(({ name }) => name).join(', ')}) VALUES (?${', ?'.repeat(fields.length)})`);
  analyzed.forEach((one, i) => add.run(i + 1, ...fields.map(({ name }) => one[name] ?? '')));
  const ids = products.map(({ id }) => id);

  const list = (found: readonly string[]) => found.join(', ') || 'nothing';
  const orama = (query: string, tolerance: number, threshold: number, exact = false) => {
    const terms = queryTerms(query);
    const results = oramaSearch(db, {
      term: terms.join(' '),
      properties: fields.map(({ name }) => name),
      boost: Object.fromEntries(fields.map(({ name, boost }) => [name, boost])),
      tolerance,
      threshold,
      exact,
      limit: 10,
    }) as Results<AnalyzedProduct>;
    return list(results.hits.map((hit) => hit.id));
  };
  const fts5 = (match: string) => {
    try {
      return list(
        fts.db
          .prepare<[string], number>('SELECT rowid FROM products WHERE products MATCH ? ORDER BY rank LIMIT 10')
          .pluck()
          .all(match)
          .map((rowid) => ids[rowid - 1]),
      );
    } catch (error) {
      return `error: ${(error as Error).message}`;
    }
  };
  const checks: Array<{ check: string; query: string; prefix?: boolean }> = [
    { check: 'typo, two letters swapped', query: 'bakcpack' },
    { check: 'typo, one edit', query: 'backpak' },
    { check: 'prefix of a word', query: 'backp', prefix: true },
    { check: 'short word that starts others', query: 'red' },
    { check: 'every word, across fields', query: 'northwind backpack' },
    { check: 'every word, one field', query: 'red backpack' },
    { check: 'compound, joined', query: 'tshirt' },
    { check: 'compound, hyphenated', query: 'T-Shirt' },
    { check: 'compound, typed apart', query: 'back pack' },
    { check: 'model code, as written', query: 'KX-4821' },
    { check: 'accents', query: 'creme' },
    { check: 'plural', query: 'lamps' },
  ];
  console.log('');
  console.log("### What each finds (4 products: backpack, mug, tshirt, lamp; Orama and FTS5 fed our analyzer's terms)");
  console.log('');
  console.log(
    '| check | query | terms sent | ours | Orama, tolerance 0 | Orama, tolerance 2 | Orama, `exact: true` | Orama, threshold 1 (any word) | FTS5 | FTS5, last term as prefix |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const { check, query, prefix } of checks) {
    const ourHits = ourIndex.search(query, { limit: 10, prefixLastTerm: prefix ?? false }).map((hit) => hit.productId);
    const terms = queryTerms(query);
    const prefixMatch = terms.map((term, i) => `"${term}"${i === terms.length - 1 ? '*' : ''}`).join(' ');
    console.log(
      `| ${check} | \`${query}\` | ${terms.join(' ')} | ${list(ourHits)}${prefix ? ' (prefix on)' : ''} | ${orama(query, 0, 0)} | ${orama(query, 2, 0)} | ${orama(query, 0, 0, true)} | ${orama(query, 0, 1)} | ${fts5(fts5Match(terms))} | ${fts5(prefixMatch)} |`,
    );
  }
  fts.db.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
