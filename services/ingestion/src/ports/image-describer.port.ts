/** The describer as ingestion needs it: alt text for model-sized pixels, on the bulk lane. */
import type { DescriberInfo } from '@vsearch/contracts';

/** What ingestion reads of the describer's model: its id (descriptions are cached per model) and its input side. */
export type DescriberModel = Pick<DescriberInfo, 'modelId' | 'imageSize'>;

export abstract class ImageDescriber {
  /** Throws DependencyUnavailableError when the describer cannot be reached. */
  abstract modelInfo(): Promise<DescriberModel>;
  /**
   * The description of one RGB HWC uint8 image of imageSize²×3 bytes, through the bulk lane. Throws
   * DependencyUnavailableError on the describer's outage, RejectedByDependencyError when it refuses
   * these pixels for good.
   */
  abstract describePixels(pixels: Uint8Array): Promise<string>;
  abstract close(): void;
}
