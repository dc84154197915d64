import { createHash } from 'node:crypto';
import { deadLetterFromEvent, replayRecordOf, type BatchControl, type DeadLetterPublisher, type PartitionBatch } from '@vsearch/event-log';
import { createLogger } from '@vsearch/observability';
import { Registry } from 'prom-client';
import { IngestionMetrics } from '../metrics/ingestion.metrics';
import { ImageUnavailableError, PRODUCTS_ALIAS } from '../ports';
import {
  FAKE_MODEL,
  REFUSED_TITLE,
  FakeDeadLetters,
  FakeEmbedder,
  FakeImageSource,
  FakePreprocessor,
  FakeProductIndex,
  consumed,
  upserted,
} from '../testing/fakes';
import { CatalogEventHandler, chunksOf, sameImages } from './catalog-event.handler';
import { EmbedQueue } from './embed-queue';
import { EmbeddingCache } from './embedding-cache';
import { ImageVectorizer } from './image-vectorizer';

const logger = createLogger('ingestion-test', 'silent');

function setUp(index = new FakeProductIndex()) {
  const embedder = new FakeEmbedder();
  const source = new FakeImageSource();
  const deadLetters = new FakeDeadLetters();
  const metrics = new IngestionMetrics(new Registry());
  const queue = new EmbedQueue(embedder, metrics, { batchSize: 8, concurrency: 2, maxWaitMs: 1 });
  const vectorizer = new ImageVectorizer(
    source,
    new FakePreprocessor(),
    queue,
    new EmbeddingCache(100),
    metrics,
    { fetchConcurrency: 4, fetchAttempts: 3, fetchRetryBaseMs: 1, fetchRetryMaxMs: 5, preprocessConcurrency: 2 },
    logger,
  );
  let targets = [PRODUCTS_ALIAS];
  const handler = new CatalogEventHandler(
    index,
    vectorizer,
    deadLetters as unknown as DeadLetterPublisher,
    { targets: () => targets, problem: () => (targets.length ? undefined : 'model mismatch') },
    () => FAKE_MODEL,
    metrics,
    { eventsPerChunk: 4, dependencyRetryBaseMs: 100, dependencyRetryMaxMs: 1000, poisonEvents: { maxAttempts: 3, backoffBaseMs: 200, backoffMaxMs: 300 } },
    logger,
  );
  const commits: string[] = [];
  const control: BatchControl = {
    commit: async (offset) => void commits.push(offset),
    advance: () => undefined,
    isActive: () => true,
    heartbeat: async () => undefined,
  };
  const run = (messages: ReturnType<typeof consumed>[]) => {
    const batch: PartitionBatch = {
      topic: 'catalog.products.v1',
      partition: 0,
      messages,
      highWatermark: String(Number(messages[messages.length - 1].offset) + 1),
    };
    return handler.handleBatch(batch, control);
  };
  return { index, embedder, source, deadLetters, handler, commits, run, metrics, setTargets: (t: string[]) => (targets = t) };
}

async function withCollection(index: FakeProductIndex) {
  const name = await index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension);
  await index.swapAlias(PRODUCTS_ALIAS, name);
  return name;
}

describe(CatalogEventHandler.name, () => {
  it('indexes a product with one vector per image, then commits', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/a1.jpg', Buffer.from('a1'));
    t.source.images.set('http://img/a2.jpg', Buffer.from('a2-bytes'));
    const message = consumed(
      upserted('a', 1, [
        { id: 'a1', url: 'http://img/a1.jpg' },
        { id: 'a2', url: 'http://img/a2.jpg' },
      ]),
    );
    expect(await t.run([message])).toBeUndefined();
    const stored = t.index.products(PRODUCTS_ALIAS).get('a')!;
    expect(stored.product).toMatchObject({ productId: 'a', version: 1, description: '', brand: '', categories: ['women', 'dresses'] });
    expect(stored.images.map((image) => image.imageId)).toEqual(['a1', 'a2']);
    expect(stored.images[0].vector).toHaveLength(4);
    expect(t.commits).toEqual([message.offset]);
    expect(t.deadLetters.letters).toEqual([]);
  });

  it('dead-letters malformed JSON and schema violations with stage parse, and indexes the rest', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/b.jpg', Buffer.from('b'));
    const messages = [
      consumed('{not json', 'x'),
      consumed({ type: 'product.upserted', productId: 'y' }),
      consumed(upserted('b', 1, [{ id: 'b1', url: 'http://img/b.jpg' }])),
    ];
    await t.run(messages);
    expect(t.deadLetters.letters.map((letter) => [letter.message.offset, letter.reason.stage, letter.reason.errorCode])).toEqual([
      [messages[0].offset, 'parse', 'invalid_json'],
      [messages[1].offset, 'parse', 'schema_violation'],
    ]);
    expect(t.index.products(PRODUCTS_ALIAS).has('b')).toBe(true);
    expect(t.commits).toEqual([messages[2].offset]);
  });

  it('dead-letters a product whose images all fail, with the first failure as stage and code', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://127.0.0.1/x.jpg', new ImageUnavailableError('fetch', 'refused_address', 'refused: loopback'));
    t.source.images.set('http://img/404.jpg', new ImageUnavailableError('fetch', 'http_status', 'answered 404'));
    await t.run([
      consumed(
        upserted('c', 1, [
          { id: 'c1', url: 'http://127.0.0.1/x.jpg' },
          { id: 'c2', url: 'http://img/404.jpg' },
        ]),
      ),
    ]);
    expect(t.deadLetters.letters).toHaveLength(1);
    expect(t.deadLetters.letters[0].reason).toMatchObject({ stage: 'fetch', errorCode: 'refused_address' });
    expect(t.deadLetters.letters[0].reason.reason).toContain('c2 fetch/http_status');
    expect(t.index.products(PRODUCTS_ALIAS).has('c')).toBe(false);
  });

  it('indexes a product with the images that worked when some fail', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/ok.jpg', Buffer.from('ok'));
    t.source.images.set('http://img/empty.jpg', Buffer.alloc(0));
    await t.run([
      consumed(
        upserted('d', 1, [
          { id: 'd1', url: 'http://img/ok.jpg' },
          { id: 'd2', url: 'http://img/empty.jpg' },
        ]),
      ),
    ]);
    expect(
      t.index
        .products(PRODUCTS_ALIAS)
        .get('d')!
        .images.map((image) => image.imageId),
    ).toEqual(['d1']);
    expect(t.deadLetters.letters).toEqual([]);
    const failures = await t.metrics.imageFailures.get();
    expect(failures.values).toEqual([expect.objectContaining({ labels: { stage: 'decode', code: 'decode_failed' }, value: 1 })]);
    // The failure is recorded with the product in search, not only logged and counted.
    expect((await t.index.getProduct(PRODUCTS_ALIAS, 'd'))!.failedImages).toEqual([
      { imageId: 'd2', imageUrl: 'http://img/empty.jpg', stage: 'decode', errorCode: 'decode_failed', reason: 'empty' },
    ]);
  });

  it('fetches the failed images again on the next event, and a write where they work clears the record', async () => {
    const t = setUp();
    await withCollection(t.index);
    const images = [
      { id: 'r1', url: 'http://img/r1.jpg' },
      { id: 'r2', url: 'http://img/r2.jpg' },
    ];
    t.source.images.set('http://img/r1.jpg', Buffer.from('r1'));
    t.source.images.set('http://img/r2.jpg', new ImageUnavailableError('fetch', 'http_status', 'answered 404'));
    await t.run([consumed(upserted('r', 1, images))]);
    expect((await t.index.getProduct(PRODUCTS_ALIAS, 'r'))!.failedImages).toEqual([
      { imageId: 'r2', imageUrl: 'http://img/r2.jpg', stage: 'fetch', errorCode: 'http_status', reason: 'answered 404' },
    ]);

    // Same images, only the price changed: with a failure recorded this is not an attribute-only update.
    t.source.images.set('http://img/r2.jpg', Buffer.from('r2'));
    await t.run([consumed(upserted('r', 2, images, { price: { amount: 7, currency: 'EUR' } }))]);
    expect(t.source.fetched.filter((url) => url === 'http://img/r2.jpg')).toHaveLength(2);
    const stored = (await t.index.getProduct(PRODUCTS_ALIAS, 'r'))!;
    expect(stored.images.map((image) => image.imageId)).toEqual(['r1', 'r2']);
    expect(stored.failedImages).toEqual([]);
    expect(stored.product).toMatchObject({ version: 2, price: { amount: 7 } });
    expect(t.index.writes).not.toContain(`attributes ${PRODUCTS_ALIAS} r@2`);
  });

  it('never updates attributes only while failures are recorded, even when the event lists exactly the stored images', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/s1.jpg', Buffer.from('s1'));
    t.source.images.set('http://img/s2.jpg', new ImageUnavailableError('fetch', 'http_status', 'answered 404'));
    await t.run([
      consumed(
        upserted('s', 1, [
          { id: 's1', url: 'http://img/s1.jpg' },
          { id: 's2', url: 'http://img/s2.jpg' },
        ]),
      ),
    ]);
    // The catalog drops the broken image: the stored image set now equals the event's, but the failure record must go too.
    await t.run([consumed(upserted('s', 2, [{ id: 's1', url: 'http://img/s1.jpg' }]))]);
    expect(t.index.writes).toContain(`upsert ${PRODUCTS_ALIAS} s@2`);
    expect((await t.index.getProduct(PRODUCTS_ALIAS, 's'))!.failedImages).toEqual([]);
  });

  it('retries a retryable fetch error with backoff and then indexes', async () => {
    const t = setUp();
    await withCollection(t.index);
    const url = 'http://img/flaky.jpg';
    t.source.images.set(url, [
      new ImageUnavailableError('fetch', 'http_status', '503', { retryable: true }),
      new ImageUnavailableError('fetch', 'timeout', 'slow', { retryable: true }),
    ]);
    await t.run([consumed(upserted('e', 1, [{ id: 'e1', url }]))]);
    expect(t.source.fetched.filter((u) => u === url)).toHaveLength(3);
    expect(t.index.products(PRODUCTS_ALIAS).has('e')).toBe(true);
  });

  it('updates attributes without the embedder when the images are unchanged', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/f.jpg', Buffer.from('f'));
    const images = [{ id: 'f1', url: 'http://img/f.jpg' }];
    await t.run([consumed(upserted('f', 1, images))]);
    const embeddedBefore = t.embedder.embeddedImages;
    await t.run([consumed(upserted('f', 2, images, { price: { amount: 5, currency: 'EUR' }, inStock: false }))]);
    expect(t.embedder.embeddedImages).toBe(embeddedBefore);
    expect(t.index.products(PRODUCTS_ALIAS).get('f')!.product).toMatchObject({ version: 2, price: { amount: 5 }, inStock: false });
    expect(t.index.writes).toContain(`attributes ${PRODUCTS_ALIAS} f@2`);
  });

  describe('a photo replaced behind the same URL', () => {
    const images = [{ id: 'f1', url: 'http://img/f.jpg' }];

    it('is asked for with its ETag on the next version: a 304 downloads nothing and only the attributes are updated', async () => {
      const t = setUp();
      await withCollection(t.index);
      t.source.images.set('http://img/f.jpg', Buffer.from('f'));
      t.source.etags.set('http://img/f.jpg', '"v1"');
      await t.run([consumed(upserted('f', 1, images))]);
      expect(t.index.products(PRODUCTS_ALIAS).get('f')!.images[0].content).toEqual({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/), etag: '"v1"' });
      const fetchedBefore = t.source.fetched.length;
      await t.run([consumed(upserted('f', 2, images, { price: { amount: 5, currency: 'EUR' } }))]);
      expect(t.source.notModified).toEqual(['http://img/f.jpg']);
      expect(t.source.fetched.length).toBe(fetchedBefore);
      expect(t.embedder.embeddedImages).toBe(1);
      expect(t.index.writes).toContain(`attributes ${PRODUCTS_ALIAS} f@2`);
    });

    it('is embedded again when the host gives a new ETag with new bytes, and the new content is stored', async () => {
      const t = setUp();
      await withCollection(t.index);
      t.source.images.set('http://img/f.jpg', Buffer.from('old look'));
      t.source.etags.set('http://img/f.jpg', '"v1"');
      await t.run([consumed(upserted('f', 1, images))]);
      const before = t.index.products(PRODUCTS_ALIAS).get('f')!.images[0];
      t.source.images.set('http://img/f.jpg', Buffer.from('new look'));
      t.source.etags.set('http://img/f.jpg', '"v2"');
      const fetchedBefore = t.source.fetched.length;
      await t.run([consumed(upserted('f', 2, images))]);
      // Downloaded once by the check and reused by the embedding, never twice.
      expect(t.source.fetched.length).toBe(fetchedBefore + 1);
      expect(t.embedder.embeddedImages).toBe(2);
      const after = t.index.products(PRODUCTS_ALIAS).get('f')!.images[0];
      expect(after.content).toMatchObject({ etag: '"v2"' });
      expect(after.content!.sha256).not.toBe(before.content!.sha256);
      expect(Array.from(after.vector)).not.toEqual(Array.from(before.vector));
      expect(t.index.writes).toContain(`upsert ${PRODUCTS_ALIAS} f@2`);
    });

    it('falls back to the hash when the host gives no validators: fetched again, embedded only when the bytes differ', async () => {
      const t = setUp();
      await withCollection(t.index);
      t.source.images.set('http://img/f.jpg', Buffer.from('same'));
      await t.run([consumed(upserted('f', 1, images))]);
      await t.run([consumed(upserted('f', 2, images, { title: 'renamed' }))]);
      expect(t.embedder.embeddedImages).toBe(1);
      expect(t.index.writes).toContain(`attributes ${PRODUCTS_ALIAS} f@2`);
      t.source.images.set('http://img/f.jpg', Buffer.from('changed'));
      await t.run([consumed(upserted('f', 3, images))]);
      expect(t.embedder.embeddedImages).toBe(2);
      expect(t.index.writes).toContain(`upsert ${PRODUCTS_ALIAS} f@3`);
      expect(t.source.notModified).toEqual([]);
    });

    it('is not looked at for a redelivery of the stored version', async () => {
      const t = setUp();
      await withCollection(t.index);
      t.source.images.set('http://img/f.jpg', Buffer.from('f'));
      const event = consumed(upserted('f', 1, images));
      await t.run([event]);
      const fetchedBefore = t.source.fetched.length;
      t.source.images.set('http://img/f.jpg', Buffer.from('changed'));
      await t.run([event]);
      expect(t.source.fetched.length).toBe(fetchedBefore);
      expect(t.embedder.embeddedImages).toBe(1);
    });

    it('is embedded again by a refresh (filtered reindex), which also records the new content', async () => {
      const t = setUp();
      await withCollection(t.index);
      t.source.images.set('http://img/f.jpg', Buffer.from('old look'));
      const event = consumed(upserted('f', 1, images));
      await t.run([event]);
      t.source.images.set('http://img/f.jpg', Buffer.from('new look'));
      await t.handler.handleChunk([event], [PRODUCTS_ALIAS], { replay: true, refresh: true });
      expect(t.embedder.embeddedImages).toBe(2);
      const image = t.index.products(PRODUCTS_ALIAS).get('f')!.images[0];
      expect(image.content!.sha256).toBe(createHash('sha256').update('new look').digest('hex'));
    });
  });

  it('embeds a photo shared by two products once (cache by bytes and model)', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/red.jpg', Buffer.from('same-bytes'));
    t.source.images.set('http://img/blue.jpg', Buffer.from('same-bytes'));
    await t.run([consumed(upserted('g', 1, [{ id: 'g1', url: 'http://img/red.jpg' }]))]);
    await t.run([consumed(upserted('h', 1, [{ id: 'h1', url: 'http://img/blue.jpg' }]))]);
    expect(t.embedder.embeddedImages).toBe(1);
    expect(t.index.products(PRODUCTS_ALIAS).size).toBe(2);
  });

  it('skips a redelivered or older event without fetching anything', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/i.jpg', Buffer.from('i'));
    await t.run([consumed(upserted('i', 5, [{ id: 'i1', url: 'http://img/i.jpg' }]))]);
    const fetched = t.source.fetched.length;
    await t.run([consumed(upserted('i', 5, [{ id: 'i1', url: 'http://img/i.jpg' }])), consumed(upserted('i', 3, [{ id: 'i9', url: 'http://img/other.jpg' }]))]);
    expect(t.source.fetched.length).toBe(fetched);
    expect(t.index.products(PRODUCTS_ALIAS).get('i')!.product.version).toBe(5);
  });

  it('indexes a dead letter replayed after its cause is fixed, and skips the same replay again (its version is stored)', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/r.jpg', new ImageUnavailableError('fetch', 'refused_address', 'refused: private address'));
    await t.run([consumed(upserted('r', 4, [{ id: 'r1', url: 'http://img/r.jpg' }]))]);
    expect(t.deadLetters.letters).toHaveLength(1);
    // The cause is fixed (the image host is allowed now); `vsearch dlq replay` republishes the original event.
    t.source.images.set('http://img/r.jpg', Buffer.from('r'));
    const record = replayRecordOf(deadLetterFromEvent({ ...t.deadLetters.letters[0].message, topic: 'catalog.products.v1.dlq', partition: 0, offset: '0' }));
    const replayed = () => ({ ...consumed(record.value!.toString(), record.key!), headers: record.headers! });
    await t.run([replayed()]);
    expect(t.index.products(PRODUCTS_ALIAS).get('r')!.product.version).toBe(4);
    const fetched = t.source.fetched.length;
    const upserts = t.index.upsertCalls;
    await t.run([replayed()]);
    expect(t.source.fetched.length).toBe(fetched);
    expect(t.index.upsertCalls).toBe(upserts);
    expect(t.deadLetters.letters).toHaveLength(1);
  });

  it('deletes with the event version', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/j.jpg', Buffer.from('j'));
    await t.run([consumed(upserted('j', 1, [{ id: 'j1', url: 'http://img/j.jpg' }]))]);
    await t.run([consumed({ type: 'product.deleted', productId: 'j', version: 2, occurredAt: new Date().toISOString() })]);
    expect(t.index.products(PRODUCTS_ALIAS).has('j')).toBe(false);
    expect(t.index.writes).toContain(`delete ${PRODUCTS_ALIAS} j@2`);
  });

  it('pauses and retries from the first unfinished event when the embedder is down: no commit, no dead letter', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/k.jpg', Buffer.from('k'));
    t.embedder.down = true;
    const message = consumed(upserted('k', 1, [{ id: 'k1', url: 'http://img/k.jpg' }]));
    const outcome = await t.run([message]);
    expect(outcome).toEqual({ retryFrom: message.offset, delayMs: expect.any(Number) });
    expect(t.commits).toEqual([]);
    expect(t.deadLetters.letters).toEqual([]);
    t.embedder.down = false;
    expect(await t.run([message])).toBeUndefined();
    expect(t.commits).toEqual([message.offset]);
  });

  it('pauses when search is down, and when there is no collection of the right model', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/l.jpg', Buffer.from('l'));
    const message = consumed(upserted('l', 1, [{ id: 'l1', url: 'http://img/l.jpg' }]));
    t.index.down = true;
    expect(await t.run([message])).toMatchObject({ retryFrom: message.offset });
    t.index.down = false;
    t.setTargets([]);
    expect(await t.run([message])).toMatchObject({ retryFrom: message.offset });
    expect(t.commits).toEqual([]);
    expect(t.deadLetters.letters).toEqual([]);
  });

  it('pauses while the live collection is damaged, dead-letters nothing, and indexes into the rebuilt generation once the alias is swapped', async () => {
    const t = setUp();
    const damaged = await withCollection(t.index);
    t.index.damage.set(damaged, 'snapshot-1/vectors.f32 at byte 512: checksum mismatch');
    const rebuilt = await t.index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension);
    // As while a heal fills the new generation: live writes go to the alias and to it.
    t.setTargets([PRODUCTS_ALIAS, rebuilt]);
    const messages = ['q1', 'q2'].map((id) => {
      t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
      return consumed(upserted(id, 1, [{ id: `${id}-a`, url: `http://img/${id}.jpg` }]));
    });
    const deletion = consumed({ type: 'product.deleted', productId: 'q0', version: 2, occurredAt: new Date().toISOString() });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(await t.run([...messages, deletion])).toEqual({ retryFrom: messages[0].offset, delayMs: expect.any(Number) });
    }
    expect(t.commits).toEqual([]);
    expect(t.deadLetters.letters).toEqual([]);

    await t.index.swapAlias(PRODUCTS_ALIAS, rebuilt);
    t.setTargets([PRODUCTS_ALIAS]);
    expect(await t.run([...messages, deletion])).toBeUndefined();
    expect([...t.index.products(PRODUCTS_ALIAS).keys()].sort()).toEqual(['q1', 'q2']);
    expect(t.commits).toEqual([deletion.offset]);
    expect(t.deadLetters.letters).toEqual([]);
  });

  it('pauses, not dead-letters, when only the batched upsert meets the damage (it was detected after the reads)', async () => {
    const t = setUp();
    const live = await withCollection(t.index);
    t.source.images.set('http://img/r.jpg', Buffer.from('r'));
    const message = consumed(upserted('r', 1, [{ id: 'r1', url: 'http://img/r.jpg' }]));
    const upsert = t.index.upsertProducts.bind(t.index);
    t.index.upsertProducts = async (collection, items, modelId) => {
      t.index.damage.set(live, 'wal-0000000001.log frame 3: checksum mismatch');
      return upsert(collection, items, modelId);
    };
    expect(await t.run([message])).toMatchObject({ retryFrom: message.offset });
    expect(t.deadLetters.letters).toEqual([]);
    expect(t.commits).toEqual([]);
  });

  it('writes to both generations while a reindex fills a new one', async () => {
    const t = setUp();
    await withCollection(t.index);
    const next = await t.index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension);
    t.setTargets([PRODUCTS_ALIAS, next]);
    t.source.images.set('http://img/m.jpg', Buffer.from('m'));
    await t.run([consumed(upserted('m', 1, [{ id: 'm1', url: 'http://img/m.jpg' }]))]);
    expect(t.index.products(PRODUCTS_ALIAS).has('m')).toBe(true);
    expect(t.index.products(next).has('m')).toBe(true);
    expect(t.embedder.embeddedImages).toBe(1);
  });

  it('fills a new generation from the live record of an unchanged photo: a 304 and the cached vector, no download, no embedding', async () => {
    const t = setUp();
    await withCollection(t.index);
    t.source.images.set('http://img/m.jpg', Buffer.from('m'));
    t.source.etags.set('http://img/m.jpg', '"m1"');
    const images = [{ id: 'm1', url: 'http://img/m.jpg' }];
    await t.run([consumed(upserted('m', 1, images))]);
    const next = await t.index.createCollection(FAKE_MODEL.modelId, FAKE_MODEL.dimension);
    t.setTargets([PRODUCTS_ALIAS, next]);
    const fetchedBefore = t.source.fetched.length;
    await t.run([consumed(upserted('m', 2, images, { title: 'renamed' }))]);
    expect(t.source.fetched.length).toBe(fetchedBefore);
    expect(t.source.notModified).toEqual(['http://img/m.jpg']); // asked once for both generations
    expect(t.embedder.embeddedImages).toBe(1);
    expect(t.index.writes).toEqual(expect.arrayContaining([`attributes ${PRODUCTS_ALIAS} m@2`, `upsert ${next} m@2`]));
    expect(t.index.products(next).get('m')!.images[0].content).toMatchObject({ etag: '"m1"' });
  });

  describe('an event that fails with an unexpected error', () => {
    /** A search adapter with a bug that only this product's data trips (anything but an outage or a refusal). */
    class IndexWithBug extends FakeProductIndex {
      override async getProduct(collection: string, productId: string) {
        if (productId === 'bug') throw new TypeError("Cannot read properties of undefined (reading 'version')");
        return super.getProduct(collection, productId);
      }
    }

    it('is retried with backoff, then dead-lettered with a stack-free reason while the rest of its chunk is indexed and committed', async () => {
      const t = setUp(new IndexWithBug());
      await withCollection(t.index);
      t.source.images.set('http://img/ok.jpg', Buffer.from('ok'));
      const poison = consumed(upserted('bug', 1, [{ id: 'x', url: 'http://img/ok.jpg' }]));
      const next = consumed(upserted('fine', 1, [{ id: 'f', url: 'http://img/ok.jpg' }]));
      const retries = [await t.run([poison, next]), await t.run([poison, next])];
      // maxAttempts 3: two pauses within the schedule (200 ms, then 300 ms capped, each with jitter down to half), nothing committed meanwhile.
      expect(retries).toEqual([
        { retryFrom: poison.offset, delayMs: expect.any(Number) },
        { retryFrom: poison.offset, delayMs: expect.any(Number) },
      ]);
      expect((retries[0] as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(100);
      expect((retries[0] as { delayMs: number }).delayMs).toBeLessThanOrEqual(200);
      expect((retries[1] as { delayMs: number }).delayMs).toBeGreaterThanOrEqual(150);
      expect((retries[1] as { delayMs: number }).delayMs).toBeLessThanOrEqual(300);
      expect(t.commits).toEqual([]);
      expect(t.deadLetters.letters).toEqual([]);

      expect(await t.run([poison, next])).toBeUndefined();
      expect(t.commits).toEqual([next.offset]);
      expect(t.deadLetters.letters.map(({ message, reason }) => ({ offset: message.offset, ...reason }))).toEqual([
        {
          offset: poison.offset,
          stage: 'handle',
          errorCode: 'unexpected_error',
          reason: "TypeError: Cannot read properties of undefined (reading 'version') (failed 3 times)",
        },
      ]);
      expect(await t.index.getProduct(PRODUCTS_ALIAS, 'fine')).toMatchObject({ product: { version: 1 } });
      const metrics = await t.metrics.unexpectedEventErrors.get();
      expect(Object.fromEntries(metrics.values.map(({ labels, value }) => [labels.outcome, value]))).toEqual({ retried: 2, dead_lettered: 1 });
    });

    it('is attributed to its product when the batched upsert fails unexpectedly, so only that product is dead-lettered', async () => {
      class UpsertWithBug extends FakeProductIndex {
        override async upsertProducts(collection: string, items: Parameters<FakeProductIndex['upsertProducts']>[1], modelId: string) {
          if (items.some(({ product }) => product.productId === 'bug')) throw new RangeError('Invalid array length');
          return super.upsertProducts(collection, items, modelId);
        }
      }
      const t = setUp(new UpsertWithBug());
      await withCollection(t.index);
      t.source.images.set('http://img/ok.jpg', Buffer.from('ok'));
      const poison = consumed(upserted('bug', 1, [{ id: 'x', url: 'http://img/ok.jpg' }]));
      const next = consumed(upserted('fine', 1, [{ id: 'f', url: 'http://img/ok.jpg' }]));
      for (let attempt = 1; attempt < 3; attempt++) expect(await t.run([poison, next])).toMatchObject({ retryFrom: poison.offset });
      expect(await t.run([poison, next])).toBeUndefined();
      expect(t.deadLetters.letters.map(({ reason }) => `${reason.stage}/${reason.errorCode}`)).toEqual(['handle/unexpected_error']);
      expect(t.commits).toEqual([next.offset]);
      expect(await t.index.getProduct(PRODUCTS_ALIAS, 'fine')).toMatchObject({ product: { version: 1 } });
    });

    it('never counts an outage as one: it pauses for as long as it lasts and is never dead-lettered', async () => {
      const t = setUp();
      await withCollection(t.index);
      t.source.images.set('http://img/ok.jpg', Buffer.from('ok'));
      t.index.down = true;
      const message = consumed(upserted('a', 1, [{ id: 'x', url: 'http://img/ok.jpg' }]));
      for (let attempt = 0; attempt < 6; attempt++) expect(await t.run([message])).toMatchObject({ retryFrom: message.offset });
      expect(t.deadLetters.letters).toEqual([]);
      expect((await t.metrics.unexpectedEventErrors.get()).values).toEqual([]);
      t.index.down = false;
      expect(await t.run([message])).toBeUndefined();
      expect(t.commits).toEqual([message.offset]);
    });

    it('is thrown as it is in a replay (a reindex), never dead-lettered there', async () => {
      const t = setUp(new IndexWithBug());
      await withCollection(t.index);
      t.source.images.set('http://img/ok.jpg', Buffer.from('ok'));
      const poison = consumed(upserted('bug', 1, [{ id: 'x', url: 'http://img/ok.jpg' }]));
      for (let attempt = 0; attempt < 4; attempt++)
        await expect(t.handler.handleChunk([poison], [PRODUCTS_ALIAS], { replay: true })).rejects.toThrow(TypeError);
      expect(t.deadLetters.letters).toEqual([]);
    });
  });
});

describe('batched writes', () => {
  it('writes a chunk with one upsert call, and dead-letters only the product search refuses', async () => {
    const t = setUp();
    await withCollection(t.index);
    const messages = ['n1', 'n2', 'n3'].map((id) => {
      t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
      return consumed(upserted(id, 1, [{ id: `${id}-a`, url: `http://img/${id}.jpg` }], id === 'n2' ? { title: REFUSED_TITLE } : {}));
    });
    await t.run(messages);
    expect([...t.index.products(PRODUCTS_ALIAS).keys()].sort()).toEqual(['n1', 'n3']);
    expect(t.deadLetters.letters.map((letter) => [letter.message.key, letter.reason.stage, letter.reason.errorCode])).toEqual([
      ['n2', 'upsert', 'INVALID_ARGUMENT'],
    ]);
    expect(t.commits).toEqual([messages[2].offset]);
  });

  it('uses one upsert call for a whole chunk', async () => {
    const t = setUp();
    await withCollection(t.index);
    const messages = ['o1', 'o2', 'o3', 'o4'].map((id) => {
      t.source.images.set(`http://img/${id}.jpg`, Buffer.from(id));
      return consumed(upserted(id, 1, [{ id: `${id}-a`, url: `http://img/${id}.jpg` }]));
    });
    await t.run(messages);
    expect(t.index.upsertCalls).toBe(1);
    expect(t.index.products(PRODUCTS_ALIAS).size).toBe(4);
  });
});

describe('chunksOf', () => {
  it('never puts two events of one product in the same chunk and keeps their order', () => {
    const messages = ['a', 'b', 'a', 'c', 'd', 'e'].map((key) => consumed({ productId: key }, key));
    expect(chunksOf(messages, 3).map((chunk) => chunk.map((m) => m.key))).toEqual([['a', 'b'], ['a', 'c', 'd'], ['e']]);
  });
});

describe('sameImages', () => {
  it('compares image ids and URLs, in any order', () => {
    const stored = [
      { imageId: '1', imageUrl: 'u1' },
      { imageId: '2', imageUrl: 'u2' },
    ];
    expect(
      sameImages(stored, [
        { id: '2', url: 'u2' },
        { id: '1', url: 'u1' },
      ]),
    ).toBe(true);
    expect(
      sameImages(stored, [
        { id: '1', url: 'u1' },
        { id: '2', url: 'u2-new' },
      ]),
    ).toBe(false);
    expect(sameImages(stored, [{ id: '1', url: 'u1' }])).toBe(false);
  });
});
