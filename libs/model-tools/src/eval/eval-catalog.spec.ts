import { isHeldOut } from '@vsearch/catalog-generator';
import { EVAL_PROMPTS, MIN_EVAL_COUNT, PRODUCTS_PER_QUERY, planEvalCatalog } from './eval-catalog';

describe(planEvalCatalog.name, () => {
  it('gives every queried combination at least 10 products, plus distractors, count in all', () => {
    const plan = planEvalCatalog(7, 400);
    expect(plan.products).toHaveLength(400);
    expect(plan.heldOutQueries.length).toBeGreaterThanOrEqual(1);
    expect(plan.seenQueries.length).toBeGreaterThanOrEqual(1);
    for (const query of [...plan.seenQueries, ...plan.heldOutQueries]) {
      const matching = plan.products.filter((p) => p.spec.category === query.category && p.spec.colour === query.colour && p.spec.pattern === query.pattern);
      expect(matching.length).toBeGreaterThanOrEqual(PRODUCTS_PER_QUERY);
    }
  });

  it('queries held-out combinations separately from seen ones', () => {
    const plan = planEvalCatalog(7, 1000);
    expect(plan.heldOutQueries.every((q) => isHeldOut(q))).toBe(true);
    expect(plan.seenQueries.some((q) => isHeldOut(q))).toBe(false);
  });

  it('is deterministic for a seed and differs between seeds', () => {
    const titles = (seed: number) => planEvalCatalog(seed, 100).products.map((p) => `${p.title}|${p.renderSeeds.join()}`);
    expect(titles(3)).toEqual(titles(3));
    expect(titles(3)).not.toEqual(titles(4));
  });

  it('refuses a catalog too small to hold one query of each kind', () => {
    expect(() => planEvalCatalog(7, MIN_EVAL_COUNT - 1)).toThrow(RangeError);
  });

  it('words the queries as training does', () => {
    expect(EVAL_PROMPTS.attributes({ category: 'mug', colour: 'purple', pattern: 'dotted' })).toBe('a purple dotted mug');
    expect(EVAL_PROMPTS.category('t-shirt')).toBe('a photo of a t-shirt');
    expect(EVAL_PROMPTS.colour('grey')).toBe('a grey product');
  });
});
