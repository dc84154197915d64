/**
 * The model the embedder serves now, and this pod's per-model settings: the
 * text-search score cutoff comes from TEXT_SCORE_THRESHOLD when set, else
 * from the model's manifest (`textSearchScoreThreshold`).
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from '@vsearch/observability';
import type { QueryApiConfig } from '../config';
import { ModelManifests, QueryEmbedder, type QueryModelInfo, type RequestContext } from '../ports';
import { QUERY_API_CONFIG, QUERY_API_LOGGER } from '../tokens';

/** A model rollout is seen within this time (the query cache is keyed by model id). */
const MODEL_INFO_TTL_MS = 30_000;

@Injectable()
export class ModelSettingsService {
  private cached?: { info: QueryModelInfo; expiresAt: number };
  private readonly warnedModels = new Set<string>();

  constructor(
    @Inject(QUERY_API_CONFIG) private readonly config: QueryApiConfig,
    private readonly embedder: QueryEmbedder,
    private readonly manifests: ModelManifests,
    @Inject(QUERY_API_LOGGER) private readonly logger: Logger,
  ) {}

  async currentModel(context: RequestContext): Promise<QueryModelInfo> {
    if (this.cached && this.cached.expiresAt > Date.now()) return this.cached.info;
    const info = await this.embedder.describeModel(context);
    this.cached = { info, expiresAt: Date.now() + MODEL_INFO_TTL_MS };
    return info;
  }

  /** Cosine below which a text-search hit is noise; `undefined` = no cutoff. */
  textScoreThreshold(modelId: string): number | undefined {
    if (this.config.search.textScoreThreshold !== undefined) return this.config.search.textScoreThreshold;
    const threshold = this.manifests.textSearchScoreThreshold(modelId);
    if (threshold === undefined && !this.warnedModels.has(modelId)) {
      this.warnedModels.add(modelId);
      this.logger.warn({ modelId, modelsDir: this.config.search.modelsDir }, 'no model.json for this model: text search runs without a score cutoff (set TEXT_SCORE_THRESHOLD)');
    }
    return threshold;
  }
}
