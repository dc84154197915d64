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

  constructor(
    private readonly embedder: ImageEmbedder,
    private readonly logger: Logger,
  ) {}

  /** The model as last read; undefined until the embedder first answered. Bound, to be handed on as a callback. */
  readonly current = (): EmbedderModel | undefined => this.model;

  /** Reads the embedder's model again; throws DependencyUnavailableError when the embedder does not answer (the last model is kept). */
  async refresh(): Promise<EmbedderModel> {
    const model = await this.embedder.modelInfo();
    if (this.model && this.model.modelId !== model.modelId)
      this.logger.warn({ from: this.model.modelId, to: model.modelId }, 'the embedder now runs another model');
    this.model = model;
    return model;
  }
}
