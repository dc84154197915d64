import { describeFailedGates, failedImagesGate, meanRecall, productCountGate, recallAtK, recallGate } from './gate-math';

describe('gate math', () => {
  it('scores recall@10 as the share of expected products on the first page, capped at 10 expected', () => {
    const hits = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];
    expect(recallAtK(hits, ['a', 'k'])).toBe(0.5); // k is 11th: off the first page
    expect(recallAtK(hits, ['j'])).toBe(1);
    expect(recallAtK(hits, ['x', 'y', 'z', 'a'])).toBe(0.25);
    expect(recallAtK(hits.slice(0, 10), 'abcdefghijklmnop'.split(''))).toBe(1); // 16 expected, a full page of them is perfect
    expect(recallAtK(['a', 'a', 'a'], ['a', 'b'])).toBe(0.5); // a duplicate hit counts once
  });

  it('averages recalls, an empty set scoring 1', () => {
    expect(meanRecall([1, 0.5, 0])).toBe(0.5);
    expect(meanRecall([])).toBe(1);
  });

  it('passes the product count at exactly the required share of live and fails one product below', () => {
    expect(productCountGate(98, 100, 0.98)).toMatchObject({ gate: 'product_count', passed: true, measured: 98, required: 98, live: 100 });
    expect(productCountGate(97, 100, 0.98)).toMatchObject({ passed: false, required: 98 });
    // 0.98 × 50 = 49 despite floating point (49.00000000000001 would demand 50)
    expect(productCountGate(49, 50, 0.98)).toMatchObject({ passed: true, required: 49 });
  });

  it('fails the failed-image share above the limit and shows the live share beside it', () => {
    expect(failedImagesGate(5, 100, 0.05)).toMatchObject({ passed: true, measured: 0.05 });
    const failed = failedImagesGate(6, 100, 0.05, { failed: 1, total: 100 });
    expect(failed).toMatchObject({ gate: 'failed_images', passed: false, measured: 0.06, required: 0.05, live: 0.01 });
    expect(failed.detail).toContain('6 of 100 images failed');
    expect(failedImagesGate(0, 0, 0.05)).toMatchObject({ passed: true, measured: 0 });
  });

  it('lets recall fall by the margin and no further, and passes (saying so) without a live figure', () => {
    expect(recallGate('golden_recall', 0.78, 0.8, 0.02, 'x')).toMatchObject({ passed: true, required: 0.78, live: 0.8 });
    expect(recallGate('golden_recall', 0.779, 0.8, 0.02, 'x')).toMatchObject({ passed: false });
    expect(recallGate('catalog_recall', 0.95, 0.9, 0.02, 'x')).toMatchObject({ passed: true });
    const uncompared = recallGate('catalog_recall', 0.1, undefined, 0.02, 'x');
    expect(uncompared.passed).toBe(true);
    expect(uncompared.detail).toContain('no live figure');
  });

  it('names each failed gate with its figures', () => {
    const text = describeFailedGates([productCountGate(10, 100, 0.98), recallGate('golden_recall', 0.9, 0.9, 0.02, 'x')]);
    expect(text).toMatch(/^product_count \(10 products in the new generation, 100 live/);
    expect(text).not.toContain('golden_recall');
  });
});
