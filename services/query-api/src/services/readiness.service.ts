/** Readiness: the query API can serve only while the embedder and search answer. */
import type { ProductSearchIndex, QueryEmbedder } from '../ports';

export interface Readiness {
  status: 'ready' | 'not_ready';
  dependencies: Record<string, 'up' | 'down'>;
  missing: string[];
}

export class ReadinessService {
  constructor(
    private readonly embedder: QueryEmbedder,
    private readonly searchIndex: ProductSearchIndex,
  ) {}

  async check(): Promise<Readiness> {
    const checks: [string, () => Promise<void>][] = [
      ['embedder', () => this.embedder.checkReady()],
      ['search', () => this.searchIndex.checkReady()],
    ];
    const outcomes = await Promise.all(
      checks.map(
        async ([name, check]) =>
          [
            name,
            await check().then(
              () => 'up' as const,
              () => 'down' as const,
            ),
          ] as const,
      ),
    );
    const dependencies = Object.fromEntries(outcomes);
    const missing = outcomes.filter(([, state]) => state === 'down').map(([name]) => name);
    return { status: missing.length === 0 ? 'ready' : 'not_ready', dependencies, missing };
  }
}
