/**
 * Describing and answering behind the gRPC handlers: one StepBatcher drives the describer
 * runtime step by step, shared by every request (descriptions and answers decode side by side).
 * Pixels are normalised when their sequence joins a step; a question is tokenised when it
 * arrives, and one with words outside the vocabulary is answered with the model's "can't tell"
 * answer without decoding (a word the model never saw cannot be answered from the photo, and
 * decoding around [UNK] would produce confident nonsense).
 *
 * Failures, for the transport to map: InvalidRequestError (a question longer than the model
 * reads), the batcher's BatchRejection, the runtime's InferenceLostError.
 */
import type { Answer, DescriberInfo, Descriptions, Generation } from '@vsearch/contracts';
import type { RowOutput, SearchResult } from '@vsearch/decoding';
import { toNormalizedChw } from '@vsearch/preprocessing';
import type { DescriberRuntime, KvCache } from '@vsearch/model';
import type { Lane } from '../batching/dynamic-batcher';
import { StepBatcher, type DecoderRow, type StepBatcherHooks } from '../batching/step-batcher';

export interface DescribeOptions {
  lane: Lane;
  /** Absolute time on `performance.now()`'s clock. */
  deadline?: number;
  signal?: AbortSignal;
  /** 1 = greedy, 2 to 4 = beams. */
  beamWidth: number;
  /** Already capped at the model's maximum. */
  maxNewTokens: number;
}

export interface DescriberBatching {
  /** Decoder rows in flight (1 turns step batching off). */
  maxRows: number;
  /** Sequences waiting per lane. */
  maxQueueItems: number;
  minBulkRows: number | undefined;
  /** Bulk sequences joining one step while a shopper's decodes. */
  maxBulkJoinsWhileInteractive: number | undefined;
}

/** A sequence's image: normalised pixels until its first step encoded them, its image tokens after. */
interface SequenceImage {
  pixelValues: Float32Array;
  imageTokens?: Float32Array;
}

export interface DescriberLimits {
  maxQuestionChars: number;
}

export class DescriberService {
  private readonly batcher: StepBatcher<SequenceImage, KvCache>;
  private readonly cantTellIds: number[];

  constructor(
    private readonly runtime: DescriberRuntime,
    batching: DescriberBatching,
    private readonly limits: DescriberLimits,
    hooks: StepBatcherHooks,
  ) {
    const { manifest } = runtime.info();
    this.cantTellIds = runtime.tokenizer.encodeWords(manifest.cantTellAnswer);
    this.batcher = new StepBatcher<SequenceImage, KvCache>({
      name: 'describer',
      stopToken: manifest.tokens.eos,
      // Output is words: never padding, [UNK] (an answer must not name a word the model cannot spell), a start or a separator.
      suppressTokens: [manifest.tokens.pad, manifest.tokens.unk, manifest.tokens.bos, manifest.tokens.sep],
      maxRows: batching.maxRows,
      maxQueueItems: batching.maxQueueItems,
      minBulkRows: batching.minBulkRows,
      maxBulkJoinsWhileInteractive: batching.maxBulkJoinsWhileInteractive,
      hooks,
      model: {
        encodeImages: (images) => this.encodeImages(images),
        step: (rows) => this.step(rows),
      },
    });
  }

  info(): DescriberInfo {
    const { modelId, manifest } = this.runtime.info();
    return {
      modelId,
      imageSize: manifest.image.size,
      resize: manifest.image.resize,
      crop: manifest.image.crop,
      maxNewTokens: manifest.decoder.maxNewTokens,
      maxQuestionChars: this.limits.maxQuestionChars,
      cantTellAnswer: manifest.cantTellAnswer,
    };
  }

  /** One description per image (uint8 RGB at the model's size), in order. */
  async describe(images: readonly Uint8Array[], options: DescribeOptions): Promise<Descriptions> {
    const { modelId, manifest } = this.runtime.info();
    const prompt = this.runtime.tokenizer.prompt(manifest.prompts.describe);
    const results = await this.batcher.generate(
      images.map((image) => ({ image, prompt, beamWidth: options.beamWidth, maxNewTokens: options.maxNewTokens })),
      options,
    );
    return { descriptions: results.map((result) => this.generation(result)), modelId };
  }

  /** The answer to one question about one image. */
  async ask(image: Uint8Array, question: string, options: DescribeOptions): Promise<Answer> {
    const { modelId, manifest } = this.runtime.info();
    // A question longer than the model reads is refused whatever its words (one rule: the model's maxQuestionTokens).
    const prompt = this.runtime.tokenizer.prompt(question);
    const unknownWords = this.runtime.tokenizer.unknownWords(question);
    if (unknownWords.length > 0) {
      return { answer: { text: manifest.cantTellAnswer, tokenIds: [...this.cantTellIds], finishReason: 'stop' }, answerable: false, unknownWords, modelId };
    }
    const [result] = await this.batcher.generate([{ image, prompt, beamWidth: options.beamWidth, maxNewTokens: options.maxNewTokens }], options);
    const answer = this.generation(result);
    return { answer, answerable: !sameTokens(answer.tokenIds, this.cantTellIds), unknownWords: [], modelId };
  }

  /** Sequences waiting per lane and decoding now, for health and tests. */
  load(): { queued: Record<Lane, number>; inFlight: number } {
    return { queued: this.batcher.depth(), inFlight: this.batcher.inFlight() };
  }

  /** Stops taking work and finishes every queued and in-flight sequence. */
  drain(): Promise<void> {
    return this.batcher.drain();
  }

  private generation(result: SearchResult): Generation {
    return { text: this.runtime.tokenizer.decode(result.tokenIds), tokenIds: result.tokenIds, finishReason: result.finishReason };
  }

  /**
   * A joining sequence's image: its normalised pixels, encoded by the runtime in the sequence's
   * first step (one worker message with the prefill); the image tokens that step returns are kept
   * on the same object for the later steps (and the beams that continue it).
   */
  private async encodeImages(images: readonly Uint8Array[]): Promise<SequenceImage[]> {
    const { image } = this.runtime.info().manifest;
    return images.map((pixels) => ({ pixelValues: toNormalizedChw(pixels, image.size, image.mean, image.std) }));
  }

  private async step(rows: readonly DecoderRow<SequenceImage, KvCache>[]): Promise<RowOutput<KvCache>[]> {
    const outputs = await this.runtime.step(
      rows.map((row) => ({ image: row.features.imageTokens ?? row.features.pixelValues, cache: row.state, feed: row.feed })),
    );
    return outputs.map((output, i) => {
      if (output.imageTokens) rows[i].features.imageTokens = output.imageTokens;
      return { logits: output.logits, state: output.cache };
    });
  }
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((token, i) => token === b[i]);
}
