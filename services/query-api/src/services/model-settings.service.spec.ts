import { FAKE_MODEL, FakeQueryEmbedder } from '../testing/fake-ports';
import { MODEL_INFO_TTL_MS, ModelSettingsService } from './model-settings.service';

const context = { requestId: 'req-1' };

describe(ModelSettingsService.name, () => {
  it('takes the text and image score thresholds from the model info the embedder announces', async () => {
    const settings = new ModelSettingsService(new FakeQueryEmbedder({ ...FAKE_MODEL, textScoreThreshold: 0.21, imageScoreThreshold: 0.64 }));
    expect(await settings.current(context)).toEqual({
      model: expect.objectContaining({ modelId: FAKE_MODEL.modelId }),
      textScoreThreshold: 0.21,
      imageScoreThreshold: 0.64,
    });
  });

  it('leaves photo search without a cut-off when the model sets no image threshold', async () => {
    const settings = new ModelSettingsService(new FakeQueryEmbedder({ ...FAKE_MODEL, textScoreThreshold: 0.21 }));
    expect((await settings.current(context)).imageScoreThreshold).toBeUndefined();
  });

  it("lets TEXT_SCORE_THRESHOLD win over the model's text threshold, and only that one", async () => {
    const embedder = new FakeQueryEmbedder({ ...FAKE_MODEL, textScoreThreshold: 0.21, imageScoreThreshold: 0.64 });
    const settings = new ModelSettingsService(embedder, { textScoreThresholdOverride: -0.05 });
    expect(await settings.current(context)).toMatchObject({ textScoreThreshold: -0.05, imageScoreThreshold: 0.64 });
  });

  it('asks the embedder again only once the cached model info is older than the TTL, then sees a rollout', async () => {
    let now = 1_000;
    const embedder = new FakeQueryEmbedder({ ...FAKE_MODEL, textScoreThreshold: 0.21 });
    const settings = new ModelSettingsService(embedder, {}, () => now);
    await settings.current(context);
    embedder.model = { ...FAKE_MODEL, modelId: 'fake-clip@2', textScoreThreshold: 0.3 };
    now += MODEL_INFO_TTL_MS - 1;
    expect(await settings.current(context)).toMatchObject({ model: { modelId: FAKE_MODEL.modelId }, textScoreThreshold: 0.21 });
    now += 1;
    expect(await settings.current(context)).toMatchObject({ model: { modelId: 'fake-clip@2' }, textScoreThreshold: 0.3 });
    expect(embedder.describeCalls).toBe(2);
  });
});
