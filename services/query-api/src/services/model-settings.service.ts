/**
 * The model the embedder serves now (GetModelInfo, cached briefly) and the
 * score cut-offs search applies for it: the model's own thresholds, carried in
 * GetModelInfo, with TEXT_SCORE_THRESHOLD overriding the text one when set.
 */
import type { ModelInfo } from '@vsearch/contracts';
import type { QueryEmbedder, RequestContext } from '../ports';

/** A model rollout is seen within this time (the query cache is keyed by model id). */
export const MODEL_INFO_TTL_MS = 30_000;

/** The model answering now and the cosine below which a hit is noise, per kind of query (`undefined`: no cut-off). */
export interface ModelSearchSettings {
  model: ModelInfo;
  textScoreThreshold: number | undefined;
  imageScoreThreshold: number | undefined;
}

export interface ModelSettingsOptions {
  /** TEXT_SCORE_THRESHOLD: replaces the model's text-search threshold when set. */
  textScoreThresholdOverride?: number;
}

export class ModelSettingsService {
  private cached?: { info: ModelInfo; expiresAtMs: number };

  constructor(
    private readonly embedder: QueryEmbedder,
    private readonly options: ModelSettingsOptions = {},
    private readonly nowMs: () => number = Date.now,
  ) {}

  async current(context: RequestContext): Promise<ModelSearchSettings> {
    const model = await this.currentModel(context);
    return {
      model,
      textScoreThreshold: this.options.textScoreThresholdOverride ?? model.textScoreThreshold,
      imageScoreThreshold: model.imageScoreThreshold,
    };
  }

  private async currentModel(context: RequestContext): Promise<ModelInfo> {
    if (this.cached && this.cached.expiresAtMs > this.nowMs()) return this.cached.info;
    const info = await this.embedder.describeModel(context);
    this.cached = { info, expiresAtMs: this.nowMs() + MODEL_INFO_TTL_MS };
    return info;
  }
}
