import { PRODUCTS_ALIAS, type CollectionSummary } from '../ports';
import { FAKE_MODEL } from '../testing/fakes';
import { computeTargets } from './collection-registry';

const collection = (name: string, aliases: string[] = [], modelId = FAKE_MODEL.modelId): CollectionSummary => ({ name, modelId, dimension: FAKE_MODEL.dimension, aliases, productCount: 0 });

describe('computeTargets', () => {
  it('writes to the alias when its collection holds the embedder model', () => {
    expect(computeTargets([collection('products_v1', [PRODUCTS_ALIAS])], FAKE_MODEL, new Set()).targets).toEqual([PRODUCTS_ALIAS]);
  });

  it('also writes to a newer unaliased generation of the same model (a reindex in progress)', () => {
    const state = computeTargets([collection('products_v1', [PRODUCTS_ALIAS]), collection('products_v2')], FAKE_MODEL, new Set());
    expect(state.targets).toEqual([PRODUCTS_ALIAS, 'products_v2']);
  });

  it('ignores older leftovers and generations of another model', () => {
    const state = computeTargets([collection('products_v3', [PRODUCTS_ALIAS]), collection('products_v2'), collection('products_v4', [], 'other@1')], FAKE_MODEL, new Set());
    expect(state.targets).toEqual([PRODUCTS_ALIAS]);
  });

  it('refuses to write when the aliased collection holds another model, naming both', () => {
    const state = computeTargets([collection('products_v1', [PRODUCTS_ALIAS], 'old-model@1')], FAKE_MODEL, new Set());
    expect(state.targets).toEqual([]);
    expect(state.problem).toContain('old-model@1');
    expect(state.problem).toContain(FAKE_MODEL.modelId);
  });

  it('writes only to the new generation while a model-switching reindex fills it', () => {
    const state = computeTargets([collection('products_v1', [PRODUCTS_ALIAS], 'old-model@1'), collection('products_v2')], FAKE_MODEL, new Set());
    expect(state.targets).toEqual(['products_v2']);
  });
});
