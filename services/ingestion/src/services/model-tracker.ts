/**
 * The embedder's model as last read. The runner refreshes it on every dependency check; the
 * event handler and the reindex jobs read it (through a `() => model` callback) to size
 * collections, preprocess images and key the embedding cache.
 *
 * It sits on its own so the object graph has no cycle: it used to live in the runner, which
 * also drives the handler and the reindex jobs, so those two needed the runner and the runner
 * needed them (index.ts closed the loop with a forward reference). Now the runner, the handler
 * and the reindex jobs all depend on this tracker, and it depends only on the embedder port.
 */
import type { Logger } from '@vsearch/observability';
import type { EmbedderModel, ImageEmbedder } from '../ports';

export class ModelTracker {
  private model: EmbedderModel | undefined;
  /** Models loaded beside the default one (a model rollout), as last read. */
  private rollout: EmbedderModel[] = [];

  constructor(
    private readonly embedder: ImageEmbedder,
    private readonly logger: Logger,
  ) {}

  /** The model as last read; undefined until the embedder first answered. Bound, to be handed on as a callback. */
  readonly current = (): EmbedderModel | undefined => this.model;

  /** The models loaded beside the default one (during a model rollout), as last read. Bound, like `current`. */
  readonly rolloutModels = (): readonly EmbedderModel[] => this.rollout;

  /** Every loaded model, the default first, as last read (empty until the embedder first answered). Bound, like `current`. */
  readonly loaded = (): readonly EmbedderModel[] => (this.model ? [this.model, ...this.rollout] : []);

  /** A loaded model by id (the default or a rollout model), as last read. */
  readonly byId = (modelId: string): EmbedderModel | undefined => [this.model, ...this.rollout].find((model) => model?.modelId === modelId);

  /**
   * Reads the embedder's models again (the default, then each other loaded one); throws
   * DependencyUnavailableError when the embedder does not answer (the last models are kept).
   */
  async refresh(): Promise<EmbedderModel> {
    const { loadedModelIds, ...model } = await this.embedder.modelInfo();
    const rollout = await Promise.all(
      loadedModelIds
        .filter((modelId) => modelId !== model.modelId)
        .map(async (modelId) => {
          const { loadedModelIds: _loaded, ...described } = await this.embedder.modelInfo(modelId);
          return described;
        }),
    );
    if (this.model && this.model.modelId !== model.modelId)
      this.logger.warn({ from: this.model.modelId, to: model.modelId }, 'the embedder now runs another model');
    const before = this.rollout.map((loaded) => loaded.modelId).join(',');
    if (rollout.map((loaded) => loaded.modelId).join(',') !== before) {
      this.logger.info({ rolloutModels: rollout.map((loaded) => loaded.modelId) }, 'models loaded beside the default one changed');
    }
    this.model = model;
    this.rollout = rollout;
    return model;
  }
}
