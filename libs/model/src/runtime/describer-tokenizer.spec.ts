import { InvalidRequestError } from '@vsearch/contracts';
import { DescriberTokenizer } from './describer-tokenizer';

const SPECIAL = ['[PAD]', '[UNK]', '[BOS]', '[EOS]', '[SEP]'];
const WORDS = ['i', "can't", 'tell', 'from', 'the', 'photo', 'is', 'it', 'red', '?', 'a', 't-shirt', ','];

/** A word-level tokenizer in the format training/describer writes: WordPiece of whole words, split on words and punctuation. */
const TOKENIZER_JSON = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: SPECIAL.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
  normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }] },
  pre_tokenizer: { type: 'Split', pattern: { Regex: "[\\w]+(?:['\\-][\\w]+)*|[^\\w\\s]" }, behavior: 'Removed', invert: true },
  post_processor: null,
  decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
  model: {
    type: 'WordPiece',
    unk_token: '[UNK]',
    continuing_subword_prefix: '##',
    max_input_chars_per_word: 100,
    vocab: Object.fromEntries([...SPECIAL, ...WORDS].map((token, id) => [token, id])),
  },
};

const MANIFEST = {
  tokens: { pad: 0, unk: 1, bos: 2, eos: 3, sep: 4 },
  decoder: { maxQuestionTokens: 6, maxSequenceLength: 64, inputIdsName: 'input_ids', logitsName: 'logits' },
} as unknown as ConstructorParameters<typeof DescriberTokenizer>[1];

describe(DescriberTokenizer.name, () => {
  const tokenizer = new DescriberTokenizer(TOKENIZER_JSON, MANIFEST);
  const id = (word: string) => 5 + WORDS.indexOf(word);

  it('frames a question as [BOS] words [SEP], lower-cased, punctuation split off', () => {
    expect(tokenizer.prompt('Is it RED?')).toEqual([2, id('is'), id('it'), id('red'), id('?'), 4]);
  });

  it('names the words outside the vocabulary', () => {
    expect(tokenizer.unknownWords('is it zorbly or red, quux?')).toEqual(['zorbly', 'or', 'quux']);
    expect(tokenizer.unknownWords('is it red?')).toEqual([]);
  });

  it("turns ids back into text by the join rule, so the can't-tell answer round-trips", () => {
    const answer = "i can't tell from the photo";
    expect(tokenizer.decode(tokenizer.encodeWords(answer))).toBe(answer);
    expect(tokenizer.decode([id('a'), id('t-shirt'), id(','), id('red')])).toBe('a t-shirt, red');
  });

  it('refuses a question longer than the model reads, naming both lengths', () => {
    expect(() => tokenizer.prompt('is it red is it red is it red')).toThrow(InvalidRequestError);
    expect(() => tokenizer.prompt('is it red is it red is it red')).toThrow(
      'question: 9 tokens (words and punctuation marks), the model reads at most 6 tokens',
    );
  });
});
