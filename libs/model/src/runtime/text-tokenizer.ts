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
  /** The id the model gives words outside its vocabulary; undefined for a tokenizer that has none (CLIP's byte-level BPE). */
  private readonly unknownTokenId: number | undefined;

  constructor(
    tokenizerJson: object,
    private readonly rules: ModelManifest['text'],
  ) {
    this.tokenizer = new Tokenizer(tokenizerJson, {});
    [this.prefixIds, this.suffixIds] = this.specialTokenFrame();
    this.unknownTokenId = unknownTokenIdOf(tokenizerJson, this.tokenizer);
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

  /** Token ids of `text` alone: no special tokens, no truncation (lower-cased where the rules say so). */
  encodeWords(text: string): number[] {
    return this.tokenizer.encode(this.rules.lowercase ? text.toLowerCase() : text, { add_special_tokens: false }).ids;
  }

  /** Text of token ids by the tokenizer's own decoder (its join rule), special tokens left out. */
  decode(ids: readonly number[]): string {
    // The library refuses an empty list; no ids are no text.
    return ids.length === 0 ? '' : this.tokenizer.decode([...ids], { skip_special_tokens: true });
  }

  /**
   * The words of `text` this tokenizer maps to its unknown token, each once, in order: a label made
   * of them embeds as noise. Words are split as the tokenizer's own pre-tokenizer splits them, after
   * its normaliser (so they read lower-cased where the model lower-cases). Empty when the tokenizer
   * has no unknown token: byte-level BPE spells every word out of known pieces.
   */
  unknownWords(text: string): string[] {
    if (this.unknownTokenId === undefined) return [];
    const lowered = this.rules.lowercase ? text.toLowerCase() : text;
    const normalised = this.tokenizer.normalizer ? this.tokenizer.normalizer.normalize(lowered) : lowered;
    const words = this.tokenizer.pre_tokenizer ? this.tokenizer.pre_tokenizer.pre_tokenize(normalised) : normalised.split(/\s+/);
    const unknown = new Set<string>();
    for (const word of words) {
      const trimmed = word.trim();
      if (!trimmed || unknown.has(trimmed)) continue;
      if (this.tokenizer.encode(trimmed, { add_special_tokens: false }).ids.includes(this.unknownTokenId)) unknown.add(trimmed);
    }
    return [...unknown];
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

/** The unknown token's id from the model section of `tokenizer.json` (WordPiece and BPE name it, Unigram numbers it). */
function unknownTokenIdOf(tokenizerJson: object, tokenizer: Tokenizer): number | undefined {
  const model = (tokenizerJson as { model?: { unk_token?: unknown; unk_id?: unknown } }).model;
  if (typeof model?.unk_id === 'number') return model.unk_id;
  if (typeof model?.unk_token === 'string' && model.unk_token) return tokenizer.token_to_id(model.unk_token);
  return undefined;
}

function indexOfSequence(haystack: number[], needle: number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
