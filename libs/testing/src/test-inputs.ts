/** Small inputs and readers shared by tests and benchmarks of the model services. */
import { deflateSync } from 'node:zlib';

/** Deterministic noise pixels (uint8 RGB, size × size × 3) for a seed: model-sized input without a photo. */
export function randomPixels(size: number, seed: number): Uint8Array {
  const pixels = new Uint8Array(size * size * 3);
  let state = seed * 2654435761;
  for (let i = 0; i < pixels.length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    pixels[i] = state >>> 24;
  }
  return pixels;
}

/** A sample's value in Prometheus text format: the first line of `name` (with or without labels) that carries every label given. */
export function metricValue(text: string, name: string, labels: string[] = []): number {
  const line = text
    .split('\n')
    .find((entry) => (entry.startsWith(`${name} `) || entry.startsWith(`${name}{`)) && labels.every((label) => entry.includes(label)));
  return Number(line?.split(' ').at(-1));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let crc = 0xffffffff;
  for (const byte of body) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const checksum = Buffer.alloc(4);
  checksum.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return Buffer.concat([length, body, checksum]);
}

/** A valid 1-bit greyscale PNG of side × side white-free black pixels: tiny on disk, `side`² pixels decoded. */
export function pngBomb(side: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, no interlace
  const row = Math.ceil(side / 8) + 1; // filter byte + packed bits, all zero
  const idat = deflateSync(Buffer.alloc(row * side), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', idat),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
