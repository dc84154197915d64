/** A fake describer for unit tests of the describe and ask routes: set answers, recorded calls, an outage switch. */
import { DependencyUnavailableError, type Answer, type DescriberInfo, type Generation } from '@vsearch/contracts';
import { ProductDescriber, type RequestContext } from '../ports';

export const FAKE_DESCRIBER: DescriberInfo = {
  modelId: 'fake-describer@1',
  imageSize: 8,
  resize: 'shortest-side-bicubic',
  crop: 'center',
  maxNewTokens: 40,
  maxQuestionChars: 200,
  cantTellAnswer: "i can't tell from the photo",
};

export class FakeProductDescriber extends ProductDescriber {
  down = false;
  /** What describePixels writes. */
  description = 'a red striped t-shirt on a flat backdrop, shown upright';
  /** Answers by question; any other question gets the can't-tell answer. */
  readonly answers = new Map<string, string>();
  /** Words the fake model knows; a question with another word is answered "can't tell" without decoding. */
  knownWords?: Set<string>;
  readonly describeCalls: { length: number; requestId: string }[] = [];
  readonly askCalls: { length: number; question: string; requestId: string }[] = [];

  constructor(public info: DescriberInfo = FAKE_DESCRIBER) {
    super();
  }

  async describeModel(_context: RequestContext): Promise<DescriberInfo> {
    this.failIfDown();
    return this.info;
  }

  async describePixels(pixels: Uint8Array, context: RequestContext): Promise<{ description: Generation; modelId: string }> {
    this.failIfDown();
    this.expectModelPixels(pixels);
    this.describeCalls.push({ length: pixels.length, requestId: context.requestId });
    return { description: { text: this.description, tokenIds: [], finishReason: 'stop' }, modelId: this.info.modelId };
  }

  async askAboutPixels(pixels: Uint8Array, question: string, context: RequestContext): Promise<Answer> {
    this.failIfDown();
    this.expectModelPixels(pixels);
    this.askCalls.push({ length: pixels.length, question, requestId: context.requestId });
    const words = question.toLowerCase().match(/[a-z']+/g) ?? [];
    const unknownWords = this.knownWords ? words.filter((word) => !this.knownWords!.has(word)) : [];
    const text = unknownWords.length === 0 ? (this.answers.get(question) ?? this.info.cantTellAnswer) : this.info.cantTellAnswer;
    return {
      answer: { text, tokenIds: [], finishReason: 'stop' },
      answerable: text !== this.info.cantTellAnswer,
      unknownWords,
      modelId: this.info.modelId,
    };
  }

  private failIfDown(): void {
    if (this.down) throw new DependencyUnavailableError('describer', 'connection refused');
  }

  private expectModelPixels(pixels: Uint8Array): void {
    if (pixels.length !== this.info.imageSize * this.info.imageSize * 3) throw new Error(`unexpected pixel count ${pixels.length}`);
  }
}
