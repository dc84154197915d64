/**
 * Photos preprocessed on this CPU pod (libs/preprocessing, sharp), so the embedder gets pixels,
 * behind the pod's decode admission gate: a bounded number decode at once, a short line waits,
 * and beyond it the photo is refused at once (OverloadedError: 503 with Retry-After) instead of
 * filling libuv's thread pool. The photo's rate-limit cost is charged from its header, before
 * the decode.
 */
import { OverloadedError } from '@vsearch/contracts';
import { DecodeRefusedError, ImagePreprocessError, preprocessImage, type DecodeAdmissionGate, type ImagePreprocessErrorCode } from '@vsearch/preprocessing';
import { ImageInputError, ImagePreprocessor, type ImageInputProblem, type RequestContext } from '../ports';

const PROBLEMS: Record<ImagePreprocessErrorCode, ImageInputProblem> = {
  empty: 'undecodable',
  corrupt: 'undecodable',
  too_large: 'too_large',
  too_many_pixels: 'too_large',
  unsupported_format: 'unsupported_format',
};

/** Charges a photo's cost in rate-limit tokens from its stored size; throws to refuse it before it is decoded. */
export type DecodeCharge = (context: RequestContext, width: number, height: number) => void;

export class SharpImagePreprocessor extends ImagePreprocessor {
  constructor(
    private readonly limits: { maxBytes: number; maxPixels: number },
    private readonly gate: DecodeAdmissionGate,
    private readonly chargeDecode: DecodeCharge,
  ) {
    super();
  }

  async toModelPixels(bytes: Uint8Array, size: number, context: RequestContext): Promise<Uint8Array> {
    try {
      const beforeDecode = ({ width, height }: { width: number; height: number }) => this.chargeDecode(context, width, height);
      return (await this.gate.run(() => preprocessImage(bytes, { size }, this.limits, { beforeDecode }))).pixels;
    } catch (error) {
      if (error instanceof DecodeRefusedError) throw new OverloadedError(error.message, error.retryAfterSeconds);
      if (error instanceof ImagePreprocessError) throw new ImageInputError(PROBLEMS[error.code], error.message);
      throw error;
    }
  }
}
