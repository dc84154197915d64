/**
 * Fault injection into the embedded store's files: every stored file kind (snapshot vectors,
 * products, centroids and manifest, the write-ahead log) truncated and bit-flipped at its
 * start, middle and last byte, plus torn log tails. Damage must be detected and named, the
 * damaged collection refused (never served as if complete, not even after a restart), the
 * collection beside it served, and a torn tail cut off with every acknowledged write kept.
 *
 * real: the embedded store on disk (temp directories), its files damaged with node:fs.
 * mock: nothing.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isVectorStoreError } from '../errors';
import { DEFAULT_ALIAS, type ProductWithImageVectors, type SearchPage } from '../types';
import { EmbeddedVectorStore } from './embedded.vector-store';
import { seededRandom } from './ivf-index';

const DIMENSION = 256;
const SNAPSHOT_PRODUCTS = 700; // 1.4 MB of vectors: two checksum blocks
const LOGGED_PRODUCTS = 200;
const VICTIM = 'products_v1';
const BYSTANDER = 'products_v2';
/** Small enough that both collections are IVF-indexed, so their snapshots hold centroids too. */
const INDEX = { exactSearchBelow: 500 };

function randomUnit(random: () => number): Float32Array {
  const v = new Float32Array(DIMENSION);
  let norm = 0;
  for (let i = 0; i < DIMENSION; i++) {
    v[i] = random() * 2 - 1;
    norm += v[i] * v[i];
  }
  for (let i = 0; i < DIMENSION; i++) v[i] /= Math.sqrt(norm);
  return v;
}

function catalog(from: number, count: number, seed: number): ProductWithImageVectors[] {
  const random = seededRandom(seed);
  return Array.from({ length: count }, (_, n) => {
    const i = from + n;
    return {
      product: {
        productId: `p${i}`,
        version: 1,
        title: `product ${i}`,
        description: '',
        brand: `brand${i % 7}`,
        categories: [`cat${i % 11}`],
        price: { amount: i % 300, currency: 'EUR' },
        inStock: true,
        attributes: {},
      },
      images: [
        { imageId: 'a', imageUrl: `u/${i}/a`, vector: randomUnit(random) },
        { imageId: 'b', imageUrl: `u/${i}/b`, vector: randomUnit(random) },
      ],
    };
  });
}

const query = randomUnit(seededRandom(99));
let template: string;
let dir: string;
let bystanderPage: SearchPage;
let victimPage: SearchPage;

/**
 * The template store: the victim (alias `products`) with a snapshot of 1,000 products and 20
 * logged writes of 10 more after it, the bystander with a snapshot of 1,000. The last instance
 * is never closed, as after kill -9: its log is what the damage cases cut and flip.
 */
beforeAll(async () => {
  template = fs.mkdtempSync(path.join(os.tmpdir(), 'vector-store-integrity-'));
  const first = new EmbeddedVectorStore({ dir: template, durable: false, index: INDEX });
  await first.open();
  await first.createGeneration('model-a', DIMENSION);
  await first.createGeneration('model-a', DIMENSION);
  await first.swapAlias(DEFAULT_ALIAS, VICTIM);
  const products = catalog(0, SNAPSHOT_PRODUCTS, 1);
  for (let i = 0; i < products.length; i += 100) {
    await first.upsertProducts(VICTIM, products.slice(i, i + 100));
    await first.upsertProducts(BYSTANDER, products.slice(i, i + 100));
  }
  await first.close();
  const second = new EmbeddedVectorStore({ dir: template, durable: false, index: INDEX });
  await second.open();
  const logged = catalog(SNAPSHOT_PRODUCTS, LOGGED_PRODUCTS, 2);
  for (let i = 0; i < logged.length; i += 10) await second.upsertProducts(VICTIM, logged.slice(i, i + 10));
  victimPage = await second.searchSimilar({ vector: query, limit: 10 });
  bystanderPage = await second.searchSimilar({ collection: BYSTANDER, vector: query, limit: 10 });
});
afterAll(() => fs.rmSync(template, { recursive: true, force: true }));

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vector-store-integrity-case-'));
  fs.cpSync(template, dir, { recursive: true });
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

type StoredFile = 'vectors.f32' | 'products.jsonl' | 'centroids.f32' | 'manifest.json' | 'wal';

/** The victim's file of a kind, relative to its collection directory. */
function fileOf(kind: StoredFile): string {
  const collectionDir = path.join(dir, 'collections', VICTIM);
  const names = fs.readdirSync(collectionDir);
  if (kind === 'wal') return names.find((name) => name.startsWith('wal-'))!;
  return `${names.find((name) => /^snapshot-\d+$/.test(name))!}/${kind}`;
}

function absolute(relative: string): string {
  return path.join(dir, 'collections', VICTIM, relative);
}

type Damage = { kind: 'truncate' | 'flip'; at: 'start' | 'middle' | 'last byte' };

/** Applies one damage; returns the byte offset it starts at. */
function inflict(file: string, { kind, at }: Damage): number {
  const size = fs.statSync(file).size;
  const offset = at === 'start' ? 0 : at === 'middle' ? Math.floor(size / 2) : size - 1;
  if (kind === 'truncate') {
    fs.truncateSync(file, offset);
  } else {
    const bytes = fs.readFileSync(file);
    bytes[offset] ^= 0x10;
    fs.writeFileSync(file, bytes);
  }
  return offset;
}

interface Warning {
  fields: Record<string, unknown>;
  message: string;
}

async function reopen(): Promise<{ store: EmbeddedVectorStore; warnings: Warning[] }> {
  const warnings: Warning[] = [];
  const store = new EmbeddedVectorStore({ dir, durable: false, index: INDEX, log: { warn: (fields, message) => warnings.push({ fields, message }) } });
  await store.open();
  return { store, warnings };
}

async function refusal(call: Promise<unknown>): Promise<Error> {
  const error = await call.then(
    () => new Error('the call was served'),
    (caught: Error) => caught,
  );
  expect(isVectorStoreError(error, 'failed-precondition')).toBe(true);
  return error;
}

/** The damaged collection is reported and refused; the bystander serves exactly as before. */
async function expectDamaged(store: EmbeddedVectorStore, file: string): Promise<string> {
  const [victim, bystander] = await store.listCollections();
  expect(victim.name).toBe(VICTIM);
  expect(victim.damage).toContain(file);
  expect(victim.damage).toMatch(/at byte \d+: .+; affected: .+/);
  expect(bystander).toMatchObject({ name: BYSTANDER, productCount: SNAPSHOT_PRODUCTS, pointCount: 2 * SNAPSHOT_PRODUCTS });
  expect(bystander.damage).toBeUndefined();
  expect(await store.searchSimilar({ collection: BYSTANDER, vector: query, limit: 10 })).toEqual(bystanderPage);

  for (const call of [
    store.searchSimilar({ vector: query, limit: 10 }),
    store.similarToProduct({ productId: 'p1', limit: 10 }),
    store.getProduct(undefined, 'p1'),
    store.upsertProducts(undefined, catalog(5_000, 1, 3)),
    store.deleteProduct(undefined, 'p1', 7),
  ]) {
    expect((await refusal(call)).message).toContain(victim.damage);
  }
  return victim.damage!;
}

const POSITIONS: Damage['at'][] = ['start', 'middle', 'last byte'];
const SNAPSHOT_CASES = (['vectors.f32', 'products.jsonl', 'centroids.f32', 'manifest.json'] as const).flatMap((file) =>
  (['truncate', 'flip'] as const).flatMap((kind) => POSITIONS.map((at) => ({ file, kind, at }))),
);

describe('EmbeddedVectorStore integrity', () => {
  it.each(SNAPSHOT_CASES)('detects $kind at $at of the snapshot $file, refuses the collection and serves the other', async ({ file, kind, at }) => {
    const relative = fileOf(file);
    const offset = inflict(absolute(relative), { kind, at });
    const { store } = await reopen();
    const damage = await expectDamaged(store, relative);
    // A short file is named where it ends, a flipped bit by the start of its 1 MiB checksum block.
    const blockStart = Math.floor(offset / (1024 * 1024)) * 1024 * 1024;
    if (file === 'vectors.f32' || file === 'products.jsonl') expect(damage).toContain(`at byte ${kind === 'truncate' ? offset : blockStart}:`);
    await store.close();
  });

  it.each(POSITIONS)('detects a flipped bit at %s of the log and names the writes it cuts off', async (at) => {
    const relative = fileOf('wal');
    inflict(absolute(relative), { kind: 'flip', at });
    const { store } = await reopen();
    const damage = await expectDamaged(store, relative);
    expect(damage).toMatch(/fails its checksum; affected: the write logged after seq \d+/);
    await store.close();
  });

  it.each(['middle', 'last byte'] as const)('reads a log cut at its %s as a torn tail: cut off with a warning, every complete frame kept', async (at) => {
    const relative = fileOf('wal');
    const sizeBefore = fs.statSync(absolute(relative)).size;
    inflict(absolute(relative), { kind: 'truncate', at });
    const { store, warnings } = await reopen();
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toMatch(new RegExp(`cut \\d+ bytes of a torn write from the end of ${relative.replace('.', '\\.')}`));
    const [victim] = await store.listCollections();
    expect(victim.damage).toBeUndefined();
    // Frames hold 10 products each: what survives is the snapshot plus whole frames, never a partial one.
    expect((victim.productCount - SNAPSHOT_PRODUCTS) % 10).toBe(0);
    expect(victim.productCount).toBeLessThan(SNAPSHOT_PRODUCTS + LOGGED_PRODUCTS);
    expect(fs.statSync(absolute(relative)).size).toBeLessThan(sizeBefore);
    await store.close();
  });

  it.each([
    ['part of a frame', (log: Buffer) => log.subarray(0, 100)],
    ['zeros a crash extended the file by', () => Buffer.alloc(4096)],
  ])('cuts a torn tail of %s and keeps every acknowledged write', async (_what, tail) => {
    const relative = fileOf('wal');
    const log = fs.readFileSync(absolute(relative));
    fs.appendFileSync(absolute(relative), tail(log));
    const { store, warnings } = await reopen();
    expect(warnings.map((warning) => warning.fields)).toEqual([{ dir: expect.any(String), file: relative, offset: log.length, bytes: tail(log).length }]);
    expect((await store.listCollections())[0]).toMatchObject({ name: VICTIM, productCount: SNAPSHOT_PRODUCTS + LOGGED_PRODUCTS });
    expect((await store.listCollections())[0].damage).toBeUndefined();
    expect(await store.searchSimilar({ vector: query, limit: 10 })).toEqual(victimPage);
    expect(fs.statSync(absolute(relative)).size).toBe(log.length);
    await store.close();
  });

  it('detects a gap in the log when the snapshot before it is lost, instead of serving the log alone', async () => {
    const snapshot = fileOf('manifest.json').split('/')[0];
    fs.rmSync(absolute(snapshot), { recursive: true });
    const { store } = await reopen();
    const damage = await expectDamaged(store, fileOf('wal'));
    expect(damage).toMatch(/jumps from seq 0 to seq \d+/);
    await store.close();
  });

  it('keeps a damaged collection damaged across restarts, its files as found, and lets a new generation replace it', async () => {
    const relative = fileOf('vectors.f32');
    inflict(absolute(relative), { kind: 'truncate', at: 'middle' });
    const before = fs.readdirSync(absolute('.'), { recursive: true }).sort();
    const { store } = await reopen();
    const damage = await expectDamaged(store, relative);
    await refusal(store.swapAlias('other', VICTIM));
    await store.close();
    expect(fs.readdirSync(absolute('.'), { recursive: true }).sort()).toEqual(before);

    const { store: again } = await reopen();
    expect((await again.listCollections())[0].damage).toBe(damage);
    // What the rebuild does: a new generation, the alias swapped to it, the damaged one dropped.
    const rebuilt = await again.createGeneration('model-a', DIMENSION);
    await again.upsertProducts(rebuilt, catalog(0, 10, 1));
    expect(await again.swapAlias(DEFAULT_ALIAS, rebuilt)).toBe(VICTIM);
    await again.dropCollection(VICTIM);
    expect((await again.listCollections()).map((info) => [info.name, info.damage])).toEqual([
      [BYSTANDER, undefined],
      [rebuilt, undefined],
    ]);
    expect((await again.searchSimilar({ vector: query, limit: 3 })).hits).toHaveLength(3);
    await again.close();
  });

  it('reports a collection whose meta.json is unreadable as damaged rather than skipping it', async () => {
    fs.writeFileSync(absolute('meta.json'), '{"name": "products_v1", "mod');
    const { store } = await reopen();
    const damage = await expectDamaged(store, 'meta.json');
    expect(damage).toContain('not valid JSON');
    await store.close();
  });
});
