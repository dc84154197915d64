/**
 * Model manifests (`<MODELS_DIR>/<name>/model.json`) read from disk, matched
 * to the embedder's model id (`name@version`). Only the fields the query API
 * needs are read, so this pod does not load the model runtime.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ModelManifests } from '../ports';

const RESCAN_AFTER_MS = 30_000;

export class FileModelManifests extends ModelManifests {
  private thresholds = new Map<string, number>();
  private scannedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly modelsDir: string) {
    super();
  }

  textSearchScoreThreshold(modelId: string): number | undefined {
    if (!this.thresholds.has(modelId) && Date.now() - this.scannedAt > RESCAN_AFTER_MS) this.scan();
    return this.thresholds.get(modelId);
  }

  private scan(): void {
    this.scannedAt = Date.now();
    const found = new Map<string, number>();
    if (!existsSync(this.modelsDir)) return;
    for (const entry of readdirSync(this.modelsDir, { withFileTypes: true })) {
      const file = path.join(this.modelsDir, entry.name, 'model.json');
      if (!entry.isDirectory() || !existsSync(file)) continue;
      try {
        const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown; textSearchScoreThreshold?: unknown };
        if (typeof manifest.name !== 'string' || typeof manifest.version !== 'string') continue;
        const threshold = typeof manifest.textSearchScoreThreshold === 'number' ? manifest.textSearchScoreThreshold : 0;
        found.set(`${manifest.name}@${manifest.version}`, threshold);
      } catch {
        // A broken manifest is the embedder's problem to report; here it just has no threshold.
      }
    }
    this.thresholds = found;
  }
}
