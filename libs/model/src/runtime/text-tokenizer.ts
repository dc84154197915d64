/**
 * The model's text tokenizer (`tokenizer.json`, Hugging Face format) with the
 * manifest's rules applied: lower-casing, truncation to the context length
 * (special tokens the tokenizer adds around a text are kept) and padding.
 */
import { readFileSync } from 'node:fs';
import { Tokenizer } from '@huggingface/tokenizers';
import type { ModelManifest } from '../manifest';

export interface TokenizedTexts {
  count: number;
  contextLength: number;
  /** int64 [count, contextLength], padded with the pad token id. */
  inputIds: BigInt64Array;
  /** int64 [count, contextLength], 1 for real tokens, 0 for padding. */
  attentionMask: BigInt64Array;
  /** Per text: whether tokens were cut off to fit the context length. */
  truncated: boolean[];
}

export class TextTokenizer {
  private readonly tokenizer: Tokenizer;
  /** Special tokens the tokenizer wraps every single text in (for instance CLIP's BOS/EOS). */
  private readonly prefixIds: number[];
  private readonly suffixIds: number[];

  constructor(
    tokenizerJson: object,
    private readonly rules: ModelManifest['text'],
  ) {
    this.tokenizer = new Tokenizer(tokenizerJson, {});
    [this.prefixIds, this.suffixIds] = this.specialTokenFrame();
  }

  static fromFile(file: string, rules: ModelManifest['text']): TextTokenizer {
    return new TextTokenizer(JSON.parse(readFileSync(file, 'utf8')) as object, rules);
  }

  get contextLength(): number {
    return this.rules.contextLength;
  }

  /** Token ids of one text, framed by the special tokens and cut to the context length. */
  encode(text: string): { ids: number[]; truncated: boolean } {
    const normalised = this.rules.lowercase ? text.toLowerCase() : text;
    const body = this.tokenizer.encode(normalised, { add_special_tokens: false }).ids;
    const room = Math.max(0, this.rules.contextLength - this.prefixIds.length - this.suffixIds.length);
    const truncated = body.length > room;
    return { ids: [...this.prefixIds, ...(truncated ? body.slice(0, room) : body), ...this.suffixIds], truncated };
  }

  tokenize(texts: readonly string[]): TokenizedTexts {
    const length = this.rules.contextLength;
    const pad = BigInt(this.rules.padTokenId);
    const inputIds = new BigInt64Array(texts.length * length).fill(pad);
    const attentionMask = new BigInt64Array(texts.length * length);
    const truncated: boolean[] = [];
    texts.forEach((text, row) => {
      const encoded = this.encode(text);
      truncated.push(encoded.truncated);
      encoded.ids.forEach((id, column) => {
        inputIds[row * length + column] = BigInt(id);
        attentionMask[row * length + column] = 1n;
      });
    });
    return { count: texts.length, contextLength: length, inputIds, attentionMask, truncated };
  }

  /** Learns which special tokens the post-processor puts before and after a single text. */
  private specialTokenFrame(): [number[], number[]] {
    const probe = 'a';
    const plain = this.tokenizer.encode(probe, { add_special_tokens: false }).ids;
    const framed = this.tokenizer.encode(probe, { add_special_tokens: true }).ids;
    const start = indexOfSequence(framed, plain);
    if (start < 0) return [[], []];
    return [framed.slice(0, start), framed.slice(start + plain.length)];
  }
}

function indexOfSequence(haystack: number[], needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
