/** real: LoadedModels. fake: the models' EmbeddingServices (only their model info is read). */
import { NotFoundError } from '@vsearch/contracts';
import type { EmbeddingService } from './embedding.service';
import { LoadedModels } from './loaded-models';

const model = (modelId: string) => ({ modelInfo: () => ({ modelId }), drain: async () => undefined }) as unknown as EmbeddingService;

describe(LoadedModels.name, () => {
  const serving = model('clip-mini@1.1.0');
  const rollout = model('clip-vit-base-patch32@abc+q8');
  const models = new LoadedModels([serving, rollout]);

  it('answers the default model for an empty or unset id, and a loaded one by its id', () => {
    expect(models.select(undefined)).toBe(serving);
    expect(models.select('')).toBe(serving);
    expect(models.select('clip-vit-base-patch32@abc+q8')).toBe(rollout);
    expect(models.ids()).toEqual(['clip-mini@1.1.0', 'clip-vit-base-patch32@abc+q8']);
  });

  it('refuses a model that is not loaded, naming the loaded ones', () => {
    expect(() => models.select('clip-mini@1.2.0')).toThrow(NotFoundError);
    expect(() => models.select('clip-mini@1.2.0')).toThrow(
      'model_id: model clip-mini@1.2.0 is not loaded here; loaded: clip-mini@1.1.0, clip-vit-base-patch32@abc+q8',
    );
  });

  it('refuses to load one model twice', () => {
    expect(() => new LoadedModels([serving, model('clip-mini@1.1.0')])).toThrow('model clip-mini@1.1.0 is loaded twice');
  });
});
