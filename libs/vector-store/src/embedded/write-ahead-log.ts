/**
 * The write-ahead log's frames: their encoding and the scan that replays them, telling a torn
 * tail (the last frame cut short by a crash mid-append: cut off with a warning) from damage to
 * acknowledged writes (a complete frame failing its checksum, a header failing its own: an
 * error naming the file, the offset and the writes affected).
 *
 *   format 2, wal-<firstSeq>.v2.log: u32 magic "VSW2", u32 payload length, u32 CRC-32 of the
 *            payload, u32 CRC-32 of the 12 bytes before it, payload
 *   format 1, wal-<firstSeq>.log:    u32 payload length, u32 CRC-32 of the payload, payload
 *   payload: u32 json length, json header ({ op, seq, ... }), float32 vectors of an upsert
 *
 * The header checksum is what format 2 adds: in format 1 a flipped bit in a length field reads
 * as a frame running past the end, which cannot be told from a torn tail. The format is in the
 * file name, not the bytes, so a damaged first frame cannot change how a file is read.
 */
import { crc32 } from 'node:zlib';
import type { FailedImage, ImageRef, ProductData, ProductTag } from '../types';
import { StorageDamageError } from './storage-damage';

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

export type LogFormat = 1 | 2;

const LOG_FILE = /^wal-(\d+)(\.v2)?\.log$/;
const MAGIC = 0x32575356; // "VSW2" little-endian
const V2_HEADER_BYTES = 16;
const V1_HEADER_BYTES = 8;

/** The log file's first sequence number and format, or undefined for a name that is not a log. */
export function parseLogFileName(name: string): { firstSeq: number; format: LogFormat } | undefined {
  const match = LOG_FILE.exec(name);
  return match ? { firstSeq: Number(match[1]), format: match[2] ? 2 : 1 } : undefined;
}

/** The name of the log that new writes from `firstSeq` on are appended to (always the current format). */
export function logFileName(firstSeq: number): string {
  return `wal-${firstSeq}.v2.log`;
}

/** One write as a format-2 frame. */
export function encodeFrame(write: LoggedWrite, seq: number): Buffer {
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
  const prefix = Buffer.alloc(V2_HEADER_BYTES);
  prefix.writeUInt32LE(MAGIC, 0);
  prefix.writeUInt32LE(payload.length, 4);
  prefix.writeUInt32LE(crc32(payload), 8);
  prefix.writeUInt32LE(crc32(prefix.subarray(0, 12)), 12);
  return Buffer.concat([prefix, payload]);
}

/** What a scan found: the bytes of intact frames, and the torn tail after them (0 when none). */
export interface LogScan {
  intactBytes: number;
  tornBytes: number;
}

/**
 * Hands every intact frame of `data` to `onFrame` in order, with its byte offset. A frame cut short at the end is a
 * torn tail (reported in the result, left to the caller to cut off); anything else that fails
 * is damage and throws StorageDamageError, after the frames before it were handed over.
 * `lastSeq` is the sequence number before this file's first frame, for naming what is affected.
 */
export function scanLog(
  data: Buffer,
  file: string,
  format: LogFormat,
  lastSeq: number,
  onFrame: (frame: { seq: number; write: LoggedWrite; offset: number }) => void,
): LogScan {
  const headerBytes = format === 2 ? V2_HEADER_BYTES : V1_HEADER_BYTES;
  let offset = 0;
  let seq = lastSeq;
  const damage = (problem: string): StorageDamageError => {
    const after = format === 2 ? intactFramesAfter(data, offset + 1) : undefined;
    const later = after === undefined ? '' : `, and the ${after} intact frames logged after it, which cannot be replayed past it`;
    return new StorageDamageError(file, offset, problem, `the write logged after seq ${seq}${later} (${data.length - offset} bytes not replayed)`);
  };
  while (offset < data.length) {
    if (data.length - offset < headerBytes) return { intactBytes: offset, tornBytes: data.length - offset };
    let length: number;
    let checksum: number;
    if (format === 2) {
      const headerIntact = data.readUInt32LE(offset) === MAGIC && crc32(data.subarray(offset, offset + 12)) === data.readUInt32LE(offset + 12);
      if (!headerIntact) {
        if (isAllZero(data, offset)) return { intactBytes: offset, tornBytes: data.length - offset }; // space a crash extended the file by, never written
        throw damage('frame header fails its checksum');
      }
      length = data.readUInt32LE(offset + 4);
      checksum = data.readUInt32LE(offset + 8);
    } else {
      length = data.readUInt32LE(offset);
      checksum = data.readUInt32LE(offset + 4);
    }
    const end = offset + headerBytes + length;
    if (end > data.length) return { intactBytes: offset, tornBytes: data.length - offset };
    const payload = data.subarray(offset + headerBytes, end);
    if (crc32(payload) !== checksum) throw damage(`a complete ${length}-byte frame fails its checksum`);
    let decoded: { seq: number; write: LoggedWrite };
    try {
      decoded = decodePayload(payload);
    } catch (error) {
      throw damage(`a frame passes its checksum but cannot be decoded (${(error as Error).message})`);
    }
    onFrame({ ...decoded, offset });
    seq = decoded.seq;
    offset = end;
  }
  return { intactBytes: offset, tornBytes: 0 };
}

/** How many intact format-2 frames follow a damaged one (found by their magic and header checksum). */
function intactFramesAfter(data: Buffer, from: number): number {
  let count = 0;
  let offset = from;
  while (offset + V2_HEADER_BYTES <= data.length) {
    const found = data.indexOf(MAGIC_BYTES, offset);
    if (found < 0 || found + V2_HEADER_BYTES > data.length) break;
    const length = data.readUInt32LE(found + 4);
    const end = found + V2_HEADER_BYTES + length;
    const intact =
      crc32(data.subarray(found, found + 12)) === data.readUInt32LE(found + 12) &&
      end <= data.length &&
      crc32(data.subarray(found + V2_HEADER_BYTES, end)) === data.readUInt32LE(found + 8);
    if (intact) {
      count++;
      offset = end;
    } else {
      offset = found + 1;
    }
  }
  return count;
}

const MAGIC_BYTES = (() => {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(MAGIC);
  return bytes;
})();

function isAllZero(data: Buffer, from: number): boolean {
  for (let i = from; i < data.length; i++) if (data[i] !== 0) return false;
  return true;
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
