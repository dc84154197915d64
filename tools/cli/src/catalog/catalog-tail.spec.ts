import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CatalogFileTail } from './catalog-tail';

const event = (id: string, title = `Product ${id}`) =>
  JSON.stringify({
    type: 'product.upserted',
    productId: id,
    version: 1,
    title,
    categories: ['home', 'lamp'],
    price: { amount: 10, currency: 'EUR' },
    inStock: true,
    images: [{ id: 'i1', url: `http://127.0.0.1:8080/catalog-images/${id}/i1.jpg` }],
    occurredAt: '2026-01-01T00:00:00Z',
  });

describe(CatalogFileTail.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), 'vsearch-tail-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('returns only complete new lines, keeping a partial line (even mid-character) for the next call', async () => {
    const file = path.join(dir, 'catalog.jsonl');
    const tail = new CatalogFileTail(file);
    expect(await tail.readNewLines()).toEqual([]); // not created yet

    const second = Buffer.from(`${event('p2', 'Lampe à poser')}\n`);
    const cut = second.indexOf(Buffer.from('à')) + 1; // inside the two bytes of "à"
    writeFileSync(file, Buffer.concat([Buffer.from(`${event('p1')}\n`), second.subarray(0, cut)]));
    const first = await tail.readNewLines();
    expect(first.map((line) => line.ok && line.event.productId)).toEqual(['p1']);

    appendFileSync(file, second.subarray(cut));
    appendFileSync(file, 'not json\n');
    const next = await tail.readNewLines();
    expect(next).toHaveLength(2);
    expect(next[0]).toMatchObject({ ok: true, lineNumber: 2, event: { productId: 'p2', title: 'Lampe à poser' } });
    expect(next[1]).toMatchObject({ ok: false, lineNumber: 3, code: 'invalid_json' });
    expect(await tail.readNewLines()).toEqual([]);
  });
});
