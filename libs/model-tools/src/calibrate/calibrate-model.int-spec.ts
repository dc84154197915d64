/**
 * Calibrating the bundled model's cut-offs and writing them into a copy of its model.json.
 * real: onnxruntime-node with the bundled clip-mini, the catalog generator's renders, sharp, the file system.
 * mock: nothing.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLED_MODEL_DIR, loadModelDirectory, verifyModelFiles } from '@vsearch/model';
import { calibrateModel, writeCalibratedThresholds } from './calibrate-model';

describe(calibrateModel.name, () => {
  let modelDir: string;
  const bundledManifest = readFileSync(path.join(BUNDLED_MODEL_DIR, 'model.json'), 'utf8');

  beforeAll(() => {
    modelDir = path.join(mkdtempSync(path.join(os.tmpdir(), 'calibrate-')), 'clip-mini');
    cpSync(BUNDLED_MODEL_DIR, modelDir, { recursive: true });
  });

  afterAll(() => rmSync(path.dirname(modelDir), { recursive: true, force: true }));

  it('derives both cut-offs from a small generated catalog and writes them into model.json, leaving the rest as it was', async () => {
    const report = await calibrateModel({ modelDir, products: 60, seed: 3 });
    expect(report).toMatchObject({ modelId: 'clip-mini@1.1.0', products: 60, seed: 3 });
    // clip-mini tells shoppers' queries from nonsense cleanly: the text cut-off sits between the two.
    expect(report.text.overlap).toBe(false);
    expect(report.text.threshold).toBeGreaterThan(report.text.noiseHigh);
    expect(report.text.threshold).toBeLessThan(report.text.relevantLow);
    expect(report.text.relevant.count).toBeGreaterThan(report.text.noise.count);
    // Photos of the same kind of product score far above the median unrelated photo; the cut-off keeps 95% of them.
    expect(report.image.relevant.median).toBeGreaterThan(report.image.noise.median);
    expect(report.image.relevantBelow).toBeLessThanOrEqual(0.06);
    expect(report.image.threshold).toBeLessThanOrEqual(report.image.relevantLow);

    writeCalibratedThresholds(modelDir, report);
    const calibrated = loadModelDirectory(modelDir);
    expect(calibrated.manifest.textSearchScoreThreshold).toBe(report.text.threshold);
    expect(calibrated.manifest.imageSearchScoreThreshold).toBe(report.image.threshold);
    const before = JSON.parse(bundledManifest) as Record<string, unknown>;
    const after = JSON.parse(readFileSync(path.join(modelDir, 'model.json'), 'utf8')) as Record<string, unknown>;
    expect({ ...after, textSearchScoreThreshold: undefined, imageSearchScoreThreshold: undefined }).toEqual({
      ...before,
      textSearchScoreThreshold: undefined,
      imageSearchScoreThreshold: undefined,
    });
    await expect(verifyModelFiles(calibrated)).resolves.toBeUndefined();
    expect(readFileSync(path.join(BUNDLED_MODEL_DIR, 'model.json'), 'utf8')).toBe(bundledManifest);
  });

  it('refuses to write a cut-off outside the cosine range, naming the field', () => {
    const outOfRange = { threshold: 1.5 } as Parameters<typeof writeCalibratedThresholds>[1]['text'];
    expect(() => writeCalibratedThresholds(modelDir, { text: outOfRange, image: outOfRange })).toThrow(/textSearchScoreThreshold/);
  });
});
