/**
 * Which model the live generation (the alias shoppers search) holds, so a query is embedded with
 * that model and not merely with the embedder's default: during a model rollout the two differ
 * (the next model is loaded beside the serving one while a reindex fills its generation, and the
 * alias swap changes the live model at once). Learned from search (ListCollections), cached for
 * MODEL_INFO_TTL_MS, and forgotten when search refuses a query as MODEL_MISMATCH, so the next
 * look-up sees the swap at once.
 */
import type { ProductSearchIndex, RequestContext } from '../ports';
import { MODEL_INFO_TTL_MS } from './model-settings.service';

export class LiveModelService {
  private cached?: { modelId: Promise<string>; expiresAtMs: number };

  constructor(
    private readonly searchIndex: ProductSearchIndex,
    private readonly nowMs: () => number = Date.now,
  ) {}

  /** The live generation's model id; concurrent callers share one look-up. */
  async current(context: RequestContext): Promise<string> {
    if (this.cached && this.cached.expiresAtMs > this.nowMs()) return this.cached.modelId;
    const modelId = this.searchIndex.liveModelId(context);
    const entry = { modelId, expiresAtMs: this.nowMs() + MODEL_INFO_TTL_MS };
    this.cached = entry;
    // A failed look-up is not cached: the next request asks again.
    modelId.catch(() => {
      if (this.cached === entry) this.cached = undefined;
    });
    return modelId;
  }

  /** Search said the live generation holds another model than the cached one: look it up again next time. */
  forget(): void {
    this.cached = undefined;
  }
}
