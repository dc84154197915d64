/**
 * The edge of the embedder's API: decoded gRPC requests are checked here and
 * turned into typed inputs, or refused with INVALID_ARGUMENT naming the item.
 * Nothing past this file sees a raw request.
 */
import { invalidArgument } from '@vsearch/grpc-kit';
import { embedderV1, type describerV1 } from '@vsearch/proto';
import type { Lane } from '../batching/dynamic-batcher';
import type { ImageItem } from '../services/embedding.service';

export interface RequestLimits {
  maxItemsPerCall: number;
  maxTextBytes: number;
  maxEncodedImageBytes: number;
}

/** The batching lane of a call; the describer's Priority numbers its lanes as the embedder's does. */
export function laneOf(priority: embedderV1.Priority | describerV1.Priority): Lane {
  switch (priority) {
    case embedderV1.Priority.PRIORITY_BULK:
      return 'bulk';
    case embedderV1.Priority.PRIORITY_INTERACTIVE:
    case embedderV1.Priority.PRIORITY_UNSPECIFIED:
      return 'interactive';
    default:
      throw invalidArgument(`priority: unknown value ${String(priority)}`);
  }
}

function checkCount(field: string, count: number, limits: RequestLimits): void {
  if (count === 0) throw invalidArgument(`${field}: at least one item is required`);
  if (count > limits.maxItemsPerCall) {
    throw invalidArgument(`${field}: ${count} items exceed the limit of ${limits.maxItemsPerCall} per call; split the call`);
  }
}

export function parseEmbedImagesRequest(
  request: Pick<embedderV1.EmbedImagesRequest, 'images' | 'priority'>,
  imageSize: number,
  limits: RequestLimits,
): { lane: Lane; images: ImageItem[] } {
  const lane = laneOf(request.priority);
  checkCount('images', request.images.length, limits);
  const pixelBytes = imageSize * imageSize * 3;
  const images = request.images.map((image, index): ImageItem => {
    if (image.pixels !== undefined) {
      if (image.pixels.length !== pixelBytes) {
        throw invalidArgument(
          `images[${index}].pixels: expected ${pixelBytes} bytes (${imageSize}x${imageSize} RGB, uint8, row-major), got ${image.pixels.length}`,
        );
      }
      return { kind: 'pixels', pixels: image.pixels };
    }
    if (image.encoded !== undefined) {
      if (image.encoded.length === 0) throw invalidArgument(`images[${index}].encoded: empty file`);
      if (image.encoded.length > limits.maxEncodedImageBytes) {
        throw invalidArgument(`images[${index}].encoded: ${image.encoded.length} bytes exceed the limit of ${limits.maxEncodedImageBytes}`);
      }
      return { kind: 'encoded', encoded: image.encoded };
    }
    throw invalidArgument(`images[${index}]: set pixels or encoded`);
  });
  return { lane, images };
}

export function parseEmbedTextsRequest(
  request: Pick<embedderV1.EmbedTextsRequest, 'texts' | 'priority'>,
  limits: RequestLimits,
  invalidUtf8Indices: readonly number[] = [],
): { lane: Lane; texts: string[] } {
  const lane = laneOf(request.priority);
  checkCount('texts', request.texts.length, limits);
  if (invalidUtf8Indices.length > 0) throw invalidArgument(`texts[${invalidUtf8Indices[0]}]: not valid UTF-8`);
  request.texts.forEach((text, index) => {
    if (text.trim().length === 0) throw invalidArgument(`texts[${index}]: empty text`);
    // A UTF-8 byte is at most one UTF-16 unit, so only long strings need measuring.
    if (text.length > limits.maxTextBytes / 3) {
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > limits.maxTextBytes) throw invalidArgument(`texts[${index}]: ${bytes} bytes of UTF-8 exceed the limit of ${limits.maxTextBytes}`);
    }
  });
  return { lane, texts: request.texts };
}
