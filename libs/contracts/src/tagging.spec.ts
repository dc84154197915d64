import { promptsOf, validateTaxonomy } from './tagging';

const pattern = { name: 'pattern', labels: [{ label: 'striped' }, { label: 'plain' }] };

describe('validateTaxonomy', () => {
  it('accepts a taxonomy and fills the defaults', () => {
    const result = validateTaxonomy({ attributes: [pattern] });
    expect(result.ok && result.value.attributes[0]).toMatchObject({ name: 'pattern', mode: 'single', threshold: 0.5 });
  });

  it('names the attribute and label of a duplicate', () => {
    const result = validateTaxonomy({ attributes: [{ name: 'pattern', labels: [{ label: 'Striped' }, { label: 'striped' }] }] });
    expect(!result.ok && result.error.message).toBe('invalid taxonomy: attribute "pattern" label "striped": is listed twice');
  });

  it('names a duplicate attribute', () => {
    const result = validateTaxonomy({ attributes: [pattern, pattern] });
    expect(!result.ok && result.error.message).toContain('attribute "pattern": is defined twice');
  });

  it('names the attribute and the position of an empty label', () => {
    const result = validateTaxonomy({ attributes: [{ name: 'colour', labels: [{ label: 'red' }, { label: '  ' }] }] });
    expect(!result.ok && result.error.message).toContain('attribute "colour" label #2: must not be empty');
  });

  it('refuses a threshold outside 0–1, naming the attribute', () => {
    const result = validateTaxonomy({ attributes: [{ ...pattern, threshold: 1.5 }] });
    expect(!result.ok && result.error.message).toContain('attribute "pattern" threshold: must be between 0 and 1');
  });

  it('refuses more than 200 labels', () => {
    const labels = Array.from({ length: 201 }, (_, i) => ({ label: `label ${i}` }));
    const result = validateTaxonomy({ attributes: [{ name: 'style', labels }] });
    expect(!result.ok && result.error.message).toContain('attribute "style": has more than 200 labels');
  });

  it('refuses unknown fields and a template without {label}', () => {
    expect(validateTaxonomy({ attributes: [{ ...pattern, colour: 'x' }] }).ok).toBe(false);
    const result = validateTaxonomy({ attributes: [{ ...pattern, template: 'a photo' }] });
    expect(!result.ok && result.error.message).toContain('template: must contain {label}');
  });
});

describe('promptsOf', () => {
  it("uses a label's own prompts, else the attribute's template, else the default", () => {
    const parsed = validateTaxonomy({
      attributes: [{ name: 'pattern', template: 'a {label} shirt', labels: [{ label: 'striped', prompts: ['stripes', 'a striped top'] }, { label: 'plain' }] }],
    });
    if (!parsed.ok) throw new Error(parsed.error.message);
    const [attribute] = parsed.value.attributes;
    expect(promptsOf(attribute, attribute.labels[0])).toEqual(['stripes', 'a striped top']);
    expect(promptsOf(attribute, attribute.labels[1])).toEqual(['a plain shirt']);
    expect(promptsOf({ ...attribute, template: undefined }, attribute.labels[1])).toEqual(['a photo of a plain product']);
  });
});
