/**
 * Drops generations whose retention is over (GenerationHistory's rule), every RETAIN_SWEEP_MS.
 * A sweep skips while a job runs on this replica (its swap changes what is retained) and never
 * touches the alias target, a generation being filled or one no record explains. Several replicas
 * may sweep the same generation: a drop that fails is logged and tried again at the next sweep.
 */
import type { Logger } from '@vsearch/observability';
import type { ProductIndexWriter } from '../ports';
import type { GenerationHistory } from './generation-history';
import type { ReindexService } from './reindex.service';

export class GenerationSweeper {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private sweeping: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly history: GenerationHistory,
    private readonly index: ProductIndexWriter,
    private readonly reindex: Pick<ReindexService, 'activeJob'>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  start(): void {
    const schedule = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.sweeping = this.sweepOnce()
          .catch((error: unknown) => this.logger.warn({ err: error }, 'generation sweep failed; the next one tries again'))
          .finally(schedule);
      }, this.intervalMs);
      this.timer.unref();
    };
    schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.sweeping.catch(() => undefined);
  }

  /** One sweep; returns the generations dropped. */
  async sweepOnce(): Promise<string[]> {
    if (this.reindex.activeJob()) return [];
    const dropped: string[] = [];
    for (const generation of await this.history.list()) {
      if (!generation.drop || generation.status === 'live' || generation.status === 'building') continue;
      try {
        await this.index.dropCollection(generation.name);
        dropped.push(generation.name);
        this.logger.info(
          { collection: generation.name, status: generation.status, modelId: generation.modelId },
          `dropped generation ${generation.name}: ${generation.drop}`,
        );
      } catch (error) {
        this.logger.warn({ err: error, collection: generation.name }, `generation ${generation.name} could not be dropped; the next sweep tries again`);
      }
    }
    return dropped;
  }
}
