/** Temporary directories a test makes and removes, and model directories copied under another version. */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Directories under the system's temp folder, made by `make` and all removed by `removeAll` (a test's afterAll). */
export function temporaryDirectories(): { make(label: string): string; removeAll(): void } {
  const made: string[] = [];
  return {
    make(label) {
      const dir = mkdtempSync(path.join(os.tmpdir(), label));
      made.push(dir);
      return dir;
    },
    removeAll() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Copies the model in `modelDir` to `targetDir` with `version` in its manifest: the same weights under
 * another model id, for tests of a model rollout without a second model to load (the in-use marker
 * of the source is not copied).
 */
export function copyModelAsVersion(modelDir: string, targetDir: string, version: string): void {
  cpSync(modelDir, targetDir, { recursive: true, filter: (source) => !source.endsWith('.in-use') });
  const manifestFile = path.join(targetDir, 'model.json');
  writeFileSync(manifestFile, JSON.stringify({ ...JSON.parse(readFileSync(manifestFile, 'utf8')), version }, null, 2));
}
