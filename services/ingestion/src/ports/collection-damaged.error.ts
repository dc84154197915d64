/**
 * Search refused a call because the collection it addresses is damaged (its stored files failed
 * verification; search sends FAILED_PRECONDITION with the reason COLLECTION_DAMAGED). It is our
 * own outage, not the event's fault: live writes wait for the rebuild (the self-heal, or an
 * operator's reindex, swaps the alias to a new generation) and are never dead-lettered, so it is
 * a DependencyUnavailableError. A reindex job does not wait on it: a job whose own writes hit a
 * damaged collection could wait forever, and while it runs the self-heal waits for it.
 */
import { DependencyUnavailableError } from '@vsearch/contracts';

export class CollectionDamagedError extends DependencyUnavailableError {
  constructor(
    /** The collection or alias the refused call addressed. */
    readonly collection: string,
    /** Search's message: the damaged file, the offset, what is affected. */
    details: string,
  ) {
    super('search', `collection ${collection} is damaged; writes wait until it is rebuilt (self-heal or vsearch reindex): ${details}`);
  }
}
