/**
 * Durable storage of one embedded collection: an append-only write-ahead log
 * of applied writes plus periodic snapshots, every byte of them checksummed.
 *
 *   <dir>/meta.json                      model id, dimension (written once)
 *   <dir>/wal-<firstSeq>.v2.log          frames, each with a CRC-32 of its header and of its payload (write-ahead-log.ts)
 *   <dir>/snapshot-<seq>/manifest.json   format, last sequence number folded in, index centroids' training size, product and
 *                                        vector counts, size and per-1-MiB-block CRC-32s of every file below, and its own CRC-32
 *   <dir>/snapshot-<seq>/products.jsonl  one product (or tombstone) per line, with its images' IVF lists
 *                                        and its failed images (a key written only when there are some)
 *   <dir>/snapshot-<seq>/vectors.f32     the images' unit vectors in product order
 *   <dir>/snapshot-<seq>/centroids.f32   the IVF centroids, when the collection is indexed
 *
 * A write is acknowledged after its frame is appended (and fdatasync'ed when
 * `durable`); opening loads the newest snapshot (renamed into place only once
 * fully written and synced), verifying every block, and replays later frames.
 * A frame cut short at the end of the log is what a crash mid-append leaves: it
 * was never acknowledged, so it is cut off with a warning naming the bytes. Any
 * other failure (a checksum, a short read, a gap in the sequence numbers) is
 * damage to acknowledged data: load throws StorageDamageError naming the file,
 * the offset and what is affected, and changes no file, so the damage stays
 * visible until the collection is rebuilt and dropped.
 *
 * Stores written before checksums (snapshot manifests without `format`, logs
 * named `wal-<seq>.log`) still load, with short reads and bad frames still
 * failing; new writes go to a format-2 log, and the next snapshot (at the
 * latest on close, which snapshots a format-1 snapshot even with no new
 * writes) rewrites everything in format 2 and drops the old files.
 */
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import type { CollectionMeta, EmbeddedCollection, ProductSnapshot } from './embedded-collection';
import { BlockReadFailure, ChecksummedFileWriter, VerifiedFileReader, type FileChecksums } from './checksummed-file';
import { StorageDamageError, describeIds } from './storage-damage';
import { encodeFrame, logFileName, parseLogFileName, scanLog, type LoggedWrite } from './write-ahead-log';

export type { LoggedUpsert, LoggedWrite } from './write-ahead-log';

/** Where storage reports what it repaired on its own (a torn log tail); pino's `warn` fits. */
export interface StorageLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

const SNAPSHOT_MIN_LOG_BYTES = 64 * 1024 * 1024;
const SNAPSHOT_FORMAT = 2;
const PRODUCTS_FILE = 'products.jsonl';
const VECTORS_FILE = 'vectors.f32';
const CENTROIDS_FILE = 'centroids.f32';

/** A snapshot manifest; format 1 (before checksums) has no counts and no file checksums. */
type Manifest =
  | { format: 1; seq: number; dimension: number; index: { trainedOn: number } | null }
  | {
      format: 2;
      seq: number;
      dimension: number;
      index: { trainedOn: number } | null;
      products: number;
      vectors: number;
      files: Record<string, FileChecksums>;
    };

export class CollectionStorage {
  private log: fsp.FileHandle | undefined;
  private logFileBytes = 0;
  private seq = 0;
  private logBytes = 0;
  private snapshotBytes = 0;
  /** Set when the loaded snapshot predates checksums: the next close rewrites it even without new writes. */
  private upgradePending = false;

  constructor(
    readonly dir: string,
    private readonly durable: boolean,
    private readonly warnings?: StorageLog,
  ) {}

  static async create(dir: string, meta: CollectionMeta, durable: boolean, warnings?: StorageLog): Promise<CollectionStorage> {
    await fsp.mkdir(dir, { recursive: true });
    await writeFileAtomically(path.join(dir, 'meta.json'), JSON.stringify(meta, null, 2));
    return new CollectionStorage(dir, durable, warnings);
  }

  /**
   * The collection's metadata; undefined when `meta.json` does not exist (a collection whose
   * creation did not finish), StorageDamageError when it exists but cannot be read.
   */
  static async readMeta(dir: string): Promise<CollectionMeta | undefined> {
    let text: string;
    try {
      text = await fsp.readFile(path.join(dir, 'meta.json'), 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    const affected = 'the collection as a whole: its model id and dimension are unknown';
    let meta: Partial<CollectionMeta>;
    try {
      meta = JSON.parse(text) as Partial<CollectionMeta>;
    } catch (error) {
      throw new StorageDamageError('meta.json', jsonErrorPosition(error), `not valid JSON (${(error as Error).message})`, affected);
    }
    if (typeof meta?.modelId !== 'string' || !Number.isInteger(meta.dimension) || (meta.dimension ?? 0) <= 0 || typeof meta.name !== 'string') {
      throw new StorageDamageError('meta.json', 0, 'a name, model id or positive integer dimension is missing', affected);
    }
    return meta as CollectionMeta;
  }

  /**
   * Loads the newest snapshot and replays the log into `collection`; throws StorageDamageError
   * on damage to acknowledged data (after loading what came before it, and changing no file).
   */
  async load(collection: EmbeddedCollection, apply: (write: LoggedWrite) => void): Promise<void> {
    const names = await fsp.readdir(this.dir);
    for (const name of names) if (name.endsWith('.tmp')) await fsp.rm(path.join(this.dir, name), { recursive: true, force: true });

    const snapshots = names.filter((name) => /^snapshot-\d+$/.test(name)).sort((a, b) => seqOf(b) - seqOf(a));
    if (snapshots.length > 0) this.seq = await this.loadSnapshot(snapshots[0], collection);

    const logs = names
      .flatMap((name) => {
        const parsed = parseLogFileName(name);
        return parsed ? [{ name, ...parsed }] : [];
      })
      .sort((a, b) => a.firstSeq - b.firstSeq);
    let torn: { file: string; intactBytes: number; tornBytes: number } | undefined;
    for (const [i, log] of logs.entries()) {
      const scan = scanLog(await fsp.readFile(path.join(this.dir, log.name)), log.name, log.format, this.seq, ({ seq, write, offset }) => {
        if (seq <= this.seq) return; // folded into the snapshot already (a crash came between the snapshot and the log's removal)
        if (seq !== this.seq + 1) {
          throw new StorageDamageError(
            log.name,
            offset,
            `the log jumps from seq ${this.seq} to seq ${seq}`,
            `the writes seq ${this.seq + 1}-${seq - 1} are missing (a log file or a snapshot was lost)`,
          );
        }
        apply(write);
        this.seq = seq;
      });
      if (scan.tornBytes > 0 && i < logs.length - 1) {
        throw new StorageDamageError(
          log.name,
          scan.intactBytes,
          `the file ends inside a frame (${scan.tornBytes} bytes of it) but later logs follow it`,
          `the writes after seq ${this.seq} in this file`,
        );
      }
      if (scan.tornBytes > 0) torn = { file: log.name, ...scan };
      this.logBytes += scan.intactBytes;
    }
    if (torn) {
      // Cut only once every file loaded: a damaged collection is left exactly as found.
      await fsp.truncate(path.join(this.dir, torn.file), torn.intactBytes);
      this.warnings?.warn(
        { dir: this.dir, file: torn.file, offset: torn.intactBytes, bytes: torn.tornBytes },
        `cut ${torn.tornBytes} bytes of a torn write from the end of ${torn.file} (at byte ${torn.intactBytes}): a write a crash interrupted before it was acknowledged`,
      );
    }
  }

  async append(write: LoggedWrite): Promise<void> {
    const seq = this.seq + 1;
    const frame = encodeFrame(write, seq);
    if (!this.log) {
      this.log = await fsp.open(path.join(this.dir, logFileName(seq)), 'a');
      this.logFileBytes = (await this.log.stat()).size;
    }
    try {
      await this.log.write(frame);
      if (this.durable) await this.log.datasync();
    } catch (error) {
      // A half-written frame followed by later ones would read as damage: take it back.
      await this.log.truncate(this.logFileBytes).catch(() => undefined);
      throw error;
    }
    this.seq = seq;
    this.logBytes += frame.length;
    this.logFileBytes += frame.length;
  }

  /** True when the log has grown enough that a snapshot would shorten start-up. */
  get wantsSnapshot(): boolean {
    return this.logBytes > Math.max(SNAPSHOT_MIN_LOG_BYTES, this.snapshotBytes);
  }

  /** Writes a snapshot of `collection` (the caller holds the write lock) and drops the log it covers. */
  async snapshot(collection: EmbeddedCollection): Promise<void> {
    if (this.logBytes === 0 && !this.upgradePending && this.hasSnapshot(this.seq)) return;
    const seq = this.seq;
    const finalDir = path.join(this.dir, `snapshot-${seq}`);
    const tmpDir = `${finalDir}.tmp`;
    await fsp.rm(tmpDir, { recursive: true, force: true });
    await fsp.mkdir(tmpDir);

    const products = await ChecksummedFileWriter.create(path.join(tmpDir, PRODUCTS_FILE));
    const vectors = await ChecksummedFileWriter.create(path.join(tmpDir, VECTORS_FILE));
    let productCount = 0;
    let vectorCount = 0;
    let lines: string[] = [];
    for (const { snapshot, vectors: productVectors, lists } of collection.exportProducts()) {
      lines.push(`${JSON.stringify({ ...snapshot, lists })}\n`);
      productCount++;
      for (const vector of productVectors) {
        await vectors.write(Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength)); // a view: nothing writes while the lock is held
        vectorCount++;
      }
      if (lines.length >= 10_000) {
        await products.write(Buffer.from(lines.join('')));
        lines = [];
      }
    }
    await products.write(Buffer.from(lines.join('')));
    const files: Record<string, FileChecksums> = { [PRODUCTS_FILE]: await products.close(), [VECTORS_FILE]: await vectors.close() };

    const index = collection.exportIndex();
    if (index) {
      const centroids = await ChecksummedFileWriter.create(path.join(tmpDir, CENTROIDS_FILE));
      await centroids.write(Buffer.from(index.centroids.buffer, index.centroids.byteOffset, index.centroids.byteLength));
      files[CENTROIDS_FILE] = await centroids.close();
    }
    const manifest = {
      format: SNAPSHOT_FORMAT,
      seq,
      dimension: collection.dimension,
      index: index ? { trainedOn: index.trainedOn } : null,
      products: productCount,
      vectors: vectorCount,
      files,
    };
    await writeAndSync(path.join(tmpDir, 'manifest.json'), JSON.stringify({ ...manifest, checksum: crc32(JSON.stringify(manifest)) }));
    await syncDirectory(tmpDir);
    await fsp.rm(finalDir, { recursive: true, force: true }); // only a snapshot of the same sequence number, so the same data
    await fsp.rename(tmpDir, finalDir);
    await syncDirectory(this.dir);

    // The snapshot now covers every logged frame: start a new log and drop the old files.
    await this.log?.close();
    this.log = undefined;
    for (const name of await fsp.readdir(this.dir)) {
      const log = parseLogFileName(name);
      const covered = (log !== undefined && log.firstSeq <= seq) || (/^snapshot-\d+$/.test(name) && seqOf(name) < seq);
      if (covered) await fsp.rm(path.join(this.dir, name), { recursive: true, force: true });
    }
    this.logBytes = 0;
    this.snapshotBytes = files[VECTORS_FILE].bytes;
    this.upgradePending = false;
  }

  async close(): Promise<void> {
    await this.log?.close();
    this.log = undefined;
  }

  private hasSnapshot(seq: number): boolean {
    return fs.existsSync(path.join(this.dir, `snapshot-${seq}`, 'manifest.json'));
  }

  private async loadSnapshot(name: string, collection: EmbeddedCollection): Promise<number> {
    const dir = path.join(this.dir, name);
    const manifest = await readManifest(path.join(dir, 'manifest.json'), `${name}/manifest.json`, collection.dimension);
    this.upgradePending = manifest.format === 1;
    const checksums = (file: string) => (manifest.format === 2 ? manifest.files[file] : undefined);
    if (manifest.index) collection.importIndex(await readCentroids(dir, name, collection.dimension, checksums(CENTROIDS_FILE)), manifest.index.trainedOn);
    this.snapshotBytes = await loadProducts(dir, name, collection, manifest, checksums(PRODUCTS_FILE), checksums(VECTORS_FILE));
    return manifest.seq;
  }
}

/**
 * Imports every product of a snapshot with its vectors, verifying both files block by block;
 * returns the bytes of vectors read. On damage, names the products it affects.
 */
async function loadProducts(
  dir: string,
  snapshot: string,
  collection: EmbeddedCollection,
  manifest: Manifest,
  productChecksums: FileChecksums | undefined,
  vectorChecksums: FileChecksums | undefined,
): Promise<number> {
  const productsName = `${snapshot}/${PRODUCTS_FILE}`;
  const vectorsName = `${snapshot}/${VECTORS_FILE}`;
  const vectorBytes = collection.dimension * 4;
  const products = await openVerified(path.join(dir, PRODUCTS_FILE), productsName, productChecksums);
  let vectors: VerifiedFileReader;
  try {
    vectors = await openVerified(path.join(dir, VECTORS_FILE), vectorsName, vectorChecksums);
  } catch (error) {
    await products.close();
    throw error;
  }
  let loaded = 0;
  let lastId = '';
  /** Set once a vector read failed: later lines are only read to name the products whose vectors sit in the damaged range. */
  let vectorDamage: { failure: BlockReadFailure; ids: string[] } | undefined;
  let vectorPosition = 0;
  const remaining = () => (manifest.format === 2 ? `${manifest.products - loaded} of the ${manifest.products} products` : 'every product');
  try {
    for await (const { text, offset, line } of linesOf(products, productsName, () => `${remaining()} from line ${loaded + 1} on`)) {
      let parsed: ProductSnapshot & { lists: number[] };
      try {
        parsed = JSON.parse(text) as ProductSnapshot & { lists: number[] };
      } catch (error) {
        throw new StorageDamageError(
          productsName,
          offset,
          `line ${line} is not valid JSON (${(error as Error).message})`,
          `${remaining()} from line ${line} on (after ${lastId || 'the start'})`,
        );
      }
      if (typeof parsed?.productId !== 'string' || !Array.isArray(parsed.images) || !Array.isArray(parsed.lists)) {
        throw new StorageDamageError(
          productsName,
          offset,
          `line ${line} is not a stored product`,
          `${remaining()} from line ${line} on (after ${lastId || 'the start'})`,
        );
      }
      const { lists, ...stored } = parsed;
      const start = vectorPosition;
      vectorPosition += stored.images.length * vectorBytes;
      if (vectorDamage) {
        if (start >= vectorDamage.failure.end) break;
        if (vectorPosition > vectorDamage.failure.offset) vectorDamage.ids.push(stored.productId);
        continue;
      }
      const productVectors: Float32Array[] = [];
      try {
        for (let i = 0; i < stored.images.length; i++) {
          const vector = new Float32Array(collection.dimension);
          await vectors.readInto(new Uint8Array(vector.buffer));
          productVectors.push(vector);
        }
      } catch (error) {
        if (!(error instanceof BlockReadFailure)) throw error;
        vectorDamage = { failure: error, ids: [stored.productId] };
        continue;
      }
      collection.importProduct(stored, productVectors, lists);
      loaded++;
      lastId = stored.productId;
    }
  } finally {
    await products.close();
    await vectors.close();
  }
  if (vectorDamage) {
    const { failure, ids } = vectorDamage;
    throw new StorageDamageError(vectorsName, failure.offset, failure.problem, `the vectors of ${ids.length} products (${describeIds(ids)})`);
  }
  if (!vectors.atEnd) {
    throw new StorageDamageError(
      vectorsName,
      vectors.position,
      `${vectorPosition} bytes of vectors belong to the ${loaded} products read, but the file holds more`,
      `the products whose lines are missing from the end of ${productsName}`,
    );
  }
  if (manifest.format === 2 && (loaded !== manifest.products || vectorPosition / vectorBytes !== manifest.vectors)) {
    throw new StorageDamageError(
      productsName,
      products.position,
      `${loaded} products with ${vectorPosition / vectorBytes} vectors read, the manifest records ${manifest.products} with ${manifest.vectors}`,
      `${Math.abs(manifest.products - loaded)} products`,
    );
  }
  return vectorPosition;
}

/** The lines of a products file with their byte offsets; a block that fails verification, or a last line with no newline, is damage. */
async function* linesOf(reader: VerifiedFileReader, name: string, affected: () => string): AsyncGenerator<{ text: string; offset: number; line: number }> {
  let carry: Buffer = Buffer.alloc(0);
  let carryOffset = 0;
  let line = 0;
  for (;;) {
    let chunk: Buffer | undefined;
    try {
      chunk = await reader.nextChunk();
    } catch (error) {
      if (error instanceof BlockReadFailure) throw new StorageDamageError(name, error.offset, error.problem, affected());
      throw error;
    }
    if (!chunk) break;
    const data = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let end = data.indexOf(10, start); end >= 0; end = data.indexOf(10, start)) {
      line++;
      if (end > start) yield { text: data.toString('utf8', start, end), offset: carryOffset + start, line };
      start = end + 1;
    }
    carry = data.subarray(start);
    carryOffset += start;
  }
  if (carry.length > 0) {
    throw new StorageDamageError(name, carryOffset, `the last line (${line + 1}) is cut short: ${carry.length} bytes and no newline`, affected());
  }
}

async function openVerified(file: string, name: string, checksums: FileChecksums | undefined): Promise<VerifiedFileReader> {
  try {
    return await VerifiedFileReader.open(file, checksums);
  } catch (error) {
    if (error instanceof BlockReadFailure)
      throw new StorageDamageError(name, error.offset, error.problem, 'the whole snapshot: the file changed after it was written');
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageDamageError(name, 0, 'the file is missing', 'the whole snapshot');
    throw error;
  }
}

async function readCentroids(dir: string, snapshot: string, dimension: number, checksums: FileChecksums | undefined): Promise<Float32Array> {
  const name = `${snapshot}/${CENTROIDS_FILE}`;
  const reader = await openVerified(path.join(dir, CENTROIDS_FILE), name, checksums);
  try {
    const chunks: Buffer[] = [];
    for (let chunk = await reader.nextChunk(); chunk; chunk = await reader.nextChunk()) chunks.push(Buffer.from(chunk));
    const bytes = Buffer.concat(chunks);
    if (bytes.length === 0 || bytes.length % (dimension * 4) !== 0) {
      throw new BlockReadFailure(0, bytes.length, `${bytes.length} bytes is not a whole number of ${dimension}-dimensional centroids`);
    }
    const centroids = new Float32Array(bytes.length / 4);
    new Uint8Array(centroids.buffer).set(bytes);
    return centroids;
  } catch (error) {
    if (error instanceof BlockReadFailure) throw new StorageDamageError(name, error.offset, error.problem, 'the IVF index, and with it the whole snapshot');
    throw error;
  } finally {
    await reader.close();
  }
}

/** Reads and verifies a manifest: JSON, its own checksum (format 2), its fields and the collection's dimension. */
async function readManifest(file: string, name: string, dimension: number): Promise<Manifest> {
  const affected = 'the whole snapshot: every product written before its log';
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StorageDamageError(name, 0, 'the snapshot has no manifest', affected);
    throw error;
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new StorageDamageError(name, jsonErrorPosition(error), `not valid JSON (${(error as Error).message})`, affected);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new StorageDamageError(name, 0, 'not a manifest object', affected);
  const { checksum, ...body } = parsed;
  const legacy = !('format' in parsed) && !('files' in parsed) && checksum === undefined;
  if (!legacy && (typeof checksum !== 'number' || crc32(JSON.stringify(body)) !== checksum)) {
    throw new StorageDamageError(name, 0, `checksum mismatch (${text.length} bytes)`, affected);
  }
  const manifest = { format: legacy ? 1 : body.format, ...body } as Manifest;
  const indexValid = manifest.index === null || (typeof manifest.index === 'object' && Number.isInteger(manifest.index?.trainedOn));
  const countsValid =
    manifest.format === 1 ||
    (manifest.format === 2 &&
      Number.isInteger(manifest.products) &&
      Number.isInteger(manifest.vectors) &&
      typeof manifest.files === 'object' &&
      manifest.files !== null &&
      manifest.files[PRODUCTS_FILE] !== undefined &&
      manifest.files[VECTORS_FILE] !== undefined);
  if (!Number.isInteger(manifest.seq) || manifest.seq < 0 || !indexValid || !countsValid) {
    throw new StorageDamageError(name, 0, `not a format ${String(manifest.format)} manifest (fields missing or of the wrong type)`, affected);
  }
  if (manifest.dimension !== dimension) {
    throw new StorageDamageError(name, 0, `records dimension ${manifest.dimension}, the collection has ${dimension}`, affected);
  }
  return manifest;
}

function jsonErrorPosition(error: unknown): number {
  return Number(/position (\d+)/.exec((error as Error).message)?.[1] ?? 0);
}

function seqOf(name: string): number {
  return Number(/(\d+)/.exec(name)?.[1] ?? 0);
}

export async function writeFileAtomically(file: string, contents: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await writeAndSync(tmp, contents);
  await fsp.rename(tmp, file);
  await syncDirectory(path.dirname(file));
}

async function writeAndSync(file: string, contents: string): Promise<void> {
  const handle = await fsp.open(file, 'w');
  try {
    await handle.writeFile(contents);
    await handle.sync();
  } finally {
    await handle.close();
  }
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
