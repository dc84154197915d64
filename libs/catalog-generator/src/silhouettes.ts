/**
 * Product silhouettes as SVG in a 100 × 100 box: the `body` paths carry the
 * product's colour and pattern, `details` draw small untextured parts (soles,
 * watch faces, lamp poles) in an accent colour. Each category has a distinct
 * outline so that a small image tower can tell them apart.
 */
import type { Category } from './vocab';

export interface SilhouetteColours {
  /** Small parts: soles, straps, poles. */
  accent: string;
  /** Seams and lines, a darker shade of the product colour. */
  line: string;
}

export interface Silhouette {
  body: readonly string[];
  details(colours: SilhouetteColours): string;
}

export const SILHOUETTES: Record<Category, Silhouette> = {
  't-shirt': {
    body: ['M32 12 L42 8 Q50 17 58 8 L68 12 L93 29 L83 45 L72 38 L72 93 L28 93 L28 38 L17 45 L7 29 Z'],
    details: ({ line }) => `<path d="M42 8 Q50 17 58 8" fill="none" stroke="${line}" stroke-width="2"/>`,
  },
  dress: {
    body: ['M39 5 L45 5 L46 17 Q50 21 54 17 L55 5 L61 5 L63 26 Q61 36 58 42 L86 95 L14 95 L42 42 Q39 36 37 26 Z'],
    details: ({ accent }) => `<path d="M42.5 42 L57.5 42" stroke="${accent}" stroke-width="3"/>`,
  },
  jeans: {
    body: ['M27 5 L73 5 L77 95 L56 95 L50 33 L44 95 L23 95 Z'],
    details: ({ line }) =>
      `<path d="M27.3 11 L72.7 11 M50 11 L50 30 M34 11 Q36 20 27.6 21 M66 11 Q64 20 72.4 21" fill="none" stroke="${line}" stroke-width="1.5"/>`,
  },
  sneaker: {
    body: ['M6 70 L8 52 Q12 47 22 46 Q31 44 38 33 L48 29 Q55 29 57 36 Q63 46 77 50 L90 55 Q97 61 95 70 Z'],
    details: ({ accent, line }) =>
      `<path d="M5 70 L96 70 Q96 79 88 79 L11 79 Q5 79 5 70 Z" fill="${accent}"/>` +
      `<path d="M44 37 L52 43 M47 34 L55 40 M41 40 L49 46" stroke="${line}" stroke-width="1.8"/>`,
  },
  boot: {
    body: ['M30 5 L57 5 L59 55 Q73 59 86 65 Q94 70 92 82 L28 82 Z'],
    details: ({ accent }) => `<path d="M26 82 L94 82 L94 91 L26 91 Z M28 91 L40 91 L40 95 L28 95 Z" fill="${accent}"/>`,
  },
  handbag: {
    body: ['M15 40 L85 40 L93 91 L7 91 Z', 'M29 40 Q29 9 50 9 Q71 9 71 40 L64 40 Q64 17 50 17 Q36 17 36 40 Z'],
    details: ({ accent, line }) =>
      `<path d="M15 40 L50 60 L85 40" fill="none" stroke="${line}" stroke-width="1.5"/><circle cx="50" cy="60" r="3.5" fill="${accent}"/>`,
  },
  backpack: {
    body: [
      'M26 22 Q26 13 35 13 L65 13 Q74 13 74 22 L77 89 Q77 95 71 95 L29 95 Q23 95 23 89 Z',
      'M42 14 Q42 3 50 3 Q58 3 58 14 L54 14 Q54 8 50 8 Q46 8 46 14 Z',
    ],
    details: ({ accent, line }) =>
      `<rect x="32" y="56" width="36" height="29" rx="6" fill="none" stroke="${line}" stroke-width="1.8"/>` +
      `<path d="M35 62 L65 62" stroke="${accent}" stroke-width="2"/>`,
  },
  cap: {
    body: ['M14 66 Q14 24 50 24 Q86 24 86 66 Z', 'M62 62 L97 64 Q100 74 89 77 L60 72 Z'],
    details: ({ accent, line }) =>
      `<circle cx="50" cy="25" r="3.5" fill="${accent}"/><path d="M50 26 Q42 44 44 66 M50 26 Q60 44 62 64" fill="none" stroke="${line}" stroke-width="1.5"/>`,
  },
  watch: {
    body: ['M39 2 L61 2 L61 98 L39 98 Z', 'M50 22 A28 28 0 1 1 49.99 22 Z'],
    details: ({ accent, line }) =>
      `<circle cx="50" cy="50" r="20" fill="${accent}"/>` +
      `<path d="M50 50 L50 35 M50 50 L61 55" stroke="${line}" stroke-width="2.2" stroke-linecap="round"/>` +
      `<path d="M50 31 L50 34 M69 50 L66 50 M50 69 L50 66 M31 50 L34 50" stroke="${line}" stroke-width="1.5"/>`,
  },
  mug: {
    body: ['M17 20 L71 20 L69 86 Q69 93 62 93 L26 93 Q19 93 19 86 Z', 'M70 33 Q94 33 94 55 Q94 77 68 77 L68 68 Q85 68 85 55 Q85 42 70 42 Z'],
    details: ({ line }) => `<path d="M17 20 Q44 29 71 20" fill="none" stroke="${line}" stroke-width="1.8"/>`,
  },
  lamp: {
    body: ['M30 6 L70 6 L86 44 L14 44 Z', 'M28 95 Q28 85 50 85 Q72 85 72 95 Z'],
    details: ({ accent }) => `<path d="M47 44 L53 44 L53 86 L47 86 Z" fill="${accent}"/>`,
  },
  chair: {
    body: ['M24 10 Q24 4 30 4 L70 4 Q76 4 76 10 L76 46 L24 46 Z', 'M18 50 L82 50 L86 62 L14 62 Z'],
    details: ({ accent }) =>
      `<path d="M27 46 L31 46 L31 50 L27 50 Z M69 46 L73 46 L73 50 L69 50 Z M17 62 L24 62 L22 96 L17 96 Z M76 62 L83 62 L83 96 L78 96 Z" fill="${accent}"/>`,
  },
};
