/** Ports for index generations: the list ingestion derives, and the merchandisers' golden query set. */
import type { GenerationInfo, GoldenQuerySet } from '@vsearch/contracts';
import type { RequestContext } from './request-context';

export abstract class GenerationsSource {
  /** Every generation with its status, model, size, swap times and gate report; throws DependencyUnavailableError when ingestion does not answer. */
  abstract list(context: RequestContext): Promise<GenerationInfo[]>;
}

export abstract class GoldenQueryStore {
  /** The stored set, or undefined when none was uploaded. */
  abstract get(context: RequestContext): Promise<GoldenQuerySet | undefined>;
  /** Replaces the stored set (ingestion reads it at its next gated swap). */
  abstract put(set: GoldenQuerySet, context: RequestContext): Promise<void>;
}
