import { decideAttributeUpdate, decideDelete, decideUpsert } from './versioning';

describe(decideUpsert.name, () => {
  it('applies to an unknown product, a newer version and a redelivery of the same version', () => {
    expect(decideUpsert(undefined, 1)).toBe('applied');
    expect(decideUpsert({ version: 2, deleted: false }, 3)).toBe('applied');
    expect(decideUpsert({ version: 2, deleted: false }, 2)).toBe('applied');
  });

  it('is stale against a newer version, and against a tombstone unless strictly newer', () => {
    expect(decideUpsert({ version: 5, deleted: false }, 4)).toBe('stale');
    expect(decideUpsert({ version: 5, deleted: true }, 5)).toBe('stale');
    expect(decideUpsert({ version: 5, deleted: true }, 4)).toBe('stale');
    expect(decideUpsert({ version: 5, deleted: true }, 6)).toBe('applied');
  });
});

describe(decideDelete.name, () => {
  it('records a tombstone for an unknown product and wins over versions not newer', () => {
    expect(decideDelete(undefined, 1)).toBe('applied');
    expect(decideDelete({ version: 3, deleted: false }, 3)).toBe('applied');
    expect(decideDelete({ version: 3, deleted: true }, 4)).toBe('applied');
    expect(decideDelete({ version: 3, deleted: false }, 2)).toBe('stale');
  });
});

describe(decideAttributeUpdate.name, () => {
  it('needs a live product and a version not older than the stored one', () => {
    expect(decideAttributeUpdate(undefined, 1)).toBe('not_found');
    expect(decideAttributeUpdate({ version: 1, deleted: true }, 2)).toBe('not_found');
    expect(decideAttributeUpdate({ version: 3, deleted: false }, 2)).toBe('stale');
    expect(decideAttributeUpdate({ version: 3, deleted: false }, 3)).toBe('applied');
  });
});
