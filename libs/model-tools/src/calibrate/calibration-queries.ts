/**
 * What calibration asks a model: catalog-derived text queries (what shoppers
 * type), nonsense queries (what a search should answer with nothing), and
 * unrelated photos (noise, gradients, stripes: nothing a shop sells).
 */
import { CATEGORIES, CATEGORY_INFO, COLOURS, PATTERNS, createRng } from '@vsearch/catalog-generator';
import { EVAL_PROMPTS, type EvalCatalogPlan } from '../eval';

/** Queries no product answers: keyboard mashing, other topics, filler. */
export const NONSENSE_QUERIES: readonly string[] = [
  'asdfgh',
  'qwerty uiop',
  'zxqv flurble',
  'lorem ipsum dolor sit amet',
  'quantum chromodynamics',
  'the weather tomorrow in paris',
  '1234567',
  '!!!',
  'how to bake bread',
  'car insurance quote',
  'bitcoin price',
  'xkcd',
  'mitochondria',
  'tax return form',
  'football world cup results',
  'kjhgf lkjh',
  'banana smoothie recipe',
  'laptop charger',
  'holiday in spain',
  'ssss',
  'ok',
  'please help',
  'what is the meaning of life',
  'hello world',
  'the',
  'purple monkey dishwasher',
  'error 404',
  'zzzzzzzz zzzz',
];

/** Titles and attribute prompts of the first 60 products, every category and colour, and mixed phrasings. */
export function catalogQueries(plan: EvalCatalogPlan): string[] {
  const sample = plan.products.slice(0, 60);
  return [
    ...sample.map((product) => product.title),
    ...sample.map((product) => EVAL_PROMPTS.attributes(product.spec)),
    ...CATEGORIES.map(EVAL_PROMPTS.category),
    ...COLOURS.map(EVAL_PROMPTS.colour),
    ...CATEGORIES.flatMap((category, i) => [
      `${COLOURS[i % COLOURS.length]} ${CATEGORY_INFO[category].synonyms.at(-1)}`,
      `${PATTERNS[i % PATTERNS.length]} ${category}`,
    ]),
  ];
}

const PHOTO_KINDS = ['noise', 'gradient', 'stripes', 'checkerboard', 'blobs'] as const;

/**
 * `count` square RGB images (uint8, HWC, `size` pixels a side), deterministic from `seed`, of
 * five kinds in turn: uniform noise, two-colour gradients, stripes, checkerboards, soft blobs.
 */
export function unrelatedPhotos(seed: number, count: number, size: number): Uint8Array[] {
  const photos: Uint8Array[] = [];
  for (let index = 0; index < count; index++) {
    const rng = createRng(`vsearch-calibrate:${seed}:${index}`);
    const kind = PHOTO_KINDS[index % PHOTO_KINDS.length];
    const colour = () => [rng.int(0, 255), rng.int(0, 255), rng.int(0, 255)];
    const [a, b] = [colour(), colour()];
    const period = rng.int(2, Math.max(3, Math.floor(size / 3)));
    const angle = rng.range(0, Math.PI);
    const blobs = Array.from({ length: 6 }, () => ({ x: rng.range(0, size), y: rng.range(0, size), r: rng.range(size / 10, size / 3), colour: colour() }));
    const pixels = new Uint8Array(size * size * 3);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const offset = (y * size + x) * 3;
        for (let channel = 0; channel < 3; channel++) {
          let value: number;
          if (kind === 'noise') value = rng.int(0, 255);
          else if (kind === 'gradient') value = a[channel] + ((b[channel] - a[channel]) * (x * Math.cos(angle) + y * Math.sin(angle) + size)) / (3 * size);
          else if (kind === 'stripes') value = Math.floor((x * Math.cos(angle) + y * Math.sin(angle) + size) / period) % 2 ? a[channel] : b[channel];
          else if (kind === 'checkerboard') value = (Math.floor(x / period) + Math.floor(y / period)) % 2 ? a[channel] : b[channel];
          else {
            const near = blobs.find((blob) => (x - blob.x) ** 2 + (y - blob.y) ** 2 < blob.r ** 2);
            value = near ? near.colour[channel] : a[channel];
          }
          pixels[offset + channel] = Math.max(0, Math.min(255, Math.round(value)));
        }
      }
    }
    photos.push(pixels);
  }
  return photos;
}
