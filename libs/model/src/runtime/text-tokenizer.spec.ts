/**
 * real: the bundled model's tokenizer.json (WordPiece with [UNK]) and a small byte-level BPE
 * tokenizer written here (no unknown token, as CLIP's). Nothing is faked: the tokenizer is pure.
 */
import path from 'node:path';
import { BUNDLED_MODEL_DIR } from '../manifest';
import { TextTokenizer } from './text-tokenizer';

const rules = { contextLength: 16, padTokenId: 0, lowercase: true, inputIdsName: 'input_ids', attentionMaskName: 'attention_mask', outputName: 'text_embeds' };

/** A byte-level BPE whose vocabulary is the single bytes: every word is spelt out of known pieces. */
function byteLevelBpeJson(): object {
  const vocab: Record<string, number> = {};
  // GPT-2's byte-to-unicode table for printable ASCII is the identity, which is all this test needs.
  for (let code = 33; code < 127; code++) vocab[String.fromCharCode(code)] = code - 33;
  vocab['Ġ'] = Object.keys(vocab).length;
  return {
    model: { type: 'BPE', vocab, merges: [], unk_token: null, ignore_merges: false },
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, use_regex: true },
    post_processor: { type: 'ByteLevel', trim_offsets: false },
    decoder: { type: 'ByteLevel' },
    added_tokens: [],
  };
}

describe(TextTokenizer.name, () => {
  describe('unknownWords', () => {
    const bundled = TextTokenizer.fromFile(path.join(BUNDLED_MODEL_DIR, 'tokenizer.json'), rules);

    it('is empty for a text made of words the bundled model knows', () => {
      expect(bundled.unknownWords('a photo of a striped shirt')).toEqual([]);
    });

    it('names each word the bundled model maps to [UNK], once, lower-cased, in order', () => {
      expect(bundled.unknownWords('a Paisley shirt with paisley, Houndstooth')).toEqual(['paisley', 'houndstooth']);
    });

    it('splits punctuation off words as the tokenizer does', () => {
      expect(bundled.unknownWords('striped, zigzag')).toEqual(['zigzag']);
    });

    it('finds nothing unknown with a tokenizer that has no unknown token (byte-level BPE)', () => {
      const bpe = new TextTokenizer(byteLevelBpeJson(), rules);
      expect(bpe.unknownWords('paisley houndstooth zigzag')).toEqual([]);
    });
  });
});
