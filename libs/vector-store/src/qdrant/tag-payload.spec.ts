import type { ActiveTagging } from '../types';
import { tagFacetsOfKeys, tagPayload, tagsOf, tagsVersionOf } from './tag-payload';
import { chunkPointId, LABELS_PER_CHUNK, taggingFrom, taggingPoints, type TaggingHead } from './tagging-record';

describe(tagPayload.name, () => {
  it('writes tags with their keys and version, and reads them back; a payload from before tags reads as untagged', () => {
    const tags = [{ attribute: 'pattern', label: 'a=b', confidence: 0.75, taxonomyVersion: 3 }];
    const payload = tagPayload(tags, 3);
    expect(payload).toEqual({
      tags: [{ attribute: 'pattern', label: 'a=b', confidence: 0.75, taxonomy_version: 3 }],
      tag_keys: ['pattern=a=b'],
      tags_version: 3,
    });
    expect(tagsOf(payload)).toEqual(tags);
    expect(tagsVersionOf(payload)).toBe(3);
    expect([tagsOf({ productId: 'old' }), tagsVersionOf({ productId: 'old' })]).toEqual([[], 0]);
  });
});

describe(tagFacetsOfKeys.name, () => {
  it('counts each product once per label, attributes by name, labels most frequent first, splitting at the first "="', () => {
    expect(tagFacetsOfKeys([['pattern=striped', 'colour=red', 'colour=red'], ['pattern=striped', 'colour=a=b'], []])).toEqual({
      colour: [
        { value: 'a=b', count: 1 },
        { value: 'red', count: 1 },
      ],
      pattern: [{ value: 'striped', count: 2 }],
    });
    expect(tagFacetsOfKeys([[], []])).toBeUndefined();
  });
});

describe(taggingPoints.name, () => {
  const tagging = (labels: number): ActiveTagging => ({
    taxonomy: {
      version: 4,
      createdAt: '2026-01-01T00:00:00.000Z',
      attributes: [{ name: 'pattern', mode: 'single', threshold: 0.5, labels: [{ label: 'x' }, { label: 'y' }] }],
    },
    modelId: 'm',
    logitScale: 100,
    labelVectors: Array.from({ length: labels }, (_, i) => ({ attribute: 'pattern', label: `l${i}`, vector: new Float32Array([i, 0.1, -i / 3]) })),
  });

  it('splits label vectors into chunks named by the writer and reads them back exactly', () => {
    const saved = tagging(LABELS_PER_CHUNK + 1);
    const { head, chunks } = taggingPoints(saved, 'w1');
    expect(head.id).toBe(4);
    expect(chunks.map((chunk) => chunk.id)).toEqual([chunkPointId('w1', 0), chunkPointId('w1', 1)]);
    expect(chunkPointId('w2', 0)).not.toBe(chunkPointId('w1', 0));
    const read = taggingFrom(
      head.payload as unknown as TaggingHead,
      chunks.map((chunk) => chunk.payload as Record<string, unknown>),
    );
    expect(read).toEqual(saved);
  });

  it('reads nothing when a chunk is missing (pruned while it was read)', () => {
    const { head, chunks } = taggingPoints(tagging(LABELS_PER_CHUNK + 1), 'w1');
    expect(taggingFrom(head.payload as unknown as TaggingHead, [chunks[0].payload as Record<string, unknown>, undefined])).toBeUndefined();
  });
});
