/**
 * Which collections live writes go to: the one behind the `products` alias, plus a reindex
 * generation being filled (found in search's collection list, so every ingestion replica
 * dual-writes, not only the one running the job), each with the model whose vectors it holds.
 * During a model rollout the two differ: the embedder serves both models (the default and the
 * rollout model beside it) and each target gets vectors of its own model. Collections of a model
 * the embedder has not loaded are never written (DESIGN.md principle 5): with such an alias and no
 * generation of a loaded model, ingestion is not ready and consumes nothing.
 *
 * First start: every replica bootstraps the same collection, FIRST_GENERATION, by name. Were
 * each to create "the next generation", two replicas starting together would make products_v1
 * and products_v2, the alias would end on one of them, writes made through it before the second
 * swap would be lost from the live generation, and the orphan would look like a reindex
 * generation to computeTargets (dual-written forever). By name, one replica creates it, the
 * others get ALREADY_EXISTS, and all point the alias at it (an idempotent swap). Collections
 * without the alias are never guessed at: ingestion reports them and writes nothing.
 */
import type { Logger } from '@vsearch/observability';
import { generationOf, type CollectionInfo } from '@vsearch/contracts';
import { isAlreadyExists, PRODUCTS_ALIAS, type EmbedderModel, type ProductIndexWriter } from '../ports';
import type { GenerationRoles } from './generation-history';

const NO_ROLES: GenerationRoles = { retained: new Set(), rejected: new Set() };

/** The generation every replica creates on an empty store. */
export const FIRST_GENERATION = 'products_v1';

export interface WriteTargetsState {
  /** Collection names to write, in order: the alias first (when its model matches), then a reindex generation. */
  targets: string[];
  aliasCollection?: CollectionInfo;
  reindexCollection?: string;
  /** The model of each target, by target name (the alias by its name). */
  models: Record<string, EmbedderModel>;
  /** Why nothing may be written, when `targets` is empty. */
  problem?: string;
}

export class CollectionRegistry {
  private state: WriteTargetsState = { targets: [], models: {}, problem: 'collections not read yet' };
  private readonly localTargets = new Map<string, EmbedderModel>();
  private rolloutModels: readonly EmbedderModel[] = [];

  constructor(
    private readonly index: ProductIndexWriter,
    private readonly logger: Logger,
    /** Retained generations (written too, so a rollback is complete) and rejected ones (never written), from the job records. */
    private readonly roles: () => Promise<GenerationRoles> = async () => NO_ROLES,
  ) {}

  get current(): WriteTargetsState {
    return this.state;
  }

  /** The model whose vectors a target (a collection name, or the alias) takes; undefined when it is no target. */
  modelOf(target: string): EmbedderModel | undefined {
    return this.state.models[target] ?? this.localTargets.get(target);
  }

  /**
   * Makes sure the first collection and the `products` alias exist (first start), then reads the
   * targets; `rolloutModels` are the models the embedder serves beside `model` (a model rollout).
   */
  async bootstrap(model: EmbedderModel, rolloutModels?: readonly EmbedderModel[]): Promise<WriteTargetsState> {
    const collections = await this.index.listCollections();
    // The alias exists once any replica bootstrapped (a reindex swaps it, never removes it): no alias is a first start or a wiped store.
    if (!collections.some((collection) => collection.aliases.includes(PRODUCTS_ALIAS))) await this.bootstrapFirstGeneration(collections, model);
    return this.refresh(model, rolloutModels);
  }

  /**
   * Creates FIRST_GENERATION on an empty store (or finds another replica's) and points the alias
   * at it, when it is the only collection and holds the embedder's model. Anything else is left
   * for refresh() to report.
   */
  private async bootstrapFirstGeneration(collections: CollectionInfo[], model: EmbedderModel): Promise<void> {
    if (!collections.every((collection) => collection.name === FIRST_GENERATION)) return;
    if (collections.length === 0) {
      try {
        await this.index.createCollection(model.modelId, model.dimension, FIRST_GENERATION);
        this.logger.info({ collection: FIRST_GENERATION, modelId: model.modelId, dimension: model.dimension }, `created collection ${FIRST_GENERATION}`);
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
        this.logger.info({ collection: FIRST_GENERATION }, `collection ${FIRST_GENERATION} was created by another replica meanwhile; using it`);
      }
    }
    // Read again: another replica may have created the collection (with which model?) or pointed the alias meanwhile.
    const now = await this.index.listCollections();
    if (now.some((collection) => collection.aliases.includes(PRODUCTS_ALIAS))) return;
    const first = now.find((collection) => collection.name === FIRST_GENERATION);
    if (!first || now.length > 1 || first.modelId !== model.modelId || first.dimension !== model.dimension) return;
    await this.index.swapAlias(PRODUCTS_ALIAS, FIRST_GENERATION);
    this.logger.info({ collection: FIRST_GENERATION }, `alias ${PRODUCTS_ALIAS} points at ${FIRST_GENERATION}`);
  }

  /** Re-reads the collections from search; without `rolloutModels`, the ones last given count. */
  async refresh(model: EmbedderModel, rolloutModels: readonly EmbedderModel[] = this.rolloutModels): Promise<WriteTargetsState> {
    this.rolloutModels = rolloutModels;
    const [collections, roles] = await Promise.all([this.index.listCollections(), this.roles()]);
    const previous = this.state;
    this.state = computeTargets(collections, model, new Set(this.localTargets.keys()), rolloutModels, roles);
    if (previous.problem !== this.state.problem && this.state.problem) this.logger.error({ problem: this.state.problem }, 'ingestion cannot write');
    if (previous.reindexCollection !== this.state.reindexCollection && this.state.reindexCollection) {
      this.logger.info({ collection: this.state.reindexCollection }, 'live writes also go to the reindex generation');
    }
    return this.state;
  }

  /** The reindex job on this replica registers its generation and its model at once (others see it at their next refresh). */
  addReindexTarget(collection: string, model: EmbedderModel): void {
    this.localTargets.set(collection, model);
    if (!this.state.targets.includes(collection)) {
      this.state = {
        ...this.state,
        targets: [...this.state.targets, collection],
        models: { ...this.state.models, [collection]: model },
        reindexCollection: collection,
        problem: undefined,
      };
    }
  }

  removeReindexTarget(collection: string): void {
    this.localTargets.delete(collection);
  }
}

/** Any collection that is not a generation sorts before every generation. */
function generationNumber(name: string): number {
  return generationOf(name) ?? -1;
}

/**
 * The write targets, each with its model: the alias when the embedder serves its collection's
 * model, the newest generation a rebuild fills (newer than the alias, or this replica's own) of a
 * served model, and every retained generation of a served model, so that a rollback to it loses
 * no write. A rejected generation is never written. `model` is the embedder's default,
 * `rolloutModels` the ones it serves beside it.
 */
export function computeTargets(
  collections: CollectionInfo[],
  model: EmbedderModel,
  localTargets: ReadonlySet<string>,
  rolloutModels: readonly EmbedderModel[] = [],
  roles: GenerationRoles = NO_ROLES,
): WriteTargetsState {
  const aliased = collections.find((collection) => collection.aliases.includes(PRODUCTS_ALIAS));
  // Without the alias no collection is known to serve: writing into any of them would be a guess.
  if (!aliased) return { targets: [], models: {}, problem: noAliasProblem(collections, model) };
  const served = [model, ...rolloutModels];
  const servedModelOf = (collection: CollectionInfo) =>
    served.find((candidate) => candidate.modelId === collection.modelId && candidate.dimension === collection.dimension);
  const aliasGeneration = generationNumber(aliased.name);
  // A generation newer than the aliased one, not aliased itself, of a model the embedder serves: a reindex is filling it.
  const building = collections
    .filter(
      (collection) =>
        collection.aliases.length === 0 &&
        servedModelOf(collection) !== undefined &&
        !roles.rejected.has(collection.name) &&
        !roles.retained.has(collection.name) &&
        (generationNumber(collection.name) > aliasGeneration || localTargets.has(collection.name)),
    )
    .sort((a, b) => generationNumber(b.name) - generationNumber(a.name))[0];
  const targets: string[] = [];
  const models: Record<string, EmbedderModel> = {};
  let problem: string | undefined;
  const aliasModel = servedModelOf(aliased);
  if (!aliasModel) {
    const runs = served.map((candidate) => `${candidate.modelId} (${candidate.dimension})`).join(' and ');
    problem = `collection ${aliased.name} holds vectors of model ${aliased.modelId} (${aliased.dimension}) but the embedder runs ${runs}; reindex to switch models`;
  } else {
    targets.push(PRODUCTS_ALIAS);
    models[PRODUCTS_ALIAS] = aliasModel;
  }
  if (building) {
    targets.push(building.name);
    models[building.name] = servedModelOf(building)!;
  }
  for (const collection of collections) {
    const retainedModel = roles.retained.has(collection.name) && collection.aliases.length === 0 && !collection.damage ? servedModelOf(collection) : undefined;
    if (!retainedModel) continue;
    targets.push(collection.name);
    models[collection.name] = retainedModel;
  }
  return { targets, models, aliasCollection: aliased, reindexCollection: building?.name, problem: targets.length === 0 ? problem : undefined };
}

/** Collections a no-alias warning names; the rest are counted, so a server full of leftovers does not flood every retry's log line. */
export const NO_ALIAS_NAMED_COLLECTIONS = 5;

function noAliasProblem(collections: CollectionInfo[], model: EmbedderModel): string {
  if (collections.length === 0) return `no collection behind the alias "${PRODUCTS_ALIAS}" yet (ingestion creates ${FIRST_GENERATION} when search answers)`;
  const named = collections
    .slice(0, NO_ALIAS_NAMED_COLLECTIONS)
    .map((collection) => `${collection.name} (${collection.modelId}, ${collection.dimension} dimensions, ${collection.productCount} products)`);
  const more = collections.length - named.length;
  const listed = `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`;
  return (
    `no collection is behind the alias "${PRODUCTS_ALIAS}" but ${collections.length === 1 ? '1 collection exists' : `${collections.length} collections exist`}: ${listed}; the embedder runs ${model.modelId} (${model.dimension} dimensions). ` +
    `Ingestion does not guess which one should serve: point the alias at it (search SwapAlias("${PRODUCTS_ALIAS}", <collection>)) or drop the leftovers`
  );
}
