import { bleu4, captionAttributeScores, captionWords, cider, isAnswerCorrect } from './describer-metrics';

const CANT_TELL = "i can't tell from the photo";
const SHIRT = { category: 't-shirt', colour: 'red', pattern: 'striped' } as const;
const MUG = { category: 'mug', colour: 'blue', pattern: 'solid' } as const;
const REFERENCES = [
  ['a red striped t-shirt on a flat backdrop, shown upright', 'red tee with stripes'],
  ['a blue mug on a table', 'blue coffee mug'],
];

describe('describer metrics', () => {
  it('splits words as training does: inner apostrophes and hyphens kept, punctuation apart', () => {
    expect(captionWords("I can't see the T-shirt, sorry.")).toEqual(['i', "can't", 'see', 'the', 't-shirt', ',', 'sorry', '.']);
  });

  it('scores caption attributes per attribute and counts a description naming a wrong value as a hallucination', () => {
    const scores = captionAttributeScores(['a red striped t-shirt', 'a blue and red mug', 'something'], [SHIRT, MUG, MUG]);
    expect(scores).toEqual({
      count: 3,
      categoryAccuracy: 2 / 3,
      colourAccuracy: 2 / 3,
      patternAccuracy: 1 / 3,
      allThreeAccuracy: 1 / 3,
      hallucinationRate: 1 / 3,
    });
  });

  // Figures from training/describer/metrics.py on the same strings (the definitions must agree).
  it('gives the BLEU-4 and CIDEr the training evaluation gives', () => {
    const candidates = ['a red striped t-shirt on a gradient backdrop, shown tilted', 'a blue mug on a flat backdrop'];
    expect(bleu4(candidates, REFERENCES)).toBeCloseTo(0.5973374390359534, 12);
    expect(cider(candidates, REFERENCES)).toBeCloseTo(3.4985565697422567, 12);
    expect(bleu4([REFERENCES[0][0], 'a blue mug'], REFERENCES)).toBeCloseTo(1, 12);
    expect(cider([REFERENCES[0][0], 'a blue mug'], REFERENCES)).toBeCloseTo(4.385547898961649, 12);
    expect(bleu4(['a red striped tee', 'the blue cup is here'], REFERENCES)).toBe(0);
  });

  it('marks answers right only when they name exactly the asked value and nothing wrong', () => {
    expect(isAnswerCorrect('colour', 'red', 'red', SHIRT, CANT_TELL)).toBe(true);
    expect(isAnswerCorrect('colour', 'scarlet', 'red', SHIRT, CANT_TELL)).toBe(true);
    expect(isAnswerCorrect('colour', 'red and blue', 'red', SHIRT, CANT_TELL)).toBe(false);
    expect(isAnswerCorrect('category', 'a red mug', 'a t-shirt', SHIRT, CANT_TELL)).toBe(false);
    expect(isAnswerCorrect('category', 'a t-shirt', 'a t-shirt', SHIRT, CANT_TELL)).toBe(true);
    expect(isAnswerCorrect('yes_no', 'Yes', 'yes', SHIRT, CANT_TELL)).toBe(true);
    expect(isAnswerCorrect('yes_no', 'yes', 'no', SHIRT, CANT_TELL)).toBe(false);
    expect(isAnswerCorrect('unanswerable', CANT_TELL, CANT_TELL, SHIRT, CANT_TELL)).toBe(true);
    expect(isAnswerCorrect('unknown_words', 'red', CANT_TELL, SHIRT, CANT_TELL)).toBe(false);
  });
});
