import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileModelManifests } from './file.model-manifests';

describe(FileModelManifests.name, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'query-api-models-'));
  const write = (name: string, manifest: unknown) => {
    mkdirSync(path.join(dir, name), { recursive: true });
    writeFileSync(path.join(dir, name, 'model.json'), typeof manifest === 'string' ? manifest : JSON.stringify(manifest));
  };
  write('clip-mini', { name: 'clip-mini', version: '1.1.0', textSearchScoreThreshold: -0.015 });
  write('clip-b32', { name: 'clip-b32', version: '2' });
  write('broken', '{not json');

  it("finds a model's threshold by its id (name@version)", () => {
    const manifests = new FileModelManifests(dir);
    expect(manifests.textSearchScoreThreshold('clip-mini@1.1.0')).toBe(-0.015);
    expect(manifests.textSearchScoreThreshold('clip-mini@1.0.0')).toBeUndefined();
  });

  it('uses the manifest default (0) when the field is absent, and skips broken manifests', () => {
    const manifests = new FileModelManifests(dir);
    expect(manifests.textSearchScoreThreshold('clip-b32@2')).toBe(0);
    expect(manifests.textSearchScoreThreshold('broken@1')).toBeUndefined();
  });

  it('has no thresholds when the directory does not exist', () => {
    expect(new FileModelManifests(path.join(dir, 'missing')).textSearchScoreThreshold('clip-mini@1.1.0')).toBeUndefined();
  });
});
