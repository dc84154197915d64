/**
 * The product fields that keyword search reads, and how much a match in each counts: the one
 * list both stores index (the embedded MiniSearch index and Qdrant's sparse vectors). Adding a
 * field (tags, image descriptions) is a change here: the embedded store builds its index from the
 * stored products when it opens, and a MiniSearch snapshot of other fields is refused (bump
 * LEXICAL_ANALYZER_VERSION only when the analyzer's rules change).
 */

/**
 * Indexed fields with their boosts. The title names the product and the brand is what a shopper
 * types verbatim ("Sierra t-shirt"), so a match there counts most; categories are short and
 * precise; attribute values (colour, pattern, size) and the description are long or repetitive,
 * so they count least.
 */
export const LEXICAL_FIELDS = Object.freeze([
  Object.freeze({ name: 'title', boost: 3 }),
  Object.freeze({ name: 'brand', boost: 2 }),
  Object.freeze({ name: 'categories', boost: 1.5 }),
  Object.freeze({ name: 'attributes', boost: 1 }),
  Object.freeze({ name: 'description', boost: 1 }),
  // zero-shot tag labels ("striped"): words describing the photo that the catalog may not have
  Object.freeze({ name: 'tags', boost: 1 }),
  // the images' generated descriptions (alt text): what the photo shows, in words, written by a
  // model rather than the merchant, so they count no more than the catalog's own description
  Object.freeze({ name: 'imageDescriptions', boost: 1 }),
] as const);

export type LexicalFieldName = (typeof LEXICAL_FIELDS)[number]['name'];

export const LEXICAL_FIELD_NAMES: readonly LexicalFieldName[] = Object.freeze(LEXICAL_FIELDS.map((field) => field.name));

/** Boost per field name (the shape MiniSearch's `boost` option takes). */
export const LEXICAL_FIELD_BOOSTS: Readonly<Record<LexicalFieldName, number>> = Object.freeze(
  Object.fromEntries(LEXICAL_FIELDS.map((field) => [field.name, field.boost])) as Record<LexicalFieldName, number>,
);

/** The parts of a product that keyword search reads (ProductData has them all). */
export interface LexicalProductText {
  title: string;
  brand: string;
  description: string;
  categories: readonly string[];
  attributes: Readonly<Record<string, string>>;
  /** Labels of the product's zero-shot tags; absent means none. */
  tags?: readonly string[];
  /** Generated descriptions of the product's images (alt text); absent means none. */
  imageDescriptions?: readonly string[];
}

/** What keyword search reads of a product: its catalog text, its tag labels and its images' descriptions (both stores). */
export function lexicalTextOf(
  product: LexicalProductText,
  tags: ReadonlyArray<{ label: string }>,
  images: ReadonlyArray<{ description?: string }>,
): LexicalProductText {
  const imageDescriptions = images.flatMap((image) => (image.description ? [image.description] : []));
  if (tags.length === 0 && imageDescriptions.length === 0) return product;
  return {
    ...product,
    ...(tags.length > 0 ? { tags: tags.map((tag) => tag.label) } : {}),
    ...(imageDescriptions.length > 0 ? { imageDescriptions } : {}),
  };
}

/**
 * The text of each indexed field. List values (categories, attribute values, ordered by attribute
 * name so the text does not depend on key order) go one per line: a line break ends a phrase, so
 * the analyzer never joins the last word of one value with the first word of the next. Attribute
 * names ("colour") are left out: they describe the value, not the product.
 */
export function lexicalTextByField(product: LexicalProductText): Record<LexicalFieldName, string> {
  return {
    title: requireString(product.title, 'title'),
    brand: requireString(product.brand, 'brand'),
    categories: requireStrings(product.categories, 'categories').join('\n'),
    attributes: attributeValues(product.attributes).join('\n'),
    description: requireString(product.description, 'description'),
    tags: tagsText(product.tags ?? []),
    imageDescriptions: requireStrings(product.imageDescriptions ?? [], 'imageDescriptions').join('\n'),
  };
}

/** The tags field's text: the labels one per line (see lexicalTextByField). */
export function tagsText(labels: readonly string[]): string {
  return requireStrings(labels, 'tags').join('\n');
}

function attributeValues(attributes: Readonly<Record<string, string>>): string[] {
  if (attributes === null || typeof attributes !== 'object' || Array.isArray(attributes)) {
    throw new TypeError(`product attributes must be an object of strings, got ${describeType(attributes)}`);
  }
  return Object.keys(attributes)
    .sort()
    .map((name) => requireString(attributes[name], `attributes.${name}`));
}

function requireStrings(values: readonly string[], field: string): readonly string[] {
  if (!Array.isArray(values)) throw new TypeError(`product ${field} must be an array of strings, got ${describeType(values)}`);
  values.forEach((value, i) => requireString(value, `${field}[${i}]`));
  return values;
}

function requireString(value: string, field: string): string {
  if (typeof value !== 'string') throw new TypeError(`product ${field} must be a string, got ${describeType(value)}`);
  return value;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array' : typeof value;
}
