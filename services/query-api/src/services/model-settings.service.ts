/**
 * The models the embedder serves (GetModelInfo, cached briefly per model id) and the score cut-offs
 * search applies for each: the model's own thresholds, carried in GetModelInfo, with
 * TEXT_SCORE_THRESHOLD overriding the text one when set. `current` is the embedder's default model;
 * `forModel` one it names (during a rollout, the model of the generation a search goes to).
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

/** The cache key of the embedder's default model (a model id is never empty). */
const DEFAULT_MODEL = '';

export class ModelSettingsService {
  private readonly cached = new Map<string, { info: ModelInfo; expiresAtMs: number }>();

  constructor(
    private readonly embedder: QueryEmbedder,
    private readonly options: ModelSettingsOptions = {},
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The embedder's default model and its settings. */
  async current(context: RequestContext): Promise<ModelSearchSettings> {
    return this.settingsOf(await this.describe(DEFAULT_MODEL, context));
  }

  /** A model the embedder has loaded, by id, and its settings; DependencyUnavailableError when it is not loaded. */
  async forModel(modelId: string, context: RequestContext): Promise<ModelSearchSettings> {
    return this.settingsOf(await this.describe(modelId, context));
  }

  private settingsOf(model: ModelInfo): ModelSearchSettings {
    return {
      model,
      textScoreThreshold: this.options.textScoreThresholdOverride ?? model.textScoreThreshold,
      imageScoreThreshold: model.imageScoreThreshold,
    };
  }

  private async describe(modelId: string, context: RequestContext): Promise<ModelInfo> {
    const cached = this.cached.get(modelId);
    if (cached && cached.expiresAtMs > this.nowMs()) return cached.info;
    const info = await this.embedder.describeModel(context, modelId || undefined);
    this.cached.set(modelId, { info, expiresAtMs: this.nowMs() + MODEL_INFO_TTL_MS });
    return info;
  }
}
