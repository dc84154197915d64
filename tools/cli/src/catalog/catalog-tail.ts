/**
 * Follows a catalog file that is still being written (the generator appends a
 * line once the product's images are on disk): each call returns the complete
 * lines added since the last one, parsed with the contracts. A partial last
 * line waits for the next call.
 */
import { open, stat } from 'node:fs/promises';
import { parseCatalogEvent } from '@vsearch/contracts';
import type { CatalogLine } from './catalog-file';

export class CatalogFileTail {
  private offset = 0;
  private lineNumber = 0;
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly file: string) {}

  async readNewLines(): Promise<CatalogLine[]> {
    let size: number;
    try {
      size = (await stat(this.file)).size;
    } catch {
      return [];
    }
    if (size <= this.offset) return [];
    const handle = await open(this.file, 'r');
    let chunk: Buffer;
    try {
      chunk = Buffer.alloc(size - this.offset);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, this.offset);
      chunk = chunk.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
    this.offset += chunk.length;
    const data = Buffer.concat([this.pending, chunk]);
    const end = data.lastIndexOf(0x0a);
    if (end < 0) {
      this.pending = data;
      return [];
    }
    this.pending = Buffer.from(data.subarray(end + 1));
    const lines: CatalogLine[] = [];
    for (const line of data.subarray(0, end).toString('utf8').split('\n')) {
      this.lineNumber++;
      const raw = line.trim();
      if (!raw) continue;
      const parsed = parseCatalogEvent(raw);
      lines.push(
        parsed.ok
          ? { ok: true, lineNumber: this.lineNumber, raw, event: parsed.value }
          : { ok: false, lineNumber: this.lineNumber, raw, code: parsed.error.code, message: parsed.error.message },
      );
    }
    return lines;
  }
}
