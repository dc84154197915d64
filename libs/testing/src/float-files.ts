import { readFileSync } from 'node:fs';
import path from 'node:path';

/** A little-endian float32 file (a model's reference/*.f32, written by the training exporters) as a Float32Array. */
export function readFloat32File(directory: string, name: string): Float32Array {
  const bytes = readFileSync(path.join(directory, name));
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** The largest |a[i] − b[i]|; throws when the lengths differ (a shape mismatch is not a small difference). */
export function maxAbsDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} differs from ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
