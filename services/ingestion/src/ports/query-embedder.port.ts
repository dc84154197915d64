/**
 * Query vectors for the gates: the golden set's texts and photos and the catalog checks' titles,
 * embedded with a named model. A generation is searched only with vectors of its own model.
 */

/** The embedder does not serve the model asked for (during a model rollout, the live generation's). */
export class ModelNotServedError extends Error {
  constructor(readonly modelId: string) {
    super(`the embedder has not loaded model ${modelId}`);
    this.name = 'ModelNotServedError';
  }
}

export abstract class QueryEmbedder {
  /**
   * One unit vector per text from `modelId`'s text tower (bulk lane: shoppers go first). Throws
   * ModelNotServedError when the embedder does not serve `modelId`, DependencyUnavailableError
   * on its outage.
   */
  abstract embedTexts(texts: readonly string[], modelId: string): Promise<Float32Array[]>;
  /**
   * The photo at `url` fetched through the safe fetch path, preprocessed and embedded with
   * `modelId`; undefined when the image cannot be fetched or decoded (the query is left out for
   * every generation alike). Throws as embedTexts does.
   */
  abstract embedImageUrl(url: string, modelId: string): Promise<Float32Array | undefined>;
}
