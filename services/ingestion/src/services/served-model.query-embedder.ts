/**
 * The gates' query vectors from the model the embedder serves now: texts through its text tower
 * (bulk lane), photos through ingestion's own safe fetch, preprocessing and embedding path (the
 * ImageVectorizer, as for catalog images). A request for any other model is refused with
 * ModelNotServedError, so a generation is never searched with another model's vectors; the gates
 * then fall back to the live generation's recorded figures. When the embedder serves two models
 * side by side during a rollout, this is the seam where the model id goes on the embed request.
 */
import { QueryEmbedder, ModelNotServedError, type EmbedderModel, type ImageEmbedder } from '../ports';
import type { ImageVectorizer } from './image-vectorizer';

export class ServedModelQueryEmbedder extends QueryEmbedder {
  constructor(
    private readonly embedder: ImageEmbedder,
    private readonly vectorizer: ImageVectorizer,
    private readonly servedModel: () => EmbedderModel | undefined,
  ) {
    super();
  }

  async embedTexts(texts: readonly string[], modelId: string): Promise<Float32Array[]> {
    this.served(modelId);
    return this.embedder.embedTexts(texts);
  }

  async embedImageUrl(url: string, modelId: string): Promise<Float32Array | undefined> {
    const model = this.served(modelId);
    const { vectors } = await this.vectorizer.vectorize([{ id: 'gate-query', url }], model);
    return vectors[0]?.vector;
  }

  private served(modelId: string): EmbedderModel {
    const model = this.servedModel();
    if (!model || model.modelId !== modelId) throw new ModelNotServedError(modelId, model?.modelId);
    return model;
  }
}
