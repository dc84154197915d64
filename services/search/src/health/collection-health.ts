/**
 * Per-collection gRPC health: `visualsearch.search.v1.SearchService/<name>` for every collection
 * and alias, SERVING while intact and NOT_SERVING while the store reports it damaged (an alias
 * follows its collection), and one error log line per damaged collection with the remedy. The
 * whole-server status ('' and the bare service name) is liveness and stays as it is, so one
 * damaged collection never takes the others out of rotation.
 */
import type { Logger } from '@vsearch/observability';
import type { CollectionInfo, VectorStore } from '@vsearch/vector-store';

export type HealthStatus = 'SERVING' | 'NOT_SERVING';

export class CollectionHealth {
  private readonly reported = new Map<string, HealthStatus>();
  private readonly logged = new Set<string>();

  constructor(
    private readonly store: VectorStore,
    /** The service name the collection names are appended to. */
    private readonly serviceName: string,
    private readonly setStatus: (service: string, status: HealthStatus) => void,
    private readonly logger: Logger,
  ) {}

  /** The health name of a collection or alias. */
  nameOf(collection: string): string {
    return `${this.serviceName}/${collection}`;
  }

  /** Re-reads the collections (after start-up and after every change to collections or aliases). */
  async refresh(): Promise<void> {
    let collections: CollectionInfo[];
    try {
      collections = await this.store.listCollections();
    } catch (error) {
      // The store is unreachable (Qdrant): health keeps what it said last; the call that asked stays answered.
      this.logger.warn({ err: error }, 'collection health not refreshed: the store could not list its collections');
      return;
    }
    const current = new Map<string, HealthStatus>();
    for (const info of collections) {
      const status: HealthStatus = info.damage ? 'NOT_SERVING' : 'SERVING';
      current.set(info.name, status);
      for (const alias of info.aliases) current.set(alias, status);
      if (info.damage) this.logDamageOnce(info);
    }
    for (const name of this.reported.keys()) if (!current.has(name)) current.set(name, 'NOT_SERVING'); // dropped, or an alias moved away
    for (const [name, status] of current) {
      if (this.reported.get(name) !== status) this.setStatus(this.nameOf(name), status);
      this.reported.set(name, status);
    }
  }

  /** Every per-collection name NOT_SERVING, for shutdown. */
  stop(): void {
    for (const name of this.reported.keys()) this.setStatus(this.nameOf(name), 'NOT_SERVING');
  }

  private logDamageOnce(info: CollectionInfo): void {
    if (this.logged.has(info.name)) return;
    this.logged.add(info.name);
    this.logger.error(
      { collection: info.name, aliases: info.aliases, damage: info.damage },
      `collection ${info.name} is damaged and not served (${info.damage}); remedy: ingestion rebuilds it from the catalog topic automatically; or run \`vsearch reindex\``,
    );
  }
}
