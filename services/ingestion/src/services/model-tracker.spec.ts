import { DependencyUnavailableError } from '@vsearch/contracts';
import { createLogger } from '@vsearch/observability';
import { FAKE_MODEL, FakeEmbedder } from '../testing/fakes';
import { ModelTracker } from './model-tracker';

const logger = createLogger('ingestion-test', 'silent');

describe(ModelTracker.name, () => {
  it('knows no model until the embedder first answers', async () => {
    const embedder = new FakeEmbedder();
    const tracker = new ModelTracker(embedder, logger);
    expect(tracker.current()).toBeUndefined();
    expect(await tracker.refresh()).toEqual(FAKE_MODEL);
    expect(tracker.current()).toEqual(FAKE_MODEL);
  });

  it('keeps the last model read while the embedder is down, and says the embedder is unavailable', async () => {
    const embedder = new FakeEmbedder();
    const tracker = new ModelTracker(embedder, logger);
    await tracker.refresh();
    embedder.down = true;
    await expect(tracker.refresh()).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(tracker.current()).toEqual(FAKE_MODEL);
  });

  it('hands out `current` as a callback that stays bound to the tracker', async () => {
    const tracker = new ModelTracker(new FakeEmbedder(), logger);
    const { current } = tracker;
    await tracker.refresh();
    expect(current()).toEqual(FAKE_MODEL);
  });

  it('reads the models the embedder loads beside its default (a model rollout), each by id', async () => {
    const embedder = new FakeEmbedder();
    const next = { modelId: 'next-model@2', dimension: 4, imageSize: 3 };
    const tracker = new ModelTracker(embedder, logger);
    await tracker.refresh();
    expect(tracker.rolloutModels()).toEqual([]);
    embedder.rolloutModels = [next];
    await tracker.refresh();
    expect(tracker.current()).toEqual(FAKE_MODEL);
    expect(tracker.rolloutModels()).toEqual([next]);
    expect([tracker.byId(next.modelId), tracker.byId(FAKE_MODEL.modelId), tracker.byId('other@1')]).toEqual([next, FAKE_MODEL, undefined]);
  });
});
