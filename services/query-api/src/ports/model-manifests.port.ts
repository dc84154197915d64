/** Port to the model manifests (model.json) this pod can read, for per-model search settings. */
export abstract class ModelManifests {
  /** The manifest's `textSearchScoreThreshold` for a model id, `undefined` when the manifest is not found. */
  abstract textSearchScoreThreshold(modelId: string): number | undefined;
}
