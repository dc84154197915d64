/**
 * @vsearch/catalog-generator: the deterministic synthetic product catalog
 * (images, catalog events, training captions) used for training, evaluation,
 * tests and the demo.
 */
export { createRng, hashString, type Rng } from './rng';
export * from './vocab';
export {
  HELD_OUT_COMBINATIONS,
  isHeldOut,
  productDescription,
  productTitle,
  sampleProductSpec,
  type HeldOutMode,
  type ProductAttributes,
  type ProductLook,
  type ProductSpec,
  type SpecConstraints,
} from './spec';
export { captionsFor } from './captions';
export { FILE_EXTENSIONS, renderProductImage, type ImageFormat, type RenderedImage, type SceneView } from './render';
export {
  DEFAULT_CATALOG_BASE_URL,
  buildProductEvent,
  generateCatalog,
  productIdFor,
  type CatalogProgress,
  type GenerateCatalogOptions,
  type GenerateCatalogResult,
  type ManifestEntry,
} from './catalog';
export { NAMED_ATTRIBUTES, namedAttributes, type NamedAttribute, type NamedAttributes } from './named-attributes';
