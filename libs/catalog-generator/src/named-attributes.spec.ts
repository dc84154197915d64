import { namedAttributes } from './named-attributes';

const plain = (text: string) => {
  const named = namedAttributes(text);
  return { category: [...named.category].sort(), colour: [...named.colour].sort(), pattern: [...named.pattern].sort() };
};

describe(namedAttributes.name, () => {
  it('reads the category, colour and pattern of a description by their canonical words', () => {
    expect(plain('a red striped t-shirt on a flat backdrop, shown upright')).toEqual({ category: ['t-shirt'], colour: ['red'], pattern: ['striped'] });
  });

  it('maps synonyms, multi-word phrases and pattern nouns to their values, longest phrase first', () => {
    expect(plain('A Scarlet table lamp with polka dots')).toEqual({ category: ['lamp'], colour: ['red'], pattern: ['dotted'] });
    expect(plain('a grey rucksack with a plaid print')).toEqual({ category: ['backpack'], colour: ['grey'], pattern: ['checked'] });
  });

  it('matches whole words only: a hyphenated word is one word', () => {
    expect(plain('reddish caps-lock bluetooth')).toEqual({ category: [], colour: [], pattern: [] });
  });

  it('collects every value named, so a description naming two colours shows both', () => {
    expect(plain('a red and blue mug')).toEqual({ category: ['mug'], colour: ['blue', 'red'], pattern: [] });
  });

  it('names nothing in a text without catalog words', () => {
    expect(plain("i can't tell from the photo")).toEqual({ category: [], colour: [], pattern: [] });
  });
});
