/**
 * Feeds the sample catalog into the event log WHILE it is being generated: the
 * generator appends a product's line once its images are on disk, and each
 * `tick()` publishes the lines added since the last one. Ingestion thus indexes
 * the first products seconds after the start instead of after the whole
 * generation, which is what a new user waits for.
 */
import { CliError } from '../cli/errors';
import { CatalogFileTail } from './catalog-tail';
import type { CatalogSink } from './publish-catalog';
import { generateSampleCatalog, type GenerateSampleOptions, type SampleCatalog } from './sample-catalog';

export class GeneratingCatalogFeed {
  private readonly tail: CatalogFileTail;
  private generation: Promise<SampleCatalog> | undefined;
  private finished = false;
  private failure: unknown;
  private generatedCount = 0;
  published = 0;
  invalid = 0;

  constructor(
    private readonly sink: CatalogSink,
    private readonly catalog: SampleCatalog,
    private readonly options: GenerateSampleOptions,
    private readonly topic: string,
  ) {
    this.tail = new CatalogFileTail(catalog.catalogFile);
  }

  get total(): number {
    return this.options.count;
  }

  get generated(): number {
    return this.generatedCount;
  }

  /** True while the generator still runs (it cannot be cancelled; a stop leaves it to the process exit). */
  get running(): boolean {
    return this.generation !== undefined && !this.finished;
  }

  start(): void {
    this.generation = generateSampleCatalog(this.catalog, {
      ...this.options,
      onProgress: (progress) => {
        this.generatedCount = progress.products;
        this.options.onProgress?.(progress);
      },
    });
    this.generation.then(
      () => (this.finished = true),
      (error: unknown) => {
        this.failure = error;
        this.finished = true;
      },
    );
  }

  /** Publishes the lines written since the last call; true once the catalog is complete and all of it published. */
  async tick(): Promise<boolean> {
    if (!this.generation) throw new Error('start() the feed first');
    const finishedBeforeRead = this.finished;
    const lines = await this.tail.readNewLines();
    const records: { key: string; value: string }[] = [];
    for (const line of lines) {
      if (line.ok) records.push({ key: line.event.productId, value: line.raw });
      else this.invalid++;
    }
    for (let i = 0; i < records.length; i += 500) await this.sink.publish(this.topic, records.slice(i, i + 500));
    this.published += records.length;
    if (!finishedBeforeRead) return false;
    if (this.failure) throw new CliError(`generating the sample catalog failed: ${(this.failure as Error).message}`);
    return true;
  }

  /** The complete catalog (after tick() returned true). */
  async result(): Promise<SampleCatalog> {
    if (!this.generation) throw new Error('start() the feed first');
    return this.generation;
  }
}
