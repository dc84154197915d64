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
});
