import { LEXICAL_FIELDS, LEXICAL_FIELD_BOOSTS, LEXICAL_FIELD_NAMES, lexicalTextByField, lexicalTextOf, type LexicalProductText } from './lexical-fields';
import { analyzeText } from './tokenizer';

const product: LexicalProductText = {
  title: 'Sierra T-Shirt',
  brand: 'Northwind',
  description: 'Soft cotton.',
  categories: ['apparel', 'T Shirts'],
  attributes: { pattern: 'striped', colour: 'navy blue' },
};

describe(lexicalTextByField.name, () => {
  it('gives the text of every indexed field', () => {
    expect(lexicalTextByField(product)).toEqual({
      title: 'Sierra T-Shirt',
      brand: 'Northwind',
      categories: 'apparel\nT Shirts',
      attributes: 'navy blue\nstriped',
      description: 'Soft cotton.',
      tags: '',
      imageDescriptions: '',
    });
    expect(Object.keys(lexicalTextByField(product)).sort()).toEqual([...LEXICAL_FIELD_NAMES].sort());
  });

  it('indexes zero-shot tag labels one per line', () => {
    expect(lexicalTextByField({ ...product, tags: ['striped', 'navy blue'] }).tags).toBe('striped\nnavy blue');
  });

  it("indexes the images' generated descriptions one per line, leaving out images without one", () => {
    const text = lexicalTextOf(product, [], [{ description: 'a red striped t-shirt' }, {}, { description: 'the back of it' }]);
    expect(lexicalTextByField(text).imageDescriptions).toBe('a red striped t-shirt\nthe back of it');
    expect(lexicalTextOf(product, [], [{}, { description: '' }])).toBe(product);
  });

  it('orders attribute values by attribute name, so key order does not change the text', () => {
    const reordered = { ...product, attributes: { colour: 'navy blue', pattern: 'striped' } };
    expect(lexicalTextByField(reordered)).toEqual(lexicalTextByField(product));
  });

  it('keeps list values apart, so the analyzer does not join words of two values', () => {
    const text = lexicalTextByField({ ...product, categories: ['Tops X', 'Y Shirts'] }).categories;
    expect(analyzeText(text)).not.toContain('xy');
  });

  it('names the field of a value that is not a string', () => {
    expect(() => lexicalTextByField({ ...product, brand: 7 as unknown as string })).toThrow('product brand must be a string, got number');
    expect(() => lexicalTextByField({ ...product, categories: 'shoes' as unknown as string[] })).toThrow(
      'product categories must be an array of strings, got string',
    );
    expect(() => lexicalTextByField({ ...product, categories: ['shoes', null as unknown as string] })).toThrow(
      'product categories[1] must be a string, got null',
    );
    expect(() => lexicalTextByField({ ...product, attributes: { size: 42 as unknown as string } })).toThrow(
      'product attributes.size must be a string, got number',
    );
  });
});

describe('LEXICAL_FIELDS', () => {
  it('counts a title or brand match above a description match', () => {
    expect(LEXICAL_FIELD_BOOSTS.title).toBeGreaterThan(LEXICAL_FIELD_BOOSTS.description);
    expect(LEXICAL_FIELD_BOOSTS.brand).toBeGreaterThan(LEXICAL_FIELD_BOOSTS.description);
    expect(LEXICAL_FIELDS.every((field) => field.boost > 0)).toBe(true);
  });
});
