/**
 * The gates' query vectors from a model the embedder has loaded (the default, or the one loaded
 * beside it during a rollout): texts through its text tower (bulk lane), photos through
 * ingestion's own safe fetch, preprocessing and embedding path (the ImageVectorizer, as for
 * catalog images), each embed request naming the model. A request for a model the embedder has
 * not loaded is refused with ModelNotServedError, so a generation is never searched with another
 * model's vectors; the gates then fall back to the live generation's recorded figures.
 */
import { QueryEmbedder, ModelNotServedError, type EmbedderModel, type ImageEmbedder } from '../ports';
import type { ImageVectorizer } from './image-vectorizer';

export class LoadedModelQueryEmbedder extends QueryEmbedder {
  constructor(
    private readonly embedder: ImageEmbedder,
    private readonly vectorizer: ImageVectorizer,
    /** A loaded model by id (ModelTracker.byId); undefined when the embedder has not loaded it. */
    private readonly loadedModel: (modelId: string) => EmbedderModel | undefined,
  ) {
    super();
  }

  async embedTexts(texts: readonly string[], modelId: string): Promise<Float32Array[]> {
    this.served(modelId);
    return this.embedder.embedTexts(texts, modelId);
  }

  async embedImageUrl(url: string, modelId: string): Promise<Float32Array | undefined> {
    const model = this.served(modelId);
    // A query photo is only searched with: no alt text.
    const [{ vectors }] = await this.vectorizer.vectorize([{ id: 'gate-query', url }], [model], { describe: false });
    return vectors[0]?.vector;
  }

  private served(modelId: string): EmbedderModel {
    const model = this.loadedModel(modelId);
    if (!model) throw new ModelNotServedError(modelId);
    return model;
  }
}
