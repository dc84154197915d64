import type { ActiveTagging } from '@vsearch/contracts';
import { IMAGE_AGGREGATIONS, LabelMatrix, type ImageAggregation } from './image-aggregation';
import { ZeroShotTagger } from './zero-shot-tagger';

/** A fixed sequence of numbers in [0, 1) (a linear congruential generator), so every run checks the same vectors. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

function randomUnit(random: () => number, dimension: number): Float32Array {
  const vector = Float32Array.from({ length: dimension }, () => random() * 2 - 1);
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

// The straightforward computation the packed kernel must agree with: plain numbers, one label at a time.
function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function unit(vector: ArrayLike<number>): number[] {
  const norm = Math.sqrt(dot(vector, vector));
  return Array.from(vector, (value) => value / norm);
}

function referenceCosines(images: Float32Array[], labels: Float32Array[], aggregation: ImageAggregation): number[] {
  if (aggregation === 'max-cosine') return labels.map((label) => Math.max(...images.map((image) => dot(unit(label), image))));
  const mean = images.length === 1 ? Array.from(images[0]) : unit(Array.from(images[0], (_, i) => images.reduce((sum, image) => sum + image[i], 0)));
  return labels.map((label) => dot(unit(label), mean));
}

function referenceSoftmax(cosines: number[], logitScale: number): number[] {
  const max = Math.max(...cosines);
  const exps = cosines.map((cosine) => Math.exp(logitScale * (cosine - max)));
  const sum = exps.reduce((total, value) => total + value, 0);
  return exps.map((value) => value / sum);
}

const ATTRIBUTES = [
  { name: 'category', labels: 12, mode: 'single' as const, threshold: 0.5 },
  { name: 'colour', labels: 7, mode: 'single' as const, threshold: 0.3 },
  { name: 'pattern', labels: 5, mode: 'multi' as const, threshold: 0.2 },
];

describe(LabelMatrix.name, () => {
  // 512: ViT-B/32; 37: not a multiple of anything the kernel unrolls by. 13 labels: a padded last block.
  it.each([512, 37])('computes every label cosine of a product as the straightforward loop does, at %i dimensions', (dimension) => {
    const random = seededRandom(dimension);
    const labels = Array.from({ length: 13 }, () => randomUnit(random, dimension));
    const matrix = new LabelMatrix(labels.map(unit), dimension);
    for (const aggregation of IMAGE_AGGREGATIONS) {
      for (const imageCount of [1, 2, 3]) {
        const images = Array.from({ length: imageCount }, () => randomUnit(random, dimension));
        const expected = referenceCosines(images, labels, aggregation);
        const actual = matrix.cosinesOf(images, aggregation, matrix.newRowBuffer());
        expected.forEach((cosine, row) => expect(Math.abs(actual[row] - cosine)).toBeLessThan(1e-12));
      }
    }
  });

  it('gives a product whose images cancel out a zero cosine with every label', () => {
    const image = new Float32Array([0.6, 0.8]);
    const matrix = new LabelMatrix([new Float32Array([1, 0]), new Float32Array([0, 1])], 2);
    const cosines = matrix.cosinesOf([image, image.map((value) => -value)], 'mean-vector', matrix.newRowBuffer());
    expect(Array.from(cosines.subarray(0, 2))).toEqual([0, 0]);
  });
});

describe(`${ZeroShotTagger.name} against the straightforward computation`, () => {
  it.each([512, 37])('gives the same tags and confidences within 1e-6 on random vectors at %i dimensions', (dimension) => {
    const random = seededRandom(dimension + 1);
    const logitScale = 100;
    const labelVectors = ATTRIBUTES.map(({ labels }) => Array.from({ length: labels }, () => randomUnit(random, dimension)));
    const tagging: ActiveTagging = {
      taxonomy: {
        version: 2,
        createdAt: '2026-01-01T00:00:00.000Z',
        attributes: ATTRIBUTES.map(({ name, labels, mode, threshold }) => ({
          name,
          mode,
          threshold,
          labels: Array.from({ length: labels }, (_, i) => ({ label: `${name}-${i}` })),
        })),
      },
      modelId: 'random@1',
      logitScale,
      labelVectors: ATTRIBUTES.flatMap(({ name }, a) => labelVectors[a].map((vector, i) => ({ attribute: name, label: `${name}-${i}`, vector }))),
    };
    for (const aggregation of IMAGE_AGGREGATIONS) {
      const tagger = new ZeroShotTagger(tagging, { aggregation });
      let tagged = 0;
      let untagged = 0;
      for (let product = 0; product < 200; product++) {
        // near one label of each attribute, as real products are, so that thresholds are met and missed
        const images = Array.from({ length: 1 + (product % 3) }, () => {
          const noise = randomUnit(random, dimension);
          const near = labelVectors.map((vectors) => vectors[Math.floor(random() * vectors.length)]);
          return unit(noise.map((value, i) => value * 0.5 + near.reduce((sum, vector) => sum + vector[i], 0) * 0.1 * random()));
        }).map((image) => Float32Array.from(image));
        const expectedTags = ATTRIBUTES.flatMap(({ name, mode, threshold }, a) => {
          const confidences = referenceSoftmax(referenceCosines(images, labelVectors[a], aggregation), logitScale);
          const gaps = Array.from(tagger.confidences(name, images), (value, i) => Math.abs(value - confidences[i]));
          expect(Math.max(...gaps)).toBeLessThan(1e-6);
          const kept =
            mode === 'single'
              ? [confidences.indexOf(Math.max(...confidences))].filter((i) => confidences[i] >= threshold)
              : confidences.flatMap((confidence, i) => (confidence >= threshold ? [i] : []));
          if (kept.length === 0) untagged++;
          return kept.map((i) => ({ attribute: name, label: `${name}-${i}`, confidence: Math.round(confidences[i] * 1e4) / 1e4, taxonomyVersion: 2 }));
        });
        const tags = tagger.tagImages(images);
        expect(tags).toEqual(expectedTags);
        tagged += tags.length;
      }
      // the products meet some thresholds and miss others: both outcomes were compared
      expect(tagged).toBeGreaterThan(0);
      expect(untagged).toBeGreaterThan(0);
    }
  });
});
