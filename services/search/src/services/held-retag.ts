/**
 * The re-tag lease while this replica runs a re-tag: every progress write renews it, a heartbeat
 * renews it while a page takes long, and a write the store refuses (another replica claimed the
 * record after our lease expired) marks it lost, which stops the run.
 */
import type { Logger } from '@vsearch/observability';
import type { RetagProgress, VectorStore } from '@vsearch/vector-store';

export class HeldRetag {
  private latest: RetagProgress;
  private writes: Promise<unknown> = Promise.resolve();
  private readonly heartbeat: NodeJS.Timeout;
  private lostLease = false;
  private readonly leaseMs: number;
  private readonly clock: () => Date;

  constructor(
    private readonly store: VectorStore,
    claimed: RetagProgress,
    lease: { leaseMs: number; clock: () => Date },
    private readonly logger: Logger,
  ) {
    this.latest = claimed;
    this.leaseMs = lease.leaseMs;
    this.clock = lease.clock;
    // a third of the lease: two heartbeats may fail (a store hiccup) before the lease runs out
    this.heartbeat = setInterval(
      () => void this.write({}).catch((error: unknown) => this.logger.warn({ err: error }, 'renewing the re-tag lease failed')),
      Math.max(1, Math.floor(this.leaseMs / 3)),
    );
    this.heartbeat.unref();
  }

  get progress(): RetagProgress {
    return this.latest;
  }

  get lost(): boolean {
    return this.lostLease;
  }

  /**
   * Records `changes` with the lease renewed for `leaseMs` (0 hands it back), after the writes
   * before it; resolves whether the lease is still held. Store errors reject (the caller decides).
   */
  write(changes: Partial<RetagProgress>, leaseMs = this.leaseMs): Promise<boolean> {
    const now = this.clock();
    const next: RetagProgress = { ...this.latest, ...changes, leaseExpiresAt: new Date(now.getTime() + leaseMs).toISOString(), updatedAt: now.toISOString() };
    this.latest = next;
    const written = this.writes.then(async () => {
      if (!this.lostLease && !(await this.store.saveRetagProgress(next))) this.lostLease = true;
      return !this.lostLease;
    });
    this.writes = written.catch(() => undefined);
    return written;
  }

  /** Stops the heartbeat; resolves once the writes made so far are done. */
  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.writes;
  }
}
