/**
 * The models this embedder serves, by model id: the default (MODEL_DIR) and, during a model
 * rollout, the next one (ROLLOUT_MODEL_DIR) beside it. Each model keeps its own EmbeddingService,
 * so its own batchers feed its own runtime's inference pools: a rollout model's bulk reindex work
 * never queues in front of the serving model's shopper queries, and a model's batch never mixes
 * inputs of two models.
 */
import { NotFoundError } from '@vsearch/contracts';
import type { EmbeddingService } from './embedding.service';

export class LoadedModels {
  private readonly byId = new Map<string, EmbeddingService>();

  /** `models`: the default first. Two models with one id are refused: a request could not tell them apart. */
  constructor(private readonly models: readonly EmbeddingService[]) {
    if (models.length === 0) throw new Error('at least one model must be loaded');
    for (const model of models) {
      const { modelId } = model.modelInfo();
      if (this.byId.has(modelId)) throw new Error(`model ${modelId} is loaded twice (MODEL_DIR and ROLLOUT_MODEL_DIR hold the same model)`);
      this.byId.set(modelId, model);
    }
  }

  /** The model requests that name none get. */
  get default(): EmbeddingService {
    return this.models[0];
  }

  /** Every loaded model id, the default first. */
  ids(): string[] {
    return this.models.map((model) => model.modelInfo().modelId);
  }

  /** The named model (empty or unset: the default); NotFoundError naming the loaded ones otherwise. */
  select(modelId: string | undefined): EmbeddingService {
    if (!modelId) return this.default;
    const model = this.byId.get(modelId);
    if (!model) throw new NotFoundError('model_not_loaded', `model_id: model ${modelId} is not loaded here; loaded: ${this.ids().join(', ')}`);
    return model;
  }

  /** Stops taking work and finishes every model's queued batches. */
  async drain(): Promise<void> {
    await Promise.all(this.models.map((model) => model.drain()));
  }
}
