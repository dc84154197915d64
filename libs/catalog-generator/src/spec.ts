/**
 * Product specs: the attributes (category, colour, pattern), the commercial
 * metadata (brand, price, stock) and the per-product look that every render
 * of the product shares. Also the held-out colour × pattern combinations that
 * training never sees, so evaluation can measure compositional generalisation.
 */
import { luminance, mix } from './colour';
import type { Rng } from './rng';
import {
  BRANDS,
  CATEGORIES,
  CATEGORY_INFO,
  COLOURS,
  COLOUR_INFO,
  MODEL_WORDS,
  PATTERNS,
  PATTERN_INFO,
  type Brand,
  type Category,
  type Colour,
  type Department,
  type Pattern,
} from './vocab';

export interface ProductAttributes {
  category: Category;
  colour: Colour;
  pattern: Pattern;
}

/** What all renders of one product share (so image→image search can find "the same product"). */
export interface ProductLook {
  /** Horizontal stretch of the silhouette (1 = as drawn). */
  stretch: number;
  /** Pattern period multiplier. */
  patternScale: number;
  /** Pattern rotation in degrees, in the product's own frame. */
  patternAngle: number;
  /** The product colour after a small per-product jitter. */
  baseHex: string;
  /** The pattern's contrasting tone. */
  toneHex: string;
  /** Small untextured parts (soles, straps, watch faces). */
  accentHex: string;
  /** Seams and outlines. */
  lineHex: string;
}

export interface ProductSpec extends ProductAttributes {
  department: Department;
  brand: Brand;
  modelWord: string;
  /** EUR. */
  price: number;
  inStock: boolean;
  look: ProductLook;
}

export type HeldOutMode = 'include' | 'exclude' | 'only';

export interface SpecConstraints {
  category?: Category;
  colour?: Colour;
  pattern?: Pattern;
  /** `exclude`: never a held-out combination (training); `only`: only held-out ones (evaluation). Default `include`. */
  heldOut?: HeldOutMode;
}

/** Colour × pattern pairs never used for training, across all categories. */
export const HELD_OUT_COMBINATIONS: readonly { colour: Colour; pattern: Pattern }[] = [
  { colour: 'purple', pattern: 'dotted' },
  { colour: 'orange', pattern: 'checked' },
];

export function isHeldOut(attributes: { colour: string; pattern: string }): boolean {
  return HELD_OUT_COMBINATIONS.some((combo) => combo.colour === attributes.colour && combo.pattern === attributes.pattern);
}

function sampleColourAndPattern(rng: Rng, constraints: SpecConstraints): { colour: Colour; pattern: Pattern } {
  const mode = constraints.heldOut ?? 'include';
  if (mode === 'only') {
    const candidates = HELD_OUT_COMBINATIONS.filter(
      (combo) => (!constraints.colour || combo.colour === constraints.colour) && (!constraints.pattern || combo.pattern === constraints.pattern),
    );
    if (candidates.length === 0) {
      throw new Error(`no held-out combination matches colour=${constraints.colour ?? '*'} pattern=${constraints.pattern ?? '*'}`);
    }
    return { ...rng.pick(candidates) };
  }
  for (let attempt = 0; attempt < 1000; attempt++) {
    const colour = constraints.colour ?? rng.pick(COLOURS);
    const pattern = constraints.pattern ?? rng.pick(PATTERNS);
    if (mode === 'include' || !isHeldOut({ colour, pattern })) return { colour, pattern };
    if (constraints.colour && constraints.pattern) break;
  }
  throw new Error(`colour=${constraints.colour} pattern=${constraints.pattern} is a held-out combination, excluded here`);
}

/** Draws a product (attributes, metadata and look); constraints fix any attribute. */
export function sampleProductSpec(rng: Rng, constraints: SpecConstraints = {}): ProductSpec {
  const category = constraints.category ?? rng.pick(CATEGORIES);
  const { colour, pattern } = sampleColourAndPattern(rng, constraints);
  const info = CATEGORY_INFO[category];
  const [low, high] = info.price;
  const price = Math.floor(low + (high - low) * rng.next() ** 1.6) + 0.99;
  return {
    category,
    colour,
    pattern,
    department: info.department,
    brand: rng.pick(BRANDS),
    modelWord: rng.pick(MODEL_WORDS),
    price,
    inStock: rng.chance(0.85),
    look: sampleLook(rng, colour),
  };
}

function sampleLook(rng: Rng, colour: Colour): ProductLook {
  const nominal = COLOUR_INFO[colour].hex;
  // A small jitter towards white or black keeps products distinct without changing the colour name.
  const jitter = rng.range(-0.06, 0.06);
  const baseHex = jitter >= 0 ? mix(nominal, '#ffffff', jitter) : mix(nominal, '#000000', -jitter);
  const light = luminance(baseHex);
  // The pattern tone is a shade of the same hue, darker for light colours and lighter for dark ones.
  const toneHex = light < 0.3 ? mix(baseHex, '#ffffff', rng.range(0.38, 0.5)) : mix(baseHex, '#000000', rng.range(0.4, 0.52));
  const accentHex = light < 0.3 ? rng.pick(['#e8e8e8', '#cfcfcf']) : light > 0.8 ? rng.pick(['#2a2a2a', '#555555']) : rng.pick(['#2a2a2a', '#ececec']);
  return {
    stretch: rng.range(0.88, 1.12),
    patternScale: rng.range(0.8, 1.25),
    patternAngle: rng.pick([0, 0, 90, 45, -45]) + rng.range(-6, 6),
    baseHex,
    toneHex,
    accentHex,
    lineHex: mix(baseHex, '#000000', 0.45),
  };
}

/** "Northwind Purple Dotted Mug Aurora". */
export function productTitle(spec: ProductSpec): string {
  return `${spec.brand} ${COLOUR_INFO[spec.colour].label} ${PATTERN_INFO[spec.pattern].label} ${CATEGORY_INFO[spec.category].label} ${spec.modelWord}`;
}

const DEPARTMENT_LINES: Record<Department, string> = {
  apparel: 'Soft, breathable fabric with a relaxed fit.',
  footwear: 'Cushioned insole and a durable rubber sole.',
  bags: 'Roomy main compartment with an inner zip pocket.',
  accessories: 'A finishing touch for every outfit.',
  home: 'Made to brighten up any room.',
};

export function productDescription(spec: ProductSpec): string {
  const category = CATEGORY_INFO[spec.category].synonyms[0];
  const colour = COLOUR_INFO[spec.colour].synonyms[0];
  const pattern = spec.pattern === 'solid' ? 'in a solid colour' : `with ${PATTERN_INFO[spec.pattern].nouns[0]}`;
  return `The ${spec.modelWord} ${category} by ${spec.brand}: ${colour}, ${pattern}. ${DEPARTMENT_LINES[spec.department]}`;
}
