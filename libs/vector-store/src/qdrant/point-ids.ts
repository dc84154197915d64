/**
 * Deterministic Qdrant point ids (UUIDv5, RFC 4122 §4.3) from product and
 * image ids: a redelivered write lands on the same points (idempotent), and an
 * image that stays in the catalog keeps its point across versions.
 */
import { createHash } from 'node:crypto';

/** The namespace of this project's point ids (a fixed random UUID). */
const NAMESPACE = Buffer.from('6f1c7c2e4a8b4d3e9b5a2c1d0e9f8a7b', 'hex');

export function uuidV5(name: string): string {
  const hash = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The point holding a product's record: its version, data, image list, or its tombstone. */
export function recordPointId(productId: string): string {
  return uuidV5(`record\u0000${productId}`);
}

/** The point holding one image vector of a product. */
export function imagePointId(productId: string, imageId: string): string {
  return uuidV5(`image\u0000${productId}\u0000${imageId}`);
}
