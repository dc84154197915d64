/** Small inputs and readers shared by tests and benchmarks of the model services. */

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
