/**
 * The EmbedderService definition with one change: protobuf decoding turns
 * invalid UTF-8 in a string field into U+FFFD silently, so when a decoded text
 * holds U+FFFD the raw bytes of `texts` are checked, and the indices of
 * invalid ones are remembered for the handler to refuse.
 */
import { isUtf8 } from 'node:buffer';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { embedderV1 } from '@vsearch/proto';

const invalidUtf8 = new WeakMap<embedderV1.EmbedTextsRequest, number[]>();
const TEXTS_FIELD = 1;

/** Indices of the request's texts whose bytes were not valid UTF-8 on the wire. */
export function invalidUtf8TextIndices(request: embedderV1.EmbedTextsRequest): number[] {
  return invalidUtf8.get(request) ?? [];
}

export function findInvalidUtf8Texts(message: Uint8Array): number[] {
  const reader = new BinaryReader(message);
  const invalid: number[] = [];
  let index = 0;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === TEXTS_FIELD && wireType === WireType.LengthDelimited) {
      if (!isUtf8(reader.bytes())) invalid.push(index);
      index++;
    } else {
      reader.skip(wireType, field);
    }
  }
  return invalid;
}

function decodeEmbedTextsRequest(message: Buffer): embedderV1.EmbedTextsRequest {
  const request = embedderV1.EmbedTextsRequest.decode(message);
  if (request.texts.some((text) => text.includes('\uFFFD'))) {
    const invalid = findInvalidUtf8Texts(message);
    if (invalid.length > 0) invalidUtf8.set(request, invalid);
  }
  return request;
}

export const utf8CheckedEmbedderService = {
  ...embedderV1.EmbedderServiceService,
  embedTexts: { ...embedderV1.EmbedderServiceService.embedTexts, requestDeserialize: decodeEmbedTextsRequest },
} as const;
