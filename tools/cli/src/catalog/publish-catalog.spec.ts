import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CATALOG_PRODUCTS_TOPIC } from '@vsearch/contracts';
import { publishCatalog, type CatalogSink } from './publish-catalog';
import { countCatalogEvents, resolveCatalogFile } from './catalog-file';

// real: the file system, @vsearch/contracts; fake: the event log (records what it is given).
class RecordingSink implements CatalogSink {
  readonly calls: { topic: string; records: { key: string | null; value: unknown }[] }[] = [];
  async publish(topic: string, records: { key: string | null; value: string | Buffer | null }[]): Promise<void> {
    this.calls.push({ topic, records: [...records] });
  }
}

const upsert = (id: string) =>
  JSON.stringify({
    type: 'product.upserted',
    productId: id,
    version: 1,
    title: `Product ${id}`,
    categories: ['women', 'boots'],
    price: { amount: 10, currency: 'EUR' },
    inStock: true,
    images: [{ id: 'i1', url: `http://127.0.0.1:8080/catalog-images/${id}/i1.jpg` }],
    occurredAt: '2026-01-01T00:00:00Z',
  });
const deleted = (id: string) => JSON.stringify({ type: 'product.deleted', productId: id, version: 2, occurredAt: '2026-01-01T00:00:00Z' });

describe(publishCatalog.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'vsearch-publish-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('publishes valid events keyed by product id in batches, and reports invalid lines with their numbers', async () => {
    const file = path.join(dir, 'catalog.jsonl');
    writeFileSync(
      file,
      [upsert('p1'), upsert('p2'), '', '{"type":"product.upserted","productId":"p3"}', 'not json', deleted('p1'), upsert('p4')].join('\n') + '\n',
    );
    const sink = new RecordingSink();
    const summary = await publishCatalog(sink, file, { batchSize: 2 });
    expect(summary).toMatchObject({ published: 4, upserts: 3, deletes: 1, invalid: 2 });
    expect(summary.invalidLines.map((line) => [line.lineNumber, line.code])).toEqual([
      [4, 'schema_violation'],
      [5, 'invalid_json'],
    ]);
    expect(sink.calls.map((call) => call.records.length)).toEqual([2, 2]);
    expect(sink.calls.every((call) => call.topic === CATALOG_PRODUCTS_TOPIC)).toBe(true);
    expect(sink.calls.flatMap((call) => call.records.map((record) => record.key))).toEqual(['p1', 'p2', 'p1', 'p4']);
    expect(JSON.parse(sink.calls[0].records[0].value as string)).toMatchObject({ productId: 'p1' });
  });

  it('publishes nothing on a dry run but still counts', async () => {
    const file = path.join(dir, 'catalog.jsonl');
    writeFileSync(file, `${upsert('p1')}\n${upsert('p2')}\n`);
    const sink = new RecordingSink();
    expect(await publishCatalog(sink, file, { dryRun: true })).toMatchObject({ published: 2, invalid: 0 });
    expect(sink.calls).toEqual([]);
    expect(await countCatalogEvents(file)).toEqual({ valid: 2, invalid: 0 });
  });
});

describe(resolveCatalogFile.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'vsearch-resolve-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a file or a generator output directory, and explains what is missing', async () => {
    await expect(resolveCatalogFile(path.join(dir, 'nope.jsonl'))).rejects.toThrow(/no such file or directory/);
    await expect(resolveCatalogFile(dir)).rejects.toThrow(/without catalog\.jsonl/);
    writeFileSync(path.join(dir, 'catalog.jsonl'), '');
    await expect(resolveCatalogFile(dir)).resolves.toBe(path.join(dir, 'catalog.jsonl'));
  });
});
