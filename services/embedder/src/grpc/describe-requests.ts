/**
 * The edge of the describer's API: decoded gRPC requests are checked here and turned into typed
 * inputs, or refused with INVALID_ARGUMENT naming the field and the limit. Nothing past this file
 * sees a raw request.
 */
import { invalidArgument } from '@vsearch/grpc-kit';
import { MAX_BEAM_WIDTH } from '@vsearch/decoding';
import type { describerV1 } from '@vsearch/proto';
import type { Lane } from '../batching/dynamic-batcher';
import { laneOf } from './embed-requests';

export interface DescribeLimits {
  /** Images one Describe call may carry. */
  maxImagesPerCall: number;
  /** Characters one question may have. */
  maxQuestionChars: number;
}

/** What the model allows, from its manifest. */
export interface DescriberShape {
  imageSize: number;
  maxNewTokens: number;
}

export interface ParsedDecoding {
  lane: Lane;
  beamWidth: number;
  maxNewTokens: number;
}

export function parseDescribeRequest(
  request: describerV1.DescribeRequest,
  shape: DescriberShape,
  limits: DescribeLimits,
): ParsedDecoding & { images: Uint8Array[] } {
  const decoding = parseDecoding(request.priority, request.options, shape);
  if (request.images.length === 0) throw invalidArgument('images: at least one image is required');
  if (request.images.length > limits.maxImagesPerCall) {
    throw invalidArgument(`images: ${request.images.length} images exceed the limit of ${limits.maxImagesPerCall} per call; split the call`);
  }
  request.images.forEach((image, index) => checkPixels(`images[${index}]`, image, shape.imageSize));
  return { ...decoding, images: request.images };
}

export function parseAskRequest(
  request: describerV1.AskRequest,
  shape: DescriberShape,
  limits: DescribeLimits,
): ParsedDecoding & { image: Uint8Array; question: string } {
  const decoding = parseDecoding(request.priority, request.options, shape);
  const question = request.question.trim();
  if (question.length === 0) throw invalidArgument('question: empty; ask something about the photo');
  if (question.length > limits.maxQuestionChars) {
    throw invalidArgument(`question: ${question.length} characters exceed the limit of ${limits.maxQuestionChars}`);
  }
  checkPixels('image', request.image, shape.imageSize);
  return { ...decoding, image: request.image, question };
}

function checkPixels(field: string, pixels: Uint8Array, size: number): void {
  const expected = size * size * 3;
  if (pixels.length !== expected) {
    throw invalidArgument(`${field}: expected ${expected} bytes (${size}x${size} RGB, uint8, row-major), got ${pixels.length}`);
  }
}

/** Zero values are the server's defaults; max_new_tokens is capped at the model's maximum, as the contract says. */
function parseDecoding(priority: describerV1.Priority, options: describerV1.DecodingOptions | undefined, shape: DescriberShape): ParsedDecoding {
  const lane = laneOf(priority);
  const beamWidth = options?.beamWidth || 1;
  if (beamWidth > MAX_BEAM_WIDTH)
    throw invalidArgument(`options.beam_width: ${beamWidth} is above the limit of ${MAX_BEAM_WIDTH} (1 = greedy, 2 to ${MAX_BEAM_WIDTH} = beams)`);
  const maxNewTokens = Math.min(options?.maxNewTokens || shape.maxNewTokens, shape.maxNewTokens);
  return { lane, beamWidth, maxNewTokens };
}
