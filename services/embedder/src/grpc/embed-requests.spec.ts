import { GrpcError, GrpcStatus } from '@vsearch/grpc-kit';
import { embedderV1 } from '@vsearch/proto';
import { laneOf, parseEmbedImagesRequest, parseEmbedTextsRequest } from './embed-requests';
import { findInvalidUtf8Texts } from './utf8-checked.definition';

const limits = { maxItemsPerCall: 4, maxTextBytes: 30, maxEncodedImageBytes: 100 };
const { Priority } = embedderV1;

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(GrpcError);
    expect((error as GrpcError).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    return (error as Error).message;
  }
  throw new Error('expected INVALID_ARGUMENT');
}

describe(parseEmbedImagesRequest.name, () => {
  it('accepts pixels of the model size and encoded files, keeping the order', () => {
    const parsed = parseEmbedImagesRequest(
      { images: [{ pixels: Buffer.alloc(12) }, { encoded: Buffer.from('jpeg') }], priority: Priority.PRIORITY_BULK },
      2,
      limits,
    );
    expect(parsed.lane).toBe('bulk');
    expect(parsed.images.map((image) => image.kind)).toEqual(['pixels', 'encoded']);
  });

  it('names the item that is wrong', () => {
    const request = (images: embedderV1.ImageInput[]) => ({ images, priority: Priority.PRIORITY_UNSPECIFIED });
    expect(refusal(() => parseEmbedImagesRequest(request([{ pixels: Buffer.alloc(12) }, { pixels: Buffer.alloc(11) }]), 2, limits))).toBe(
      'images[1].pixels: expected 12 bytes (2x2 RGB, uint8, row-major), got 11',
    );
    expect(refusal(() => parseEmbedImagesRequest(request([{}]), 2, limits))).toBe('images[0]: set pixels or encoded');
    expect(refusal(() => parseEmbedImagesRequest(request([{ encoded: Buffer.alloc(0) }]), 2, limits))).toBe('images[0].encoded: empty file');
    expect(refusal(() => parseEmbedImagesRequest(request([{ encoded: Buffer.alloc(101) }]), 2, limits))).toMatch(
      /images\[0\]\.encoded: 101 bytes exceed the limit of 100/,
    );
    expect(refusal(() => parseEmbedImagesRequest(request([]), 2, limits))).toBe('images: at least one item is required');
    expect(refusal(() => parseEmbedImagesRequest(request(new Array(5).fill({ pixels: Buffer.alloc(12) })), 2, limits))).toMatch(
      /5 items exceed the limit of 4/,
    );
  });
});

describe(parseEmbedTextsRequest.name, () => {
  it('refuses empty, blank, oversized and invalid UTF-8 texts by index', () => {
    const request = (texts: string[]) => ({ texts, priority: Priority.PRIORITY_INTERACTIVE });
    expect(parseEmbedTextsRequest(request(['red mug', 'é'.repeat(15)]), limits).texts).toHaveLength(2);
    expect(refusal(() => parseEmbedTextsRequest(request(['red mug', '   ']), limits))).toBe('texts[1]: empty text');
    expect(refusal(() => parseEmbedTextsRequest(request(['é'.repeat(16)]), limits))).toBe('texts[0]: 32 bytes of UTF-8 exceed the limit of 30');
    expect(refusal(() => parseEmbedTextsRequest(request(['a', 'b']), limits, [1]))).toBe('texts[1]: not valid UTF-8');
  });

  it('maps priorities to lanes and refuses unknown ones', () => {
    expect(laneOf(Priority.PRIORITY_UNSPECIFIED)).toBe('interactive');
    expect(laneOf(Priority.PRIORITY_INTERACTIVE)).toBe('interactive');
    expect(laneOf(Priority.PRIORITY_BULK)).toBe('bulk');
    expect(refusal(() => laneOf(7 as embedderV1.Priority))).toBe('priority: unknown value 7');
  });
});

describe(findInvalidUtf8Texts.name, () => {
  it('finds the texts whose wire bytes are not UTF-8, skipping other fields', () => {
    const field = (bytes: number[]) => [0x0a, bytes.length, ...bytes];
    const message = Uint8Array.from([...field([0x61]), 0x10, 0x02, ...field([0xc3, 0x28]), ...field([0xef, 0xbf, 0xbd])]);
    expect(findInvalidUtf8Texts(message)).toEqual([1]);
  });
});
