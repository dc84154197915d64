/**
 * A shopper's photo as the query API takes it (a multipart upload or a URL it fetches SSRF-safely):
 * the checks every photo route makes before any decoding or model call, so a bad photo costs the
 * model pods nothing and gets the same 4xx on every route.
 */
import { InvalidRequestError } from '@vsearch/contracts';
import { ImageInputError, type RemoteImageSource, type RequestContext } from '../ports';
import { sniffImageFormat } from './image-format';

/** A photo given by the client: its bytes, or a URL to fetch. */
export type PhotoSource = { kind: 'upload'; bytes: Uint8Array } | { kind: 'url'; imageUrl: string };

/** Throws the client's mistake when `bytes` cannot be a photo we decode: too large, empty, not JPEG, PNG or WebP. */
export function assertUsablePhoto(bytes: Uint8Array, maxUploadBytes: number): void {
  if (bytes.length > maxUploadBytes) throw new ImageInputError('too_large', `image is ${bytes.length} bytes; at most ${maxUploadBytes} are accepted`);
  if (bytes.length === 0) throw new InvalidRequestError('empty_image', 'the image is empty');
  if (!sniffImageFormat(bytes)) throw new ImageInputError('unsupported_format', 'the image is not a JPEG, PNG or WebP file');
}

/** The photo's bytes, fetched when given by URL, checked by assertUsablePhoto. */
export async function photoBytesOf(source: PhotoSource, remoteImages: RemoteImageSource, maxUploadBytes: number, context: RequestContext): Promise<Uint8Array> {
  const bytes = source.kind === 'upload' ? source.bytes : await remoteImages.fetchImage(source.imageUrl, context);
  assertUsablePhoto(bytes, maxUploadBytes);
  return bytes;
}
