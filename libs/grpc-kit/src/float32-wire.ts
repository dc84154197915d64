/**
 * The wire format of every vector in our protos: little-endian float32 values
 * packed in a `bytes` field (one allocation, no per-number varint work).
 * On little-endian hosts (all we run on) packing is a view and unpacking one
 * copy; big-endian hosts swap.
 */
import { endianness } from 'node:os';

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Float32Array → little-endian float32 bytes (a view on little-endian hosts, a swapped copy otherwise). */
export function packFloat32LE(values: Float32Array): Buffer {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  if (LITTLE_ENDIAN_HOST) return bytes;
  const copy = Buffer.from(bytes);
  copy.swap32();
  return copy;
}

/** Little-endian float32 bytes → a new, aligned Float32Array. `bytes.length` must be a multiple of 4. */
export function unpackFloat32LE(bytes: Uint8Array): Float32Array {
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  if (!LITTLE_ENDIAN_HOST) Buffer.from(values.buffer).swap32();
  return values;
}
