import { classifyImages } from './classify';

describe(classifyImages.name, () => {
  it('ranks candidates most probable first with probabilities that sum to 1', () => {
    const ranked = classifyImages(
      [new Float32Array([0, 1])],
      [
        { label: 'red', vector: new Float32Array([1, 0]) },
        { label: 'blue', vector: new Float32Array([0, 5]) },
      ],
      100,
    );
    expect(ranked.map((entry) => entry.label)).toEqual(['blue', 'red']);
    expect(ranked[0].probability + ranked[1].probability).toBeCloseTo(1, 6);
    expect(ranked[0].probability).toBeGreaterThan(0.99);
  });

  it('refuses fewer than 2 candidates and a product without images', () => {
    expect(() => classifyImages([new Float32Array([1, 0])], [{ label: 'red', vector: new Float32Array([1, 0]) }], 100)).toThrow(
      'needs at least 2 candidate labels, got 1',
    );
    expect(() => classifyImages([], [], 100)).toThrow('the product has no image vectors to classify');
  });
});
