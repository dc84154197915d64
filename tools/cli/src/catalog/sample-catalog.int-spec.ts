// real: the catalog generator (sharp), the file system. fake: nothing.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateSampleCatalog, inspectSampleCatalog } from './sample-catalog';

describe('sample catalog of npm start', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = mkdtempSync(path.join(tmpdir(), 'vsearch-sample-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const options = { seed: 3, count: 4, baseUrl: 'http://127.0.0.1:9999/catalog-images' };

  it('is missing, then complete once generated, with what it was generated with', async () => {
    const missing = await inspectSampleCatalog(dataDir);
    expect(missing.state).toBe('missing');
    const generated = await generateSampleCatalog(missing, options);
    expect(generated.state).toBe('complete');
    expect(readFileSync(generated.catalogFile, 'utf8').trim().split('\n')).toHaveLength(4);
    const again = await inspectSampleCatalog(dataDir);
    expect(again).toMatchObject({ state: 'complete', info: { seed: 3, count: 4, baseUrl: options.baseUrl } });
    await expect(generateSampleCatalog(again, options)).rejects.toThrow(/already holds a complete catalog/);
  });

  it('treats an interrupted generation as incomplete and redoes it, keeping the images already written', async () => {
    const catalog = await inspectSampleCatalog(dataDir);
    await generateSampleCatalog(catalog, options);
    // Simulate an interruption: the in-progress mark is back and the catalog file is cut short.
    writeFileSync(path.join(catalog.dir, '.generating'), '1\n');
    writeFileSync(catalog.catalogFile, readFileSync(catalog.catalogFile, 'utf8').split('\n')[0] + '\n');
    // Images ingestion may still fetch must not vanish: a file the generator never writes shows they were kept.
    const lastProduct = readdirSync(catalog.imagesDir).sort().at(-1)!;
    const kept = path.join(catalog.imagesDir, lastProduct, 'kept-by-the-restart.txt');
    writeFileSync(kept, 'x');
    const interrupted = await inspectSampleCatalog(dataDir);
    expect(interrupted.state).toBe('incomplete');
    await generateSampleCatalog(interrupted, options);
    expect(existsSync(kept)).toBe(true);
    expect((await inspectSampleCatalog(dataDir)).state).toBe('complete');
    expect(readFileSync(catalog.catalogFile, 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('takes a catalog.jsonl put there by hand as complete and never regenerates it', async () => {
    mkdirSync(path.join(dataDir, 'catalog'));
    writeFileSync(path.join(dataDir, 'catalog/catalog.jsonl'), '{"mine":true}\n');
    const catalog = await inspectSampleCatalog(dataDir);
    expect(catalog).toMatchObject({ state: 'complete', info: undefined });
  });
});
