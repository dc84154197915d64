/**
 * The sample catalog of the embedded stack, in `DATA_DIR/catalog`: generated on
 * the first start (while the services already run, so its products are indexed
 * as they appear) and reused on every later start. A `.generating` file marks a
 * generation in progress: a catalog interrupted half-way is generated again
 * (the generator is deterministic, so the events are the same), while a
 * `catalog.jsonl` put there by hand is never touched. `sample.json` records what
 * the catalog was generated with.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateCatalog, type CatalogProgress } from '@vsearch/catalog-generator';
import { CATALOG_FILE_NAME } from './catalog-file';

export const SAMPLE_DIR_NAME = 'catalog';
const SAMPLE_INFO_FILE = 'sample.json';
const IN_PROGRESS_FILE = '.generating';

export interface SampleCatalogInfo {
  seed: number;
  count: number;
  baseUrl: string;
  generatedAt: string;
}

export interface SampleCatalog {
  /** complete: ready to use; missing or incomplete: to be generated. */
  state: 'complete' | 'missing' | 'incomplete';
  dir: string;
  catalogFile: string;
  imagesDir: string;
  /** What the catalog on disk was generated with (absent for a catalog put there by hand). */
  info?: SampleCatalogInfo;
}

export interface GenerateSampleOptions {
  seed: number;
  count: number;
  baseUrl: string;
  onProgress?: (progress: CatalogProgress) => void;
}

export async function inspectSampleCatalog(dataDir: string): Promise<SampleCatalog> {
  const dir = path.join(dataDir, SAMPLE_DIR_NAME);
  const catalogFile = path.join(dir, CATALOG_FILE_NAME);
  const paths = { dir, catalogFile, imagesDir: path.join(dir, 'images') };
  if (existsSync(path.join(dir, IN_PROGRESS_FILE))) return { state: 'incomplete', ...paths };
  if (!existsSync(catalogFile)) return { state: 'missing', ...paths };
  return { state: 'complete', ...paths, info: await readSampleInfo(dir) };
}

/** Generates the catalog into `catalog.dir` (replacing an incomplete one); lines appear in catalog.jsonl as products finish. */
export async function generateSampleCatalog(catalog: SampleCatalog, options: GenerateSampleOptions): Promise<SampleCatalog> {
  if (catalog.state === 'complete') throw new Error(`${catalog.dir} already holds a complete catalog`);
  // An interrupted catalog's images stay: ingestion may still be fetching them for events published
  // before the interruption, and the deterministic generator writes the same bytes again. Without
  // catalog.jsonl the generator leaves the images directory alone.
  await rm(catalog.catalogFile, { force: true });
  await mkdir(catalog.dir, { recursive: true });
  await writeFile(path.join(catalog.dir, IN_PROGRESS_FILE), `${process.pid}\n`);
  await generateCatalog({ seed: options.seed, count: options.count, outDir: catalog.dir, baseUrl: options.baseUrl, onProgress: options.onProgress });
  const info: SampleCatalogInfo = { seed: options.seed, count: options.count, baseUrl: options.baseUrl, generatedAt: new Date().toISOString() };
  await writeFile(path.join(catalog.dir, SAMPLE_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
  await rm(path.join(catalog.dir, IN_PROGRESS_FILE));
  return { ...catalog, state: 'complete', info };
}

async function readSampleInfo(dir: string): Promise<SampleCatalogInfo | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, SAMPLE_INFO_FILE), 'utf8')) as SampleCatalogInfo;
  } catch {
    return undefined;
  }
}
