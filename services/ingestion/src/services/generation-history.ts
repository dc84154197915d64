/**
 * What each index generation is, derived from search's collection list and the job records
 * (ReindexJobStore): the live one, one a rebuild fills, retained ones (served before, kept for a
 * rollback), rejected ones (failed their gates, kept for inspection), with their gate reports and
 * swap times. Also the retention rule the sweeper applies and the choice of a rollback target.
 *
 * Retention (RETAIN_GENERATIONS, RETAIN_GENERATIONS_HOURS): the N generations that served most
 * recently before the live one are kept, each for at most H hours after the alias left it; the
 * latest rejected generation is kept for H hours after its gates failed, older rejected ones go at
 * once. Never dropped: the alias target, a generation being filled, one no record explains.
 */
import {
  generationOf,
  isActiveReindexJob,
  PRODUCTS_ALIAS,
  type CollectionInfo,
  type GateReport,
  type GenerationInfo,
  type ReindexJob,
  type ReindexJobStore,
} from '@vsearch/contracts';
import type { EmbedderModel, ProductIndexWriter } from '../ports';

export interface RetentionPolicy {
  /** Previous generations kept for a rollback. */
  generations: number;
  /** How long after it stopped serving (or failed its gates) a generation is kept at most. */
  maxAgeMs: number;
}

/** Generations the write targets and the healer must tell apart from a rebuild in progress. */
export interface GenerationRoles {
  /** Served before, kept for a rollback. */
  retained: ReadonlySet<string>;
  /** Failed their gates: kept for inspection, written by nobody. */
  rejected: ReadonlySet<string>;
}

/** What the embedder has loaded, as a rollback target's model must be. */
export interface LoadedModels {
  defaultModelId: string;
  isLoaded(modelId: string): boolean;
}

/** A generation as listed, with the sweeper's verdict. */
export interface GenerationVerdict extends GenerationInfo {
  /** Why the sweeper drops it now; absent when it stays. */
  drop?: string;
}

interface Swap {
  at: number;
  into: string;
  from?: string;
}

export class GenerationHistory {
  constructor(
    private readonly jobs: ReindexJobStore,
    private readonly index: ProductIndexWriter,
    private readonly retention: RetentionPolicy,
    /** The models the embedder has loaded (the default first, then a rollout model: ModelTracker.loaded): whose generations receive writes. */
    private readonly loadedModels: () => readonly EmbedderModel[],
    private readonly now: () => number = Date.now,
  ) {}

  async roles(): Promise<GenerationRoles> {
    return rolesFrom(await this.jobs.list());
  }

  /** Every generation, oldest first, with what it is and whether retention is over. */
  async list(): Promise<GenerationVerdict[]> {
    const [collections, jobs] = await Promise.all([this.index.listCollections(), this.jobs.list()]);
    return describeGenerations(
      collections,
      jobs,
      this.retention,
      this.now(),
      this.loadedModels().map((model) => model.modelId),
    );
  }

  /** The gate report a generation got when a rebuild filled it, if any is recorded. */
  async reportOf(collection: string): Promise<GateReport | undefined> {
    const built = (await this.jobs.list()).find((job) => job.kind === 'rebuild' && job.collection === collection && job.gates);
    return built?.gates;
  }
}

export function rolesFrom(jobs: readonly ReindexJob[]): GenerationRoles {
  const { swaps, rejectedAt } = swapsAndRejections(jobs);
  const lastIn = new Map<string, number>();
  const lastOut = new Map<string, number>();
  for (const swap of swaps) {
    lastIn.set(swap.into, swap.at);
    if (swap.from) lastOut.set(swap.from, swap.at);
  }
  const retained = new Set([...lastOut].filter(([name, out]) => (lastIn.get(name) ?? -1) < out).map(([name]) => name));
  const rejected = new Set([...rejectedAt].filter(([name, at]) => (lastIn.get(name) ?? -1) < at).map(([name]) => name));
  return { retained, rejected };
}

export function describeGenerations(
  collections: readonly CollectionInfo[],
  jobs: readonly ReindexJob[],
  retention: RetentionPolicy,
  now: number,
  loadedModelIds: readonly string[],
): GenerationVerdict[] {
  const { swaps, rejectedAt } = swapsAndRejections(jobs);
  const roles = rolesFrom(jobs);
  const lastIn = new Map<string, number>();
  const lastOut = new Map<string, number>();
  for (const swap of swaps) {
    lastIn.set(swap.into, swap.at);
    if (swap.from) lastOut.set(swap.from, swap.at);
  }
  const builders = new Map<string, ReindexJob>();
  for (const job of [...jobs].reverse()) if (job.kind === 'rebuild' && job.collection) builders.set(job.collection, job);
  const live = collections.find((collection) => collection.aliases.includes(PRODUCTS_ALIAS));
  const liveGeneration = live ? (generationOf(live.name) ?? -1) : -1;

  const verdicts: GenerationVerdict[] = collections.map((collection) => {
    const builder = builders.get(collection.name);
    const building = builder && (builder.state === 'queued' || isActiveReindexJob(builder));
    const status: GenerationInfo['status'] =
      collection === live
        ? 'live'
        : building
          ? 'building'
          : roles.retained.has(collection.name)
            ? 'retained'
            : roles.rejected.has(collection.name)
              ? 'rejected'
              : (generationOf(collection.name) ?? -1) > liveGeneration
                ? 'building'
                : 'unknown';
    // The write targets (collection-registry.ts) take every generation of a model the embedder has loaded.
    const ownModel = loadedModelIds.includes(collection.modelId);
    return {
      name: collection.name,
      status,
      modelId: collection.modelId,
      dimension: collection.dimension,
      productCount: collection.productCount,
      pointCount: collection.pointCount,
      receivesWrites: ownModel && (status === 'live' || status === 'building' || status === 'retained'),
      ...(builder ? { builtBy: builder.jobId, ...(builder.startedAt ? { createdAt: builder.startedAt } : {}) } : {}),
      ...(lastIn.has(collection.name) ? { swappedInAt: iso(lastIn.get(collection.name)!) } : {}),
      ...(status === 'retained' ? { swappedOutAt: iso(lastOut.get(collection.name)!) } : {}),
      ...(builder?.gates ? { gates: builder.gates } : {}),
      ...(collection.damage ? { damage: collection.damage } : {}),
    };
  });

  // Retained: the most recent N stay, each until its age is up.
  const retained = verdicts.filter((verdict) => verdict.status === 'retained').sort((a, b) => Date.parse(b.swappedOutAt!) - Date.parse(a.swappedOutAt!));
  retained.forEach((verdict, rank) => {
    const dropAfter = Date.parse(verdict.swappedOutAt!) + retention.maxAgeMs;
    verdict.dropAfter = iso(dropAfter);
    if (rank >= retention.generations) verdict.drop = `more than ${retention.generations} previous generation(s) are retained`;
    else if (now > dropAfter) verdict.drop = `it stopped serving more than ${retention.maxAgeMs / 3_600_000} h ago`;
  });
  // Rejected: the latest stays for inspection until its age is up, older ones go.
  const rejected = verdicts.filter((verdict) => verdict.status === 'rejected').sort((a, b) => rejectedAt.get(b.name)! - rejectedAt.get(a.name)!);
  rejected.forEach((verdict, rank) => {
    const dropAfter = rejectedAt.get(verdict.name)! + retention.maxAgeMs;
    verdict.dropAfter = iso(dropAfter);
    if (rank > 0) verdict.drop = 'a newer generation failed its gates since; only the latest rejected one is kept';
    else if (now > dropAfter) verdict.drop = `it failed its gates more than ${retention.maxAgeMs / 3_600_000} h ago`;
  });
  return verdicts.sort((a, b) => (generationOf(a.name) ?? -1) - (generationOf(b.name) ?? -1));
}

/**
 * The generation a rollback swaps to: the one named, or the retained one that served most
 * recently. It must be retained (it served before: a rebuild's unfinished or rejected generation
 * never did) and undamaged, and its model must be loaded on the embedder (the default or one
 * beside it), since the rollback catches it up with that model's vectors and the query API then
 * embeds queries with it. Throws an Error naming the problem otherwise.
 */
export function rollbackTarget(generations: readonly GenerationInfo[], embedder: LoadedModels, to?: string): GenerationInfo {
  const live = generations.find((generation) => generation.status === 'live');
  const target = to
    ? generations.find((generation) => generation.name === to)
    : generations.filter((generation) => generation.status === 'retained').sort((a, b) => Date.parse(b.swappedOutAt!) - Date.parse(a.swappedOutAt!))[0];
  if (!target) {
    const retained = generations.filter((generation) => generation.status === 'retained').map((generation) => generation.name);
    throw new Error(
      to
        ? `no generation ${to}; retained generations: ${retained.join(', ') || 'none'}`
        : 'no previous generation is retained to roll back to (RETAIN_GENERATIONS, RETAIN_GENERATIONS_HOURS)',
    );
  }
  if (target === live) throw new Error(`${target.name} is already live`);
  if (target.damage) throw new Error(`${target.name} is damaged (${target.damage}); reindex instead`);
  if (target.status !== 'retained') {
    throw new Error(`${target.name} is ${target.status}, not a retained generation (one that served before and is kept for a rollback); reindex instead`);
  }
  if (!embedder.isLoaded(target.modelId)) {
    throw new Error(
      `${target.name} holds vectors of model ${target.modelId}, which the embedder has not loaded (its default is ${embedder.defaultModelId}): ` +
        'load it beside the default with ROLLOUT_MODEL_DIR (Helm: embedder.rolloutModel), then roll back again',
    );
  }
  return target;
}

function swapsAndRejections(jobs: readonly ReindexJob[]): { swaps: Swap[]; rejectedAt: Map<string, number> } {
  const swaps: Swap[] = [];
  const rejectedAt = new Map<string, number>();
  for (const job of jobs) {
    const at = Date.parse(job.finishedAt ?? '');
    if (!Number.isFinite(at)) continue;
    if ((job.kind === 'rebuild' || job.kind === 'rollback') && job.state === 'done' && job.collection) {
      swaps.push({
        at,
        into: job.collection,
        ...(job.previousCollection && job.previousCollection !== job.collection ? { from: job.previousCollection } : {}),
      });
    }
    if (job.kind === 'rebuild' && job.state === 'failed' && job.gates && !job.gates.passed && job.collection) rejectedAt.set(job.collection, at);
  }
  swaps.sort((a, b) => a.at - b.at);
  return { swaps, rejectedAt };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
