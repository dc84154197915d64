import { validateCatalogEvent } from '@vsearch/contracts';
import { buildProductEvent } from './catalog';
import { captionsFor } from './captions';
import { createRng } from './rng';
import { SILHOUETTES } from './silhouettes';
import { HELD_OUT_COMBINATIONS, isHeldOut, productTitle, sampleProductSpec } from './spec';
import { BRANDS, CATEGORIES, CATEGORY_INFO, COLOURS, COLOUR_INFO, DEPARTMENTS, PATTERNS, PATTERN_INFO } from './vocab';

describe('vocabulary', () => {
  it('has at least 12 categories with departments, silhouettes and price ranges', () => {
    expect(CATEGORIES.length).toBeGreaterThanOrEqual(12);
    for (const category of CATEGORIES) {
      expect(DEPARTMENTS).toContain(CATEGORY_INFO[category].department);
      expect(SILHOUETTES[category].body.length).toBeGreaterThan(0);
      const [low, high] = CATEGORY_INFO[category].price;
      expect(low).toBeLessThan(high);
    }
    expect(new Set(CATEGORIES.map((category) => CATEGORY_INFO[category].department)).size).toBe(DEPARTMENTS.length);
  });

  it('has at least 12 distinct colours, 4 patterns and about 15 brands', () => {
    expect(COLOURS.length).toBeGreaterThanOrEqual(12);
    expect(new Set(COLOURS.map((colour) => COLOUR_INFO[colour].hex)).size).toBe(COLOURS.length);
    expect(PATTERNS).toEqual(expect.arrayContaining(['solid', 'striped', 'dotted', 'checked']));
    expect(BRANDS.length).toBe(15);
  });

  it('offers caption synonyms', () => {
    expect(CATEGORY_INFO['t-shirt'].synonyms).toContain('tee');
    expect(CATEGORY_INFO.sneaker.synonyms).toContain('trainer');
    expect(CATEGORY_INFO.handbag.synonyms).toContain('purse');
    expect(PATTERN_INFO.dotted.adjectives).toEqual(expect.arrayContaining(['polka-dot', 'spotted']));
    expect(PATTERN_INFO.checked.adjectives).toEqual(expect.arrayContaining(['plaid', 'gingham', 'checkered']));
    expect(PATTERN_INFO.solid.adjectives).toContain('plain');
    expect(COLOUR_INFO.grey.synonyms).toContain('gray');
  });
});

describe(sampleProductSpec.name, () => {
  it('honours fixed attributes', () => {
    const rng = createRng(1);
    for (let i = 0; i < 50; i++) {
      const spec = sampleProductSpec(rng, { category: 'mug', colour: 'teal', pattern: 'striped' });
      expect(spec).toMatchObject({ category: 'mug', colour: 'teal', pattern: 'striped', department: 'home' });
    }
  });

  it('never draws a held-out combination when they are excluded, and only those when asked', () => {
    const rng = createRng(2);
    for (let i = 0; i < 3000; i++) expect(isHeldOut(sampleProductSpec(rng, { heldOut: 'exclude' }))).toBe(false);
    const only = Array.from({ length: 300 }, () => sampleProductSpec(rng, { heldOut: 'only' }));
    expect(only.every(isHeldOut)).toBe(true);
    expect(new Set(only.map((spec) => `${spec.colour}+${spec.pattern}`))).toEqual(new Set(['purple+dotted', 'orange+checked']));
    expect(new Set(only.map((spec) => spec.category)).size).toBe(CATEGORIES.length);
  });

  it('draws held-out combinations at their natural rate by default', () => {
    const rng = createRng(3);
    const heldOut = Array.from({ length: 4800 }, () => sampleProductSpec(rng)).filter(isHeldOut).length;
    // 2 of 48 colour × pattern pairs.
    expect(heldOut).toBeGreaterThan(120);
    expect(heldOut).toBeLessThan(290);
  });

  it('refuses contradictory constraints', () => {
    expect(() => sampleProductSpec(createRng(4), { colour: 'purple', pattern: 'dotted', heldOut: 'exclude' })).toThrow(/held-out/);
    expect(() => sampleProductSpec(createRng(4), { colour: 'red', heldOut: 'only' })).toThrow(/no held-out combination/);
  });

  it('keeps prices in the category range and about 85% in stock', () => {
    const rng = createRng(5);
    const specs = Array.from({ length: 2000 }, () => sampleProductSpec(rng));
    for (const spec of specs) {
      const [low, high] = CATEGORY_INFO[spec.category].price;
      expect(spec.price).toBeGreaterThanOrEqual(low);
      expect(spec.price).toBeLessThanOrEqual(high + 1);
    }
    const inStock = specs.filter((spec) => spec.inStock).length / specs.length;
    expect(inStock).toBeGreaterThan(0.8);
    expect(inStock).toBeLessThan(0.9);
  });
});

describe('HELD_OUT_COMBINATIONS', () => {
  it('holds out purple dotted and orange checked', () => {
    expect(HELD_OUT_COMBINATIONS).toEqual([
      { colour: 'purple', pattern: 'dotted' },
      { colour: 'orange', pattern: 'checked' },
    ]);
    expect(isHeldOut({ colour: 'purple', pattern: 'dotted' })).toBe(true);
    expect(isHeldOut({ colour: 'purple', pattern: 'striped' })).toBe(false);
  });
});

describe(productTitle.name, () => {
  it('reads brand, colour, pattern, category and model word', () => {
    const spec = {
      ...sampleProductSpec(createRng(6), { category: 'mug', colour: 'purple', pattern: 'dotted' }),
      brand: 'Northwind' as const,
      modelWord: 'Aurora',
    };
    expect(productTitle(spec)).toBe('Northwind Purple Dotted Mug Aurora');
  });
});

describe(captionsFor.name, () => {
  it('gives distinct captions that name the colour, category and pattern in words a shopper uses', () => {
    const rng = createRng(7);
    const spec = sampleProductSpec(rng, { category: 't-shirt', colour: 'grey', pattern: 'checked' });
    const all = Array.from({ length: 60 }, () => captionsFor(spec, rng)).flat();
    const text = all.join(' | ');
    for (const word of ['tee', 't-shirt', 'gray', 'grey', 'plaid', 'gingham', 'checked']) expect(text).toContain(word);
    const one = captionsFor(spec, rng);
    expect(new Set(one).size).toBe(one.length);
    expect(one.length).toBe(5);
    for (const caption of all) expect(caption).toMatch(/gr[ae]y|Grey/);
  });

  it('uses "an" before vowels', () => {
    const rng = createRng(8);
    const spec = sampleProductSpec(rng, { category: 'mug', colour: 'orange', pattern: 'solid' });
    const all = Array.from({ length: 40 }, () => captionsFor(spec, rng)).flat();
    expect(all.some((caption) => caption.startsWith('an orange'))).toBe(true);
    expect(all.some((caption) => / a orange/.test(` ${caption}`))).toBe(false);
  });
});

describe(buildProductEvent.name, () => {
  it('builds events that validate against the catalog contract', () => {
    const rng = createRng(9);
    for (let i = 0; i < 200; i++) {
      const spec = sampleProductSpec(rng);
      const event = buildProductEvent(spec, `s9-${i}`, [{ id: 'img-1', url: `http://127.0.0.1:8080/catalog-images/s9-${i}/img-1.jpg` }]);
      const result = validateCatalogEvent(event);
      expect(result.ok).toBe(true);
      expect(event.categories).toEqual([spec.department, spec.category]);
      expect(event.attributes).toEqual({ category: spec.category, colour: spec.colour, pattern: spec.pattern });
    }
  });
});
