/** A fake describer for unit tests of alt text at ingestion. */
import { DependencyUnavailableError, RejectedByDependencyError } from '@vsearch/contracts';
import { ImageDescriber, type DescriberModel } from '../ports';

/** Describes pixels by their first bytes (FakePreprocessor writes the image's first byte and length there). */
export class FakeDescriber extends ImageDescriber {
  model: DescriberModel = { modelId: 'describer@1', imageSize: 4 };
  down = false;
  refuse = false;
  readonly calls: number[] = [];

  async modelInfo(): Promise<DescriberModel> {
    if (this.down) throw new DependencyUnavailableError('describer', 'down');
    return this.model;
  }

  async describePixels(pixels: Uint8Array): Promise<string> {
    if (this.down) throw new DependencyUnavailableError('describer', 'down');
    if (this.refuse) throw new RejectedByDependencyError('describer', 'INVALID_ARGUMENT', 'bad pixels');
    if (pixels.length !== this.model.imageSize ** 2 * 3) throw new Error(`unexpected pixel count ${pixels.length}`);
    this.calls.push(pixels[0]);
    return `image ${pixels[0]} of ${pixels[1]} bytes by ${this.model.modelId}`;
  }

  close(): void {}
}
