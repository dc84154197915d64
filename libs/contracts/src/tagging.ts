/**
 * Zero-shot tagging vocabulary: the taxonomy merchandisers write in words, the tags a product
 * gets from it, and the filters and facets over tags. The taxonomy is validated here, once, for
 * every boundary that takes one (admin HTTP API, `vsearch tags set`, the store reading it back).
 *
 * How a product is tagged (libs/zero-shot): each label's prompts are embedded with the text tower
 * and averaged (a prompt ensemble, as in the CLIP paper); the product's stored image vectors are
 * scored against every label of an attribute; the softmax over the model's logit scale gives a
 * confidence; a label at or above the attribute's threshold is applied (single-label attributes
 * keep only the best one). Below the threshold the product gets no tag for that attribute: never a guess.
 */
import { z } from 'zod';
import type { ParseResult } from './parse';

export const MAX_TAXONOMY_ATTRIBUTES = 50;
export const MAX_LABELS_PER_ATTRIBUTE = 200;
export const MAX_PROMPTS_PER_LABEL = 20;
export const MAX_LABEL_LENGTH = 100;
export const MAX_PROMPT_LENGTH = 300;
/** The prompt a label gets when it names none; `{label}` is replaced by the label. */
export const DEFAULT_PROMPT_TEMPLATE = 'a photo of a {label} product';
export const DEFAULT_TAG_THRESHOLD = 0.5;

/** Attribute names appear in query strings (`tag.<attribute>=<label>`), so they stay simple. */
export const TAG_ATTRIBUTE_NAME = /^[a-z][a-z0-9_]{0,39}$/;

const labelSchema = z.strictObject({
  label: z.string().trim().min(1, 'must not be empty').max(MAX_LABEL_LENGTH, `must be at most ${MAX_LABEL_LENGTH} characters`),
  /** Texts embedded for this label; when absent, the attribute's template filled with the label. */
  prompts: z
    .array(z.string().trim().min(1, 'must not be empty').max(MAX_PROMPT_LENGTH, `must be at most ${MAX_PROMPT_LENGTH} characters`))
    .min(1)
    .max(MAX_PROMPTS_PER_LABEL)
    .optional(),
});

const attributeSchema = z.strictObject({
  name: z.string().regex(TAG_ATTRIBUTE_NAME, 'must be 1 to 40 lowercase letters, digits or "_", starting with a letter'),
  /** `single`: at most one label per product (the most confident); `multi`: every label above the threshold. */
  mode: z.enum(['single', 'multi']).default('single'),
  /** Confidence (0–1) a label needs to be applied. */
  threshold: z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1').default(DEFAULT_TAG_THRESHOLD),
  /** Prompt template for labels without prompts of their own; must contain `{label}`. */
  template: z.string().max(MAX_PROMPT_LENGTH).includes('{label}', { message: 'must contain {label}' }).optional(),
  labels: z
    .array(labelSchema)
    .min(2, 'needs at least 2 labels (a confidence is relative to the other labels)')
    .max(MAX_LABELS_PER_ATTRIBUTE, `has more than ${MAX_LABELS_PER_ATTRIBUTE} labels`),
});

/** What merchandisers submit (YAML or JSON): attributes, their labels and settings. The version is assigned on storing. */
export const taxonomyInputSchema = z.strictObject({
  attributes: z.array(attributeSchema).min(1, 'needs at least one attribute').max(MAX_TAXONOMY_ATTRIBUTES),
});

export type TaxonomyLabel = z.infer<typeof labelSchema>;
export type TaxonomyAttribute = z.infer<typeof attributeSchema>;
export type TaxonomyInput = z.infer<typeof taxonomyInputSchema>;

/** A stored taxonomy: the input plus the version it was stored as (1, 2, ...). */
export interface Taxonomy extends TaxonomyInput {
  version: number;
  /** ISO 8601. */
  createdAt: string;
}

/** One tag on a product. */
export interface ProductTag {
  attribute: string;
  label: string;
  /** Softmax probability of the label among the attribute's labels (0–1). */
  confidence: number;
  /** The taxonomy version that produced it. */
  taxonomyVersion: number;
}

/** Tag filter: attribute → labels. Labels of one attribute are OR'ed, attributes are AND'ed. */
export type TagFilter = Record<string, string[]>;

/** Facet counts per tag attribute: attribute → label counts over what matched. */
export type TagFacets = Record<string, Array<{ value: string; count: number }>>;

/** The prompts embedded for a label: its own, or the attribute's template (or the default) filled with the label. */
export function promptsOf(attribute: TaxonomyAttribute, label: TaxonomyLabel): string[] {
  if (label.prompts && label.prompts.length > 0) return label.prompts;
  return [(attribute.template ?? DEFAULT_PROMPT_TEMPLATE).replaceAll('{label}', label.label)];
}

/**
 * Validates a taxonomy from any boundary. Beyond the schema: duplicate attribute names and
 * duplicate labels within an attribute (compared case-insensitively) are refused, naming them.
 */
export function validateTaxonomy(value: unknown): ParseResult<TaxonomyInput> {
  const result = taxonomyInputSchema.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.map((issue) => ({ path: describePath(value, issue.path), message: issue.message }));
    return invalid(issues);
  }
  const issues: Array<{ path: string; message: string }> = [];
  const attributeNames = new Set<string>();
  for (const attribute of result.data.attributes) {
    if (attributeNames.has(attribute.name)) issues.push({ path: `attribute "${attribute.name}"`, message: 'is defined twice' });
    attributeNames.add(attribute.name);
    const labels = new Set<string>();
    for (const label of attribute.labels) {
      const key = label.label.toLowerCase();
      if (labels.has(key)) issues.push({ path: `attribute "${attribute.name}" label "${label.label}"`, message: 'is listed twice' });
      labels.add(key);
    }
  }
  if (issues.length > 0) return invalid(issues);
  return { ok: true, value: result.data };
}

/** Names an issue by attribute name and label where the input has them, not only by array index. */
function describePath(value: unknown, path: ReadonlyArray<PropertyKey>): string {
  const parts: string[] = [];
  let node: unknown = value;
  for (let i = 0; i < path.length; i++) {
    const key = path[i];
    node = node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    const previous = path[i - 1];
    if (typeof key === 'number' && previous === 'attributes') {
      const name = (node as { name?: unknown } | undefined)?.name;
      parts.push(typeof name === 'string' ? `attribute "${name}"` : `attribute #${key + 1}`);
    } else if (typeof key === 'number' && previous === 'labels') {
      const label = (node as { label?: unknown } | undefined)?.label;
      parts.push(typeof label === 'string' && label.trim() ? `label "${label}"` : `label #${key + 1}`);
    } else if (key === 'label' && typeof previous === 'number') {
      // "label #2: must not be empty" reads better than "label #2 label: ..."
    } else if (key !== 'attributes' && key !== 'labels') {
      parts.push(String(key));
    }
  }
  return parts.join(' ');
}

function invalid(issues: Array<{ path: string; message: string }>): ParseResult<TaxonomyInput> {
  const message = `invalid taxonomy: ${issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ')}`;
  return { ok: false, error: { code: 'schema_violation', message, issues } };
}

/** A label's embedding: the mean of its prompts' unit text embeddings, re-normalised (libs/zero-shot). */
export interface LabelVector {
  attribute: string;
  label: string;
  vector: Float32Array;
}

/**
 * The tagging a collection serves: the stored taxonomy, its labels' vectors and the model they were
 * embedded with (tags are only computed against image vectors of that model), and the model's logit
 * scale that turns cosines into confidences.
 */
export interface ActiveTagging {
  taxonomy: Taxonomy;
  modelId: string;
  logitScale: number;
  labelVectors: LabelVector[];
}

/** A taxonomy to store or preview, with the vectors its labels were embedded to. */
export interface TaggingInput {
  taxonomy: TaxonomyInput;
  modelId: string;
  logitScale: number;
  labelVectors: LabelVector[];
}

/** Where re-tagging the live collection stands. */
export type TaggingState = 'idle' | 'tagging' | 'done' | 'failed';
export const TAGGING_STATES: readonly TaggingState[] = ['idle', 'tagging', 'done', 'failed'];

/** GetTagging's answer: the active taxonomy (absent before the first PutTagging) and the re-tag's progress. */
export interface TaggingStatus {
  taxonomy?: Taxonomy;
  modelId?: string;
  state: TaggingState;
  productsTagged: number;
  productsTotal: number;
  /** Why the last re-tag failed, when `state` is `failed`. */
  error?: string;
  /** A taxonomy version stored while a re-tag ran, applied when it ends. */
  queuedVersion?: number;
}

/** PutTagging's answer: the version the taxonomy was stored as, and whether it waits behind a running re-tag. */
export interface PutTaggingResult {
  taxonomyVersion: number;
  queued: boolean;
}

/** One product a label would be given, in a preview. */
export interface PreviewedProduct {
  productId: string;
  title: string;
  imageUrl: string;
  confidence: number;
}

/** Per label of one attribute: how many products would get it and the most confident of them. */
export interface LabelPreview {
  label: string;
  productCount: number;
  products: PreviewedProduct[];
}

/** One row of the tag export: a product and one of its tags. */
export interface ProductTagRow extends ProductTag {
  productId: string;
}

/** A page of tag rows; `nextPageToken` is absent on the last page. */
export interface ProductTagPage {
  rows: ProductTagRow[];
  nextPageToken?: string;
}

/** A candidate label's probability for one product or photo (softmax over the candidates). */
export interface LabelProbability {
  label: string;
  probability: number;
}

/** The label count ClassifyProduct and POST /v1/classify accept: at least 2 (a probability is relative), at most this many. */
export const MAX_CLASSIFY_LABELS = MAX_LABELS_PER_ATTRIBUTE;
