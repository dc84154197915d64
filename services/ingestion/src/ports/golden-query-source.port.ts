/** The merchandisers' golden query set as the gates read it, at the moment of each gated swap. */
import type { GoldenQuerySet } from '@vsearch/contracts';

export abstract class GoldenQuerySource {
  /** The stored set, or undefined when none was uploaded; throws DependencyUnavailableError when the log cannot be read. */
  abstract current(): Promise<GoldenQuerySet | undefined>;
}
