import { GrpcError, GrpcStatus } from '@vsearch/grpc-kit';
import { describerV1 } from '@vsearch/proto';
import { parseAskRequest, parseDescribeRequest } from './describe-requests';

const SHAPE = { imageSize: 4, maxNewTokens: 40 };
const LIMITS = { maxImagesPerCall: 3, maxQuestionChars: 50 };
const PIXELS = Buffer.alloc(4 * 4 * 3);

function refusal(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(GrpcError);
    expect((error as GrpcError).code).toBe(GrpcStatus.INVALID_ARGUMENT);
    return (error as GrpcError).message;
  }
  throw new Error('expected a refusal');
}

const describe_ = (overrides: Partial<describerV1.DescribeRequest> = {}): describerV1.DescribeRequest => ({
  images: [PIXELS],
  priority: describerV1.Priority.PRIORITY_UNSPECIFIED,
  ...overrides,
});

const ask = (overrides: Partial<describerV1.AskRequest> = {}): describerV1.AskRequest => ({
  image: PIXELS,
  question: 'is it red?',
  priority: describerV1.Priority.PRIORITY_BULK,
  ...overrides,
});

describe(parseDescribeRequest.name, () => {
  it('reads zero options as the defaults: greedy, the model’s max new tokens, the interactive lane', () => {
    expect(parseDescribeRequest(describe_(), SHAPE, LIMITS)).toEqual({ lane: 'interactive', beamWidth: 1, maxNewTokens: 40, images: [PIXELS] });
  });

  it('caps max new tokens at the model’s and keeps a beam width of 2 to 4', () => {
    expect(parseDescribeRequest(describe_({ options: { maxNewTokens: 500, beamWidth: 4 } }), SHAPE, LIMITS)).toMatchObject({ beamWidth: 4, maxNewTokens: 40 });
    expect(parseDescribeRequest(describe_({ options: { maxNewTokens: 5, beamWidth: 2 } }), SHAPE, LIMITS)).toMatchObject({ beamWidth: 2, maxNewTokens: 5 });
  });

  it.each([
    ['no image', describe_({ images: [] }), 'images: at least one image is required'],
    ['too many images', describe_({ images: [PIXELS, PIXELS, PIXELS, PIXELS] }), 'images: 4 images exceed the limit of 3 per call; split the call'],
    ['pixels of the wrong size', describe_({ images: [PIXELS, Buffer.alloc(7)] }), 'images[1]: expected 48 bytes (4x4 RGB, uint8, row-major), got 7'],
    ['a beam width of 5', describe_({ options: { maxNewTokens: 0, beamWidth: 5 } }), 'options.beam_width: 5 is above the limit of 4'],
    ['an unknown priority', describe_({ priority: 7 as describerV1.Priority }), 'priority: unknown value 7'],
  ])('refuses %s, naming it', (_case, request, message) => {
    expect(refusal(() => parseDescribeRequest(request, SHAPE, LIMITS))).toContain(message);
  });
});

describe(parseAskRequest.name, () => {
  it('reads the question trimmed and the bulk lane', () => {
    expect(parseAskRequest(ask({ question: '  is it red?  ' }), SHAPE, LIMITS)).toMatchObject({ lane: 'bulk', question: 'is it red?', image: PIXELS });
  });

  it.each([
    ['an empty question', ask({ question: '' }), 'question: empty'],
    ['a blank question', ask({ question: ' \n\t ' }), 'question: empty'],
    ['a question over the limit', ask({ question: 'x'.repeat(51) }), 'question: 51 characters exceed the limit of 50'],
    ['an image of the wrong size', ask({ image: Buffer.alloc(3) }), 'image: expected 48 bytes'],
  ])('refuses %s, naming it', (_case, request, message) => {
    expect(refusal(() => parseAskRequest(request, SHAPE, LIMITS))).toContain(message);
  });
});
