/**
 * Snapshot files written and read in fixed blocks with a CRC-32 per block, recorded in the
 * snapshot's manifest: the reader verifies each block before handing out a byte of it and fails
 * on a file shorter or longer than recorded, so damage is located to a block and never read as
 * data (no zero-fill). Files of snapshots written before checksums (format 1) are read through
 * the same reader without verification, with short reads still failing.
 */
import * as fsp from 'node:fs/promises';
import { crc32 } from 'node:zlib';

/** Bytes per checksummed block: small enough to locate damage, few enough to keep the manifest short. */
export const CHECKSUM_BLOCK_BYTES = 1024 * 1024;

/** What the manifest records of one file. */
export interface FileChecksums {
  bytes: number;
  blockBytes: number;
  /** CRC-32 (zlib) of each block in order; the last block may be shorter. */
  crc32: number[];
}

/** A read that hit damage: where, and what failed. */
export class BlockReadFailure extends Error {
  constructor(
    /** First byte that cannot be trusted. */
    readonly offset: number,
    /** End (exclusive) of the untrusted range, as far as it is known. */
    readonly end: number,
    readonly problem: string,
  ) {
    super(problem);
    this.name = 'BlockReadFailure';
  }
}

export class ChecksummedFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private written = 0;
  private readonly blocks: number[] = [];

  private constructor(
    private readonly handle: fsp.FileHandle,
    private readonly blockBytes: number,
  ) {}

  static async create(file: string, blockBytes = CHECKSUM_BLOCK_BYTES): Promise<ChecksummedFileWriter> {
    return new ChecksummedFileWriter(await fsp.open(file, 'w'), blockBytes);
  }

  async write(data: Buffer): Promise<void> {
    this.pending.push(data);
    this.pendingBytes += data.length;
    if (this.pendingBytes >= this.blockBytes) await this.flush(false);
  }

  /** Writes what is pending, fsyncs and closes; returns the checksums for the manifest. */
  async close(): Promise<FileChecksums> {
    try {
      await this.flush(true);
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    return { bytes: this.written, blockBytes: this.blockBytes, crc32: this.blocks };
  }

  /** Writes whole blocks (and on `final` the short last one), each checksummed as written. */
  private async flush(final: boolean): Promise<void> {
    const data = this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending);
    const whole = final ? data.length : data.length - (data.length % this.blockBytes);
    for (let start = 0; start < whole; start += this.blockBytes) this.blocks.push(crc32(data.subarray(start, Math.min(start + this.blockBytes, whole))));
    let offset = 0;
    while (offset < whole) offset += (await this.handle.write(data, offset, whole - offset)).bytesWritten;
    this.written += whole;
    const rest = data.subarray(whole);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
  }
}

/** Sequential reads of one file, block by block, each block verified against `expected` when given. */
export class VerifiedFileReader {
  private block: Buffer = Buffer.alloc(0);
  private blockStart = 0;
  private cursor = 0;
  private blockIndex = 0;

  private constructor(
    private readonly handle: fsp.FileHandle,
    private readonly size: number,
    private readonly expected: FileChecksums | undefined,
  ) {}

  /** Opens `file`; a size other than the recorded one fails here (a longer file was changed after it was written). */
  static async open(file: string, expected: FileChecksums | undefined): Promise<VerifiedFileReader> {
    const handle = await fsp.open(file, 'r');
    const { size } = await handle.stat();
    if (expected && size > expected.bytes) {
      await handle.close();
      throw new BlockReadFailure(expected.bytes, size, `${size - expected.bytes} bytes past the ${expected.bytes} the manifest records`);
    }
    return new VerifiedFileReader(handle, size, expected);
  }

  /** Bytes handed out so far. */
  get position(): number {
    return this.blockStart + this.cursor;
  }

  /** True once every byte of the file has been handed out. */
  get atEnd(): boolean {
    return this.position >= (this.expected?.bytes ?? this.size);
  }

  /** Fills `target` from the file; fails on a short read or a damaged block. */
  async readInto(target: Uint8Array): Promise<void> {
    let filled = 0;
    while (filled < target.length) {
      if (this.cursor === this.block.length) {
        const start = this.position;
        if (!(await this.nextBlock())) {
          throw new BlockReadFailure(start, start + target.length - filled, `the file ends at byte ${start}, ${target.length - filled} bytes short`);
        }
      }
      const take = Math.min(target.length - filled, this.block.length - this.cursor);
      target.set(this.block.subarray(this.cursor, this.cursor + take), filled);
      this.cursor += take;
      filled += take;
    }
  }

  /** The rest of the current block, or the next verified block; undefined at the end of the file. */
  async nextChunk(): Promise<Buffer | undefined> {
    if (this.cursor === this.block.length && !(await this.nextBlock())) return undefined;
    const chunk = this.block.subarray(this.cursor);
    this.cursor = this.block.length;
    return chunk;
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  private async nextBlock(): Promise<boolean> {
    const start = this.blockStart + this.block.length;
    const end = this.expected ? this.expected.bytes : this.size;
    if (start >= end) return false;
    const wanted = Math.min(this.expected?.blockBytes ?? CHECKSUM_BLOCK_BYTES, end - start);
    const block = Buffer.allocUnsafe(wanted);
    let got = 0;
    while (got < wanted) {
      const { bytesRead } = await this.handle.read(block, got, wanted - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got < wanted) {
      throw new BlockReadFailure(start + got, end, `the file ends at byte ${start + got}, ${end - start - got} bytes short of the ${end} the manifest records`);
    }
    if (this.expected) {
      const recorded = this.expected.crc32[this.blockIndex];
      if (recorded === undefined || crc32(block) !== recorded) {
        throw new BlockReadFailure(
          start,
          start + wanted,
          `checksum mismatch in bytes ${start}-${start + wanted - 1} (block ${this.blockIndex + 1} of ${this.expected.crc32.length})`,
        );
      }
    }
    this.blockIndex++;
    this.blockStart = start;
    this.block = block;
    this.cursor = 0;
    return true;
  }
}
