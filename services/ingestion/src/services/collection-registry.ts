/**
 * Which collections live writes go to: the one behind the `products` alias, plus a reindex
 * generation being filled (found in search's collection list, so every ingestion replica
 * dual-writes, not only the one running the job). Collections of another model than the
 * embedder's are never written (DESIGN.md principle 5): with such an alias and no generation
 * of the right model, ingestion is not ready and consumes nothing.
 */
import type { Logger } from '@vsearch/observability';
import { PRODUCTS_ALIAS, type CollectionSummary, type EmbedderModel, type ProductIndex } from '../ports';

export interface WriteTargetsState {
  /** Collection names to write, in order: the alias first (when its model matches), then a reindex generation. */
  targets: string[];
  aliasCollection?: CollectionSummary;
  reindexCollection?: string;
  /** Why nothing may be written, when `targets` is empty. */
  problem?: string;
}

export class CollectionRegistry {
  private state: WriteTargetsState = { targets: [], problem: 'collections not read yet' };
  private readonly localTargets = new Set<string>();

  constructor(
    private readonly index: ProductIndex,
    private readonly logger: Logger,
  ) {}

  get current(): WriteTargetsState {
    return this.state;
  }

  /** Makes sure a collection and the `products` alias exist (first start), then reads the targets. */
  async bootstrap(model: EmbedderModel): Promise<WriteTargetsState> {
    const collections = await this.index.listCollections();
    if (!collections.some((collection) => collection.aliases.includes(PRODUCTS_ALIAS))) {
      // Never while a reindex of ours is swapping: the alias exists then, so this is a first start or a wiped store.
      const name = await this.index.createCollection(model.modelId, model.dimension);
      await this.index.swapAlias(PRODUCTS_ALIAS, name);
      this.logger.info({ collection: name, modelId: model.modelId, dimension: model.dimension }, `created collection ${name} behind alias ${PRODUCTS_ALIAS}`);
    }
    return this.refresh(model);
  }

  /** Re-reads the collections from search. */
  async refresh(model: EmbedderModel): Promise<WriteTargetsState> {
    const collections = await this.index.listCollections();
    const previous = this.state;
    this.state = computeTargets(collections, model, this.localTargets);
    if (previous.problem !== this.state.problem && this.state.problem) this.logger.error({ problem: this.state.problem }, 'ingestion cannot write');
    if (previous.reindexCollection !== this.state.reindexCollection && this.state.reindexCollection) {
      this.logger.info({ collection: this.state.reindexCollection }, 'live writes also go to the reindex generation');
    }
    return this.state;
  }

  /** The reindex job on this replica registers its generation at once (others see it at their next refresh). */
  addReindexTarget(collection: string): void {
    this.localTargets.add(collection);
    if (!this.state.targets.includes(collection)) {
      this.state = { ...this.state, targets: [...this.state.targets, collection], reindexCollection: collection, problem: undefined };
    }
  }

  removeReindexTarget(collection: string): void {
    this.localTargets.delete(collection);
  }
}

function generationOf(name: string): number {
  const match = /_v(\d+)$/.exec(name);
  return match ? Number(match[1]) : -1;
}

export function computeTargets(collections: CollectionSummary[], model: EmbedderModel, localTargets: ReadonlySet<string>): WriteTargetsState {
  const aliased = collections.find((collection) => collection.aliases.includes(PRODUCTS_ALIAS));
  const aliasGeneration = aliased ? generationOf(aliased.name) : -1;
  // A generation newer than the aliased one, not aliased itself, of the embedder's model: a reindex is filling it.
  const building = collections
    .filter((collection) => collection.aliases.length === 0 && collection.modelId === model.modelId && (generationOf(collection.name) > aliasGeneration || localTargets.has(collection.name)))
    .sort((a, b) => generationOf(b.name) - generationOf(a.name))[0];
  const targets: string[] = [];
  let problem: string | undefined;
  if (!aliased) problem = `no collection behind the alias "${PRODUCTS_ALIAS}"`;
  else if (aliased.modelId !== model.modelId || aliased.dimension !== model.dimension) {
    problem = `collection ${aliased.name} holds vectors of model ${aliased.modelId} (${aliased.dimension}) but the embedder runs ${model.modelId} (${model.dimension}); reindex to switch models`;
  } else {
    targets.push(PRODUCTS_ALIAS);
  }
  if (building) targets.push(building.name);
  return { targets, aliasCollection: aliased, reindexCollection: building?.name, problem: targets.length === 0 ? problem : undefined };
}
