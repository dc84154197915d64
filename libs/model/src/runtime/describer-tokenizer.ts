/**
 * The describer's tokenizer: a question (or the manifest's describe prompt) → the decoder's prompt
 * `[BOS] words [SEP]`, the words it does not know (answered "can't tell" without decoding), and
 * generated ids → text by the tokenizer's join rule.
 */
import { readFileSync } from 'node:fs';
import { InvalidRequestError } from '@vsearch/contracts';
import type { DescriberManifest } from '../describer-manifest';
import { TextTokenizer } from './text-tokenizer';

export class DescriberTokenizer {
  private readonly text: TextTokenizer;

  constructor(
    tokenizerJson: object,
    private readonly manifest: Pick<DescriberManifest, 'tokens' | 'decoder'>,
  ) {
    // Lower-cased as the model was trained; the context length only bounds TextTokenizer's own framing, unused here.
    this.text = new TextTokenizer(tokenizerJson, {
      contextLength: manifest.decoder.maxSequenceLength,
      padTokenId: manifest.tokens.pad,
      lowercase: true,
      inputIdsName: manifest.decoder.inputIdsName,
      outputName: manifest.decoder.logitsName,
    });
  }

  static fromFile(file: string, manifest: Pick<DescriberManifest, 'tokens' | 'decoder'>): DescriberTokenizer {
    return new DescriberTokenizer(JSON.parse(readFileSync(file, 'utf8')) as object, manifest);
  }

  /**
   * `[BOS] question tokens [SEP]`; throws InvalidRequestError (`question_too_long`) past the model's
   * question length (`decoder.maxQuestionTokens`: training cuts questions there, so the model never
   * read a longer one).
   */
  prompt(question: string): number[] {
    const words = this.text.encodeWords(question);
    const { maxQuestionTokens } = this.manifest.decoder;
    if (words.length > maxQuestionTokens) {
      throw new InvalidRequestError(
        'question_too_long',
        `question: ${words.length} tokens (words and punctuation marks), the model reads at most ${maxQuestionTokens} tokens`,
      );
    }
    return [this.manifest.tokens.bos, ...words, this.manifest.tokens.sep];
  }

  /** Words of `question` outside the vocabulary (each once, lower-cased). */
  unknownWords(question: string): string[] {
    return this.text.unknownWords(question);
  }

  /** Generated ids → text. */
  decode(ids: readonly number[]): string {
    return this.text.decode(ids);
  }

  /** Ids of a text, as the model would generate it (for comparing an answer with the "can't tell" one). */
  encodeWords(text: string): number[] {
    return this.text.encodeWords(text);
  }
}
