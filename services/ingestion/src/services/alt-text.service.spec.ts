import { DependencyUnavailableError } from '@vsearch/contracts';
import { createLogger } from '@vsearch/observability';
import { FakeDescriber } from '../testing/fake-describer';
import { FakePreprocessor } from '../testing/fakes';
import { AltTextWriter, DESCRIBER_MODEL_TTL_MS } from './alt-text.service';

describe(AltTextWriter.name, () => {
  let describer: FakeDescriber;
  let now: number;
  let writer: AltTextWriter;

  beforeEach(() => {
    describer = new FakeDescriber();
    now = 0;
    writer = new AltTextWriter(describer, new FakePreprocessor(), { cacheSize: 2, nowMs: () => now }, createLogger('test', 'silent'));
  });

  it("describes an image from pixels of the describer's size", async () => {
    expect(await writer.describe(Uint8Array.from([7, 1, 1]))).toBe('image 7 of 3 bytes by describer@1');
  });

  it('describes the same image content once, and again on a refresh', async () => {
    await writer.describe(Uint8Array.from([7, 1]));
    expect(await writer.describe(Uint8Array.from([7, 1]))).toBe('image 7 of 2 bytes by describer@1');
    expect(describer.calls).toEqual([7]);
    await writer.describe(Uint8Array.from([7, 1]), { refresh: true });
    expect(describer.calls).toEqual([7, 7]);
  });

  it('keeps the most recently used descriptions up to its size', async () => {
    for (const first of [1, 2, 1, 3]) await writer.describe(Uint8Array.from([first]));
    await writer.describe(Uint8Array.from([1]));
    await writer.describe(Uint8Array.from([2]));
    expect(describer.calls).toEqual([1, 2, 3, 2]);
  });

  it('describes again under a new describer model once the model is read again', async () => {
    await writer.describe(Uint8Array.from([5]));
    describer.model = { modelId: 'describer@2', imageSize: 4 };
    expect(await writer.describe(Uint8Array.from([5]))).toBe('image 5 of 1 bytes by describer@1');
    now += DESCRIBER_MODEL_TTL_MS + 1;
    expect(await writer.describe(Uint8Array.from([5]))).toBe('image 5 of 1 bytes by describer@2');
  });

  it("throws the describer's outage (ingestion pauses), and leaves out an image it refuses or that does not decode", async () => {
    describer.down = true;
    await expect(writer.describe(Uint8Array.from([1]))).rejects.toBeInstanceOf(DependencyUnavailableError);
    describer.down = false;
    describer.refuse = true;
    expect(await writer.describe(Uint8Array.from([1]))).toBeUndefined();
    describer.refuse = false;
    expect(await writer.describe(new Uint8Array(0))).toBeUndefined();
    expect(describer.calls).toEqual([]);
  });
});
