/**
 * The sample catalog of the embedded stack: generated once into
 * `DATA_DIR/catalog` (via a temporary directory, renamed when complete, so an
 * interrupted generation never leaves half a catalog behind) and reused on
 * every later start. `sample.json` records what it was generated with.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateCatalog, type CatalogProgress } from '@vsearch/catalog-generator';
import { CATALOG_FILE_NAME } from './catalog-file';

export const SAMPLE_DIR_NAME = 'catalog';
const SAMPLE_INFO_FILE = 'sample.json';

export interface SampleCatalogInfo {
  seed: number;
  count: number;
  baseUrl: string;
  generatedAt: string;
}

export interface SampleCatalog {
  dir: string;
  catalogFile: string;
  imagesDir: string;
  /** What the catalog on disk was generated with (absent for a catalog put there by hand). */
  info?: SampleCatalogInfo;
  generated: boolean;
}

export interface EnsureSampleCatalogOptions {
  dataDir: string;
  seed: number;
  count: number;
  baseUrl: string;
  onProgress?: (progress: CatalogProgress) => void;
}

export function sampleCatalogDir(dataDir: string): string {
  return path.join(dataDir, SAMPLE_DIR_NAME);
}

export async function ensureSampleCatalog(options: EnsureSampleCatalogOptions): Promise<SampleCatalog> {
  const dir = sampleCatalogDir(options.dataDir);
  const catalogFile = path.join(dir, CATALOG_FILE_NAME);
  const imagesDir = path.join(dir, 'images');
  if (existsSync(catalogFile)) {
    return { dir, catalogFile, imagesDir, info: await readSampleInfo(dir), generated: false };
  }
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await generateCatalog({ seed: options.seed, count: options.count, outDir: partial, baseUrl: options.baseUrl, onProgress: options.onProgress });
  const info: SampleCatalogInfo = { seed: options.seed, count: options.count, baseUrl: options.baseUrl, generatedAt: new Date().toISOString() };
  await writeFile(path.join(partial, SAMPLE_INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return { dir, catalogFile, imagesDir, info, generated: true };
}

/** Removes what an interrupted generation left (its own temporary directory). */
export async function removePartialCatalog(dataDir: string): Promise<void> {
  await rm(`${sampleCatalogDir(dataDir)}.partial-${process.pid}`, { recursive: true, force: true });
}

async function readSampleInfo(dir: string): Promise<SampleCatalogInfo | undefined> {
  try {
    return JSON.parse(await readFile(path.join(dir, SAMPLE_INFO_FILE), 'utf8')) as SampleCatalogInfo;
  } catch {
    return undefined;
  }
}
