/**
 * Ports for a shopper's photo: fetching it from a URL (SSRF-safe) and turning
 * its bytes into the model's input pixels on this pod.
 */
import type { RequestContext } from './request-context';

export type ImageInputProblem =
  /** The URL is not http(s) or points at a private, loopback or link-local address. */
  | 'url_refused'
  /** The remote host could not be reached or answered with an error. */
  | 'fetch_failed'
  /** More bytes or pixels than allowed. */
  | 'too_large'
  /** Not a JPEG, PNG or WebP file (whatever its name says). */
  | 'unsupported_format'
  /** A JPEG, PNG or WebP that cannot be decoded (truncated, corrupt). */
  | 'undecodable';

/** A shopper's image cannot be used; the message is safe to show to the client. */
export class ImageInputError extends Error {
  constructor(
    readonly problem: ImageInputProblem,
    message: string,
  ) {
    super(message);
    this.name = 'ImageInputError';
  }
}

export abstract class RemoteImageSource {
  /** The image's bytes; throws ImageInputError. */
  abstract fetchImage(url: string, context: RequestContext): Promise<Uint8Array>;
}

export abstract class ImagePreprocessor {
  /**
   * RGB HWC uint8 pixels, `size` × `size`, resized and cropped as the model expects; throws
   * ImageInputError for a bad image, OverloadedError when this pod decodes all it can,
   * RateLimitedError when the image costs the client more tokens than it has.
   */
  abstract toModelPixels(bytes: Uint8Array, size: number, context: RequestContext): Promise<Uint8Array>;
}
