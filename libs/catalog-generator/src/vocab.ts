/**
 * The catalog's vocabulary: categories (with departments, price ranges and
 * caption synonyms), colours, patterns, brands and model words. Training,
 * evaluation and the demo all draw from these lists.
 */

export const CATEGORIES = ['t-shirt', 'dress', 'jeans', 'sneaker', 'boot', 'handbag', 'backpack', 'cap', 'watch', 'mug', 'lamp', 'chair'] as const;
export type Category = (typeof CATEGORIES)[number];

export const DEPARTMENTS = ['apparel', 'footwear', 'bags', 'accessories', 'home'] as const;
export type Department = (typeof DEPARTMENTS)[number];

export interface CategoryInfo {
  department: Department;
  /** Display name used in titles. */
  label: string;
  /** Words for captions; the first is the canonical one. */
  synonyms: readonly string[];
  /** Price range in EUR. */
  price: readonly [number, number];
}

export const CATEGORY_INFO: Record<Category, CategoryInfo> = {
  't-shirt': { department: 'apparel', label: 'T-Shirt', synonyms: ['t-shirt', 'tee', 't shirt', 'tshirt', 'tee shirt'], price: [9, 45] },
  dress: { department: 'apparel', label: 'Dress', synonyms: ['dress', 'summer dress', 'frock', 'sundress'], price: [25, 180] },
  jeans: { department: 'apparel', label: 'Jeans', synonyms: ['jeans', 'trousers', 'pants', 'denim pants'], price: [30, 140] },
  sneaker: { department: 'footwear', label: 'Sneaker', synonyms: ['sneaker', 'sneakers', 'trainer', 'trainers', 'running shoe'], price: [40, 190] },
  boot: { department: 'footwear', label: 'Boot', synonyms: ['boot', 'boots', 'ankle boot', 'high boot'], price: [60, 260] },
  handbag: { department: 'bags', label: 'Handbag', synonyms: ['handbag', 'purse', 'tote', 'shoulder bag'], price: [35, 420] },
  backpack: { department: 'bags', label: 'Backpack', synonyms: ['backpack', 'rucksack', 'daypack', 'school bag'], price: [30, 160] },
  cap: { department: 'accessories', label: 'Cap', synonyms: ['cap', 'baseball cap', 'hat', 'peaked cap'], price: [12, 45] },
  watch: { department: 'accessories', label: 'Watch', synonyms: ['watch', 'wristwatch', 'wrist watch', 'timepiece'], price: [45, 650] },
  mug: { department: 'home', label: 'Mug', synonyms: ['mug', 'coffee mug', 'cup', 'tea mug'], price: [6, 30] },
  lamp: { department: 'home', label: 'Lamp', synonyms: ['lamp', 'table lamp', 'desk lamp', 'light'], price: [25, 240] },
  chair: { department: 'home', label: 'Chair', synonyms: ['chair', 'dining chair', 'side chair', 'seat'], price: [45, 390] },
};

export const COLOURS = ['red', 'orange', 'yellow', 'green', 'teal', 'blue', 'purple', 'pink', 'brown', 'black', 'white', 'grey'] as const;
export type Colour = (typeof COLOURS)[number];

export interface ColourInfo {
  /** Base sRGB colour of the product. */
  hex: string;
  label: string;
  synonyms: readonly string[];
}

/** Hues are kept far apart so they stay distinguishable under the lighting applied by the renderer. */
export const COLOUR_INFO: Record<Colour, ColourInfo> = {
  red: { hex: '#d42a2a', label: 'Red', synonyms: ['red', 'scarlet'] },
  orange: { hex: '#f07010', label: 'Orange', synonyms: ['orange'] },
  yellow: { hex: '#f6d10e', label: 'Yellow', synonyms: ['yellow'] },
  green: { hex: '#2f9a3a', label: 'Green', synonyms: ['green'] },
  teal: { hex: '#0fa3a0', label: 'Teal', synonyms: ['teal', 'turquoise'] },
  blue: { hex: '#2457d6', label: 'Blue', synonyms: ['blue', 'cobalt'] },
  purple: { hex: '#7a2db0', label: 'Purple', synonyms: ['purple', 'violet'] },
  pink: { hex: '#f07ab8', label: 'Pink', synonyms: ['pink'] },
  brown: { hex: '#7b4a26', label: 'Brown', synonyms: ['brown'] },
  black: { hex: '#1f1f1f', label: 'Black', synonyms: ['black'] },
  white: { hex: '#f7f7f4', label: 'White', synonyms: ['white'] },
  grey: { hex: '#8f8f8f', label: 'Grey', synonyms: ['grey', 'gray'] },
};

export const PATTERNS = ['solid', 'striped', 'dotted', 'checked'] as const;
export type Pattern = (typeof PATTERNS)[number];

export interface PatternInfo {
  label: string;
  /** Adjectives: "a dotted mug". */
  adjectives: readonly string[];
  /** Nouns for "with ..." phrasing: "a mug with polka dots". */
  nouns: readonly string[];
}

export const PATTERN_INFO: Record<Pattern, PatternInfo> = {
  solid: { label: 'Solid', adjectives: ['solid', 'plain', 'solid-colour', 'single-colour'], nouns: ['no pattern', 'a plain finish', 'a solid colour'] },
  striped: { label: 'Striped', adjectives: ['striped', 'stripy', 'stripe-patterned'], nouns: ['stripes', 'a striped print', 'a stripe pattern'] },
  dotted: { label: 'Dotted', adjectives: ['dotted', 'polka-dot', 'spotted', 'polka dot'], nouns: ['polka dots', 'dots', 'spots', 'a dotted print'] },
  checked: {
    label: 'Checked',
    adjectives: ['checked', 'plaid', 'gingham', 'checkered'],
    nouns: ['checks', 'a plaid print', 'a gingham print', 'a checkered pattern'],
  },
};

export const BRANDS = [
  'Northwind',
  'Acme',
  'Bluefield',
  'Corvid',
  'Driftwood',
  'Ember & Oak',
  'Fjordline',
  'Granite',
  'Halcyon',
  'Ironbark',
  'Juniper',
  'Kestrel',
  'Lumen',
  'Meridian',
  'Nimbus',
] as const;
export type Brand = (typeof BRANDS)[number];

/** Model names appended to titles ("Northwind Purple Dotted Mug Aurora"). */
export const MODEL_WORDS = [
  'Aurora',
  'Basalt',
  'Cascade',
  'Delta',
  'Echo',
  'Falcon',
  'Glacier',
  'Harbor',
  'Iris',
  'Jade',
  'Kite',
  'Lotus',
  'Mesa',
  'Nova',
  'Orbit',
  'Prism',
  'Quartz',
  'Ridge',
  'Sierra',
  'Tundra',
  'Umbra',
  'Vista',
  'Willow',
  'Zephyr',
] as const;
