/**
 * The model the embedder serves now (GetModelInfo, cached briefly) and the
 * score cut-offs search applies for it: the model's own thresholds, carried in
 * GetModelInfo, with TEXT_SCORE_THRESHOLD overriding the text one when set.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { ModelInfo } from '@vsearch/contracts';
import type { QueryApiConfig } from '../config';
import { QueryEmbedder, type RequestContext } from '../ports';
import { QUERY_API_CONFIG } from '../tokens';

/** A model rollout is seen within this time (the query cache is keyed by model id). */
const MODEL_INFO_TTL_MS = 30_000;

/** The model answering now and the cosine below which a hit is noise, per kind of query (`undefined`: no cut-off). */
export interface ModelSearchSettings {
  model: ModelInfo;
  textScoreThreshold: number | undefined;
  imageScoreThreshold: number | undefined;
}

@Injectable()
export class ModelSettingsService {
  private cached?: { info: ModelInfo; expiresAt: number };

  constructor(
    @Inject(QUERY_API_CONFIG) private readonly config: QueryApiConfig,
    private readonly embedder: QueryEmbedder,
  ) {}

  async current(context: RequestContext): Promise<ModelSearchSettings> {
    const model = await this.currentModel(context);
    return {
      model,
      textScoreThreshold: this.config.search.textScoreThreshold ?? model.textScoreThreshold,
      imageScoreThreshold: model.imageScoreThreshold,
    };
  }

  private async currentModel(context: RequestContext): Promise<ModelInfo> {
    if (this.cached && this.cached.expiresAt > Date.now()) return this.cached.info;
    const info = await this.embedder.describeModel(context);
    this.cached = { info, expiresAt: Date.now() + MODEL_INFO_TTL_MS };
    return info;
  }
}
