/**
 * Durable storage of one embedded collection: an append-only write-ahead log
 * of applied writes plus periodic snapshots.
 *
 *   <dir>/meta.json                      model id, dimension (written once)
 *   <dir>/wal-<firstSeq>.log             frames: u32 length, u32 crc32, u32 json length, json, float32 vectors
 *   <dir>/snapshot-<seq>/manifest.json   last sequence number folded in, index centroids
 *   <dir>/snapshot-<seq>/products.jsonl  one product (or tombstone) per line, with its images' IVF lists
 *                                        and its failed images (a key written only when there are some)
 *   <dir>/snapshot-<seq>/vectors.f32     the images' unit vectors in product order
 *
 * A write is acknowledged after its frame is appended (and fdatasync'ed when
 * `durable`); opening loads the newest complete snapshot (renamed into place
 * only once fully written) and replays later frames, stopping at a torn tail
 * left by a crash and cutting it off. Snapshots are taken on close and when
 * the log outgrows the last snapshot, so start-up replays a bounded log.
 */
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { crc32 } from 'node:zlib';
import type { FailedImage, ProductData, ImageRef, ProductTag } from '../types';
import type { CollectionMeta, EmbeddedCollection, ProductSnapshot } from './embedded-collection';

/**
 * One upserted product, as logged. `failedImages` is written only when there are some, and
 * absent in frames logged before failed images were recorded: both read as none.
 */
export interface LoggedUpsert {
  product: ProductData;
  images: ImageRef[];
  failedImages?: FailedImage[];
  /** Zero-shot tags computed at upsert, with the taxonomy version; absent when untagged. */
  tags?: ProductTag[];
  tagsVersion?: number;
}

/** Products' new zero-shot tags of one taxonomy version (a re-tag), vectors untouched. */
export interface LoggedTags {
  op: 'tags';
  taxonomyVersion: number;
  products: Array<{ productId: string; tags: ProductTag[] }>;
}

/** One applied write, as logged. */
export type LoggedWrite =
  | { op: 'upsert'; products: LoggedUpsert[]; vectors: Float32Array[][] }
  | { op: 'update'; products: ProductData[] }
  | { op: 'delete'; productId: string; version: number }
  | LoggedTags;

type LoggedHeader =
  | { op: 'upsert'; seq: number; products: LoggedUpsert[] }
  | { op: 'update'; seq: number; products: ProductData[] }
  | { op: 'delete'; seq: number; productId: string; version: number }
  | (LoggedTags & { seq: number });

const SNAPSHOT_MIN_LOG_BYTES = 64 * 1024 * 1024;

export class CollectionStorage {
  private log: fsp.FileHandle | undefined;
  private seq = 0;
  private logBytes = 0;
  private snapshotBytes = 0;

  constructor(
    readonly dir: string,
    private readonly durable: boolean,
  ) {}

  static async create(dir: string, meta: CollectionMeta, durable: boolean): Promise<CollectionStorage> {
    await fsp.mkdir(dir, { recursive: true });
    await writeFileAtomically(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
    return new CollectionStorage(dir, durable);
  }

  static async readMeta(dir: string): Promise<CollectionMeta | undefined> {
    try {
      return JSON.parse(await fsp.readFile(path.join(dir, 'meta.json'), 'utf8')) as CollectionMeta;
    } catch {
      return undefined;
    }
  }

  /** Loads the newest snapshot and replays the log into `collection`. */
  async load(collection: EmbeddedCollection, apply: (write: LoggedWrite) => void): Promise<void> {
    const names = await fsp.readdir(this.dir);
    for (const name of names) if (name.endsWith('.tmp')) await fsp.rm(path.join(this.dir, name), { recursive: true, force: true });

    const snapshots = names.filter((name) => /^snapshot-\d+$/.test(name)).sort((a, b) => seqOf(b) - seqOf(a));
    if (snapshots.length > 0) {
      this.seq = await this.loadSnapshot(path.join(this.dir, snapshots[0]), collection);
    }
    const logs = names.filter((name) => /^wal-\d+\.log$/.test(name)).sort((a, b) => seqOf(a) - seqOf(b));
    for (const name of logs) this.replayLog(path.join(this.dir, name), apply);
  }

  async append(write: LoggedWrite): Promise<void> {
    const seq = this.seq + 1;
    const frame = encodeFrame(write, seq);
    if (!this.log) this.log = await fsp.open(path.join(this.dir, `wal-${seq}.log`), 'a');
    await this.log.write(frame);
    if (this.durable) await this.log.datasync();
    this.seq = seq;
    this.logBytes += frame.length;
  }

  /** True when the log has grown enough that a snapshot would shorten start-up. */
  get wantsSnapshot(): boolean {
    return this.logBytes > Math.max(SNAPSHOT_MIN_LOG_BYTES, this.snapshotBytes);
  }

  /** Writes a snapshot of `collection` (the caller holds the write lock) and drops the log it covers. */
  async snapshot(collection: EmbeddedCollection): Promise<void> {
    if (this.logBytes === 0 && (await this.hasSnapshot(this.seq))) return;
    const seq = this.seq;
    const finalDir = path.join(this.dir, `snapshot-${seq}`);
    const tmpDir = `${finalDir}.tmp`;
    await fsp.rm(tmpDir, { recursive: true, force: true });
    await fsp.mkdir(tmpDir);

    const products = await fsp.open(path.join(tmpDir, 'products.jsonl'), 'w');
    const vectors = await fsp.open(path.join(tmpDir, 'vectors.f32'), 'w');
    let bytes = 0;
    let lines: string[] = [];
    let chunks: Buffer[] = [];
    let pending = 0;
    const flush = async () => {
      await products.write(lines.join(''));
      await vectors.write(Buffer.concat(chunks));
      lines = [];
      chunks = [];
      pending = 0;
    };
    for (const { snapshot, vectors: productVectors, lists } of collection.exportProducts()) {
      lines.push(`${JSON.stringify({ ...snapshot, lists })}\n`);
      for (const vector of productVectors) {
        const chunk = Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
        chunks.push(Buffer.from(chunk));
        bytes += chunk.length;
        pending += chunk.length;
      }
      if (pending > 8 * 1024 * 1024 || lines.length >= 10_000) await flush();
    }
    await flush();
    await products.sync();
    await vectors.sync();
    await products.close();
    await vectors.close();

    const index = collection.exportIndex();
    if (index) {
      await fsp.writeFile(path.join(tmpDir, 'centroids.f32'), Buffer.from(index.centroids.buffer, index.centroids.byteOffset, index.centroids.byteLength));
    }
    await fsp.writeFile(
      path.join(tmpDir, 'manifest.json'),
      JSON.stringify({ seq, dimension: collection.dimension, index: index ? { trainedOn: index.trainedOn } : null }),
    );
    await fsp.rm(finalDir, { recursive: true, force: true }); // only a snapshot of the same sequence number, so the same data
    await fsp.rename(tmpDir, finalDir);
    await syncDirectory(this.dir);

    // The snapshot now covers every logged frame: start a new log and drop the old files.
    await this.log?.close();
    this.log = undefined;
    for (const name of await fsp.readdir(this.dir)) {
      const covered = (/^wal-\d+\.log$/.test(name) && seqOf(name) <= seq) || (/^snapshot-\d+$/.test(name) && seqOf(name) < seq);
      if (covered) await fsp.rm(path.join(this.dir, name), { recursive: true, force: true });
    }
    this.logBytes = 0;
    this.snapshotBytes = bytes;
  }

  async close(): Promise<void> {
    await this.log?.close();
    this.log = undefined;
  }

  private async hasSnapshot(seq: number): Promise<boolean> {
    return fs.existsSync(path.join(this.dir, `snapshot-${seq}`, 'manifest.json'));
  }

  private async loadSnapshot(dir: string, collection: EmbeddedCollection): Promise<number> {
    const manifest = JSON.parse(await fsp.readFile(path.join(dir, 'manifest.json'), 'utf8')) as { seq: number; index: { trainedOn: number } | null };
    const dimension = collection.dimension;
    if (manifest.index) {
      const centroids = readFloats(path.join(dir, 'centroids.f32'));
      collection.importIndex(centroids, manifest.index.trainedOn);
    }
    const vectorsFile = fs.openSync(path.join(dir, 'vectors.f32'), 'r');
    try {
      let position = 0;
      const lines = createInterface({ input: createReadStream(path.join(dir, 'products.jsonl')), crlfDelay: Infinity });
      for await (const line of lines) {
        if (!line) continue;
        const { lists, ...snapshot } = JSON.parse(line) as ProductSnapshot & { lists: number[] };
        const vectors = snapshot.images.map(() => {
          const vector = new Float32Array(dimension);
          fs.readSync(vectorsFile, new Uint8Array(vector.buffer), 0, vector.byteLength, position);
          position += vector.byteLength;
          return vector;
        });
        collection.importProduct(snapshot, vectors, lists);
      }
      this.snapshotBytes = position;
    } finally {
      fs.closeSync(vectorsFile);
    }
    return manifest.seq;
  }

  private replayLog(file: string, apply: (write: LoggedWrite) => void): void {
    const data = fs.readFileSync(file);
    let offset = 0;
    while (offset + 8 <= data.length) {
      const length = data.readUInt32LE(offset);
      const checksum = data.readUInt32LE(offset + 4);
      if (offset + 8 + length > data.length) break;
      const payload = data.subarray(offset + 8, offset + 8 + length);
      if (crc32(payload) !== checksum) break;
      const decoded = decodePayload(payload);
      if (decoded.seq > this.seq) {
        apply(decoded.write);
        this.seq = decoded.seq;
      }
      offset += 8 + length;
    }
    if (offset < data.length) fs.truncateSync(file, offset); // a torn tail from a crash: cut it off
    this.logBytes += offset;
  }
}

function encodeFrame(write: LoggedWrite, seq: number): Buffer {
  let header: LoggedHeader;
  let vectorBytes: Buffer[] = [];
  if (write.op === 'upsert') {
    header = { op: 'upsert', seq, products: write.products };
    vectorBytes = write.vectors.flat().map((vector) => Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength));
  } else if (write.op === 'update') {
    header = { op: 'update', seq, products: write.products };
  } else if (write.op === 'tags') {
    header = { ...write, seq };
  } else {
    header = { op: 'delete', seq, productId: write.productId, version: write.version };
  }
  const json = Buffer.from(JSON.stringify(header));
  const jsonLength = Buffer.alloc(4);
  jsonLength.writeUInt32LE(json.length);
  const payload = Buffer.concat([jsonLength, json, ...vectorBytes]);
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(payload.length, 0);
  prefix.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([prefix, payload]);
}

function decodePayload(payload: Buffer): { seq: number; write: LoggedWrite } {
  const jsonLength = payload.readUInt32LE(0);
  const header = JSON.parse(payload.subarray(4, 4 + jsonLength).toString('utf8')) as LoggedHeader;
  if (header.op !== 'upsert') {
    const { seq, ...write } = header;
    return { seq, write };
  }
  const floats = payload.subarray(4 + jsonLength);
  const aligned = new Float32Array(floats.length / 4);
  new Uint8Array(aligned.buffer).set(floats);
  let cursor = 0;
  const total = header.products.reduce((sum, entry) => sum + entry.images.length, 0);
  const dimension = total === 0 ? 0 : aligned.length / total;
  const vectors = header.products.map((entry) =>
    entry.images.map(() => {
      const vector = aligned.subarray(cursor, cursor + dimension);
      cursor += dimension;
      return vector;
    }),
  );
  return { seq: header.seq, write: { op: 'upsert', products: header.products, vectors } };
}

function readFloats(file: string): Float32Array {
  const bytes = fs.readFileSync(file);
  const floats = new Float32Array(bytes.length / 4);
  new Uint8Array(floats.buffer).set(bytes);
  return floats;
}

function seqOf(name: string): number {
  return Number(/(\d+)/.exec(name)?.[1] ?? 0);
}

export async function writeFileAtomically(file: string, contents: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await fsp.open(tmp, 'w');
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fsp.rename(tmp, file);
  await syncDirectory(path.dirname(file));
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle.close();
  }
}
