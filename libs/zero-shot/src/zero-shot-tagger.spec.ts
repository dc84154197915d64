import type { ActiveTagging, TaxonomyAttribute } from '@vsearch/contracts';
import { ensembleLabelVector } from './label-vectors';
import { softmaxOfCosines } from './softmax';
import { TaggingSetupError, ZeroShotTagger } from './zero-shot-tagger';

/** Unit vector along axis `axis` of a 4-dimensional space, optionally tilted towards `towards`. */
function axis(index: number, towards?: number, amount = 0): Float32Array {
  const vector = new Float32Array(4);
  vector[index] = 1;
  if (towards !== undefined) vector[towards] = amount;
  const norm = Math.hypot(...vector);
  return vector.map((value) => value / norm);
}

type AttributeSketch = Partial<Omit<TaxonomyAttribute, 'labels'>> & { name: string; labels: string[] };

function taggingOf(attributes: AttributeSketch[], logitScale = 100): ActiveTagging {
  return {
    taxonomy: {
      version: 3,
      createdAt: '2026-01-01T00:00:00.000Z',
      attributes: attributes.map(({ name, labels, mode = 'single', threshold = 0.5 }) => ({
        name,
        mode,
        threshold,
        labels: labels.map((label) => ({ label })),
      })),
    },
    modelId: 'clip-mini@1',
    logitScale,
    labelVectors: attributes.flatMap(({ name, labels }) => labels.map((label, row) => ({ attribute: name, label, vector: axis(row) }))),
  };
}

describe(ZeroShotTagger.name, () => {
  it('gives a single-label attribute its most confident label with its softmax confidence and the taxonomy version', () => {
    const tagger = new ZeroShotTagger(taggingOf([{ name: 'pattern', labels: ['striped', 'plain', 'dotted'] }]));
    const image = axis(1, 0, 0.2);
    const tags = tagger.tagImages([image]);
    const expected = softmaxOfCosines([image[0], image[1], image[2]], 100)[1];
    expect(tags).toEqual([{ attribute: 'pattern', label: 'plain', confidence: Math.round(expected * 1e4) / 1e4, taxonomyVersion: 3 }]);
  });

  it('gives no tag when the best label stays below the threshold (never a guess)', () => {
    // halfway between two labels: each gets about 0.5, below a 0.6 threshold
    const tagger = new ZeroShotTagger(taggingOf([{ name: 'colour', labels: ['red', 'blue'], threshold: 0.6 }]));
    expect(tagger.tagImages([axis(0, 1, 1)])).toEqual([]);
    expect(tagger.tagImages([axis(0, 1, 0.5)]).map((tag) => tag.label)).toEqual(['red']);
  });

  it('gives a multi-label attribute every label at or above the threshold', () => {
    const tagger = new ZeroShotTagger(taggingOf([{ name: 'style', labels: ['sporty', 'casual', 'formal'], mode: 'multi', threshold: 0.3 }], 10));
    const tags = tagger.tagImages([axis(0, 1, 1)]);
    expect(tags.map((tag) => tag.label).sort()).toEqual(['casual', 'sporty']);
    const single = new ZeroShotTagger(taggingOf([{ name: 'style', labels: ['sporty', 'casual', 'formal'], mode: 'single', threshold: 0.3 }], 10));
    expect(single.tagImages([axis(0, 1, 1)])).toHaveLength(1);
  });

  it('tags every attribute independently', () => {
    const tagger = new ZeroShotTagger(
      taggingOf([
        { name: 'pattern', labels: ['striped', 'plain'], threshold: 0.6 },
        { name: 'colour', labels: ['red', 'blue', 'green'] },
      ]),
    );
    // orthogonal to both patterns: an even split, below the threshold
    expect(tagger.tagImages([axis(2)]).map((tag) => `${tag.attribute}=${tag.label}`)).toEqual(['colour=green']);
    expect(tagger.tagImages([axis(0)]).map((tag) => `${tag.attribute}=${tag.label}`)).toEqual(['pattern=striped', 'colour=red']);
  });

  it('scores a product with several images by their normalised mean vector by default, or by the best image', () => {
    const images = [axis(0), axis(1, 0, 0.3), axis(1, 0, 0.3)];
    const mean = new ZeroShotTagger(taggingOf([{ name: 'pattern', labels: ['striped', 'plain'] }]));
    expect(mean.aggregation).toBe('mean-vector');
    // two of three images lean to "plain": the mean vector is plain
    expect(mean.tagImages(images).map((tag) => tag.label)).toEqual(['plain']);
    // the best single image is exactly "striped"
    const max = new ZeroShotTagger(taggingOf([{ name: 'pattern', labels: ['striped', 'plain'] }]), { aggregation: 'max-cosine' });
    expect(max.tagImages(images).map((tag) => tag.label)).toEqual(['striped']);
  });

  it('gives a product without images no tags', () => {
    expect(new ZeroShotTagger(taggingOf([{ name: 'pattern', labels: ['striped', 'plain'] }])).tagImages([])).toEqual([]);
  });

  it('refuses label vectors that do not fit the taxonomy, naming the attribute and label', () => {
    const tagging = taggingOf([{ name: 'pattern', labels: ['striped', 'plain'] }]);
    expect(() => new ZeroShotTagger({ ...tagging, labelVectors: tagging.labelVectors.slice(1) })).toThrow(
      new TaggingSetupError('attribute "pattern" label "striped" has no vector'),
    );
    expect(
      () => new ZeroShotTagger({ ...tagging, labelVectors: [...tagging.labelVectors, { attribute: 'pattern', label: 'dotted', vector: axis(3) }] }),
    ).toThrow('a vector names attribute "pattern" label "dotted", which the taxonomy does not have');
    expect(
      () => new ZeroShotTagger({ ...tagging, labelVectors: [tagging.labelVectors[0], { attribute: 'pattern', label: 'plain', vector: new Float32Array(3) }] }),
    ).toThrow('attribute "pattern" label "plain" has a vector of 3 values, expected 4');
  });

  it('refuses an image vector of another dimension', () => {
    const tagger = new ZeroShotTagger(taggingOf([{ name: 'pattern', labels: ['striped', 'plain'] }]));
    expect(() => tagger.tagImages([new Float32Array(8)])).toThrow('an image vector has 8 values; the label vectors have 4');
  });

  it('lists confidences of every label of an attribute that sum to 1', () => {
    const tagger = new ZeroShotTagger(taggingOf([{ name: 'pattern', labels: ['striped', 'plain', 'dotted'] }], 20));
    const confidences = tagger.confidences('pattern', [axis(2, 1, 0.4)]);
    expect(confidences).toHaveLength(3);
    expect(confidences.reduce((sum, value) => sum + value, 0)).toBeCloseTo(1, 5);
    expect(Array.from(confidences).indexOf(Math.max(...confidences))).toBe(2);
    expect(() => tagger.confidences('colour', [axis(0)])).toThrow('the taxonomy has no attribute "colour" (it has pattern)');
  });
});

describe(ensembleLabelVector.name, () => {
  it('averages the unit prompt vectors and normalises the mean, so a long prompt vector weighs no more than a short one', () => {
    const vector = ensembleLabelVector([new Float32Array([10, 0, 0, 0]), new Float32Array([0, 0.1, 0, 0])]);
    expect(Array.from(vector).map((value) => Number(value.toFixed(5)))).toEqual([0.70711, 0.70711, 0, 0]);
  });

  it('refuses prompts of different dimensions and zero vectors, naming the label', () => {
    expect(() => ensembleLabelVector([new Float32Array(4).fill(1), new Float32Array(3).fill(1)], 'label "striped"')).toThrow(
      'prompt 2 of label "striped" has 3 values, expected 4',
    );
    expect(() => ensembleLabelVector([new Float32Array(4)], 'label "striped"')).toThrow('prompt 1 of label "striped" has no direction');
    expect(() => ensembleLabelVector([], 'label "striped"')).toThrow('label "striped" has no prompt vectors');
  });
});
