import { modelId } from './manifest';

describe(modelId.name, () => {
  it('adds the variant to the id, except fp32 which keeps the id collections had before variants', () => {
    expect(modelId({ name: 'clip', version: 'abc' })).toBe('clip@abc');
    expect(modelId({ name: 'clip', version: 'abc', dtype: 'fp32' })).toBe('clip@abc');
    expect(modelId({ name: 'clip', version: 'abc', dtype: 'q8' })).toBe('clip@abc+q8');
    expect(modelId({ name: 'clip', version: 'abc', dtype: 'int8' })).not.toBe(modelId({ name: 'clip', version: 'abc', dtype: 'uint8' }));
  });
});
