/**
 * How index generations are named, a contract between search (which creates
 * them), ingestion (which fills and swaps them) and the CLI (which reports
 * them): each generation is a collection `products_v{n}` behind the alias `products`.
 */

/** The alias shoppers' searches and ingestion's writes go through. */
export const PRODUCTS_ALIAS = 'products';

const GENERATION = /^products_v(\d+)$/;

export function generationName(generation: number): string {
  return `products_v${generation}`;
}

/** The generation number of `products_v{n}`, or undefined for any other name. */
export function generationOf(name: string): number | undefined {
  const match = GENERATION.exec(name);
  return match ? Number(match[1]) : undefined;
}
