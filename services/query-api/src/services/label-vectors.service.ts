/**
 * Label vectors for zero-shot tagging and classification: every label's prompts checked against the
 * model's vocabulary (a word the tokenizer maps to its unknown token embeds as noise, so such a label
 * is refused naming the words), embedded on the interactive lane, and averaged per label into one
 * vector (a prompt ensemble, libs/zero-shot). The vectors carry the model they were embedded with.
 */
import { InvalidRequestError, promptsOf, type LabelVector, type TaxonomyAttribute, type TaxonomyInput } from '@vsearch/contracts';
import { ensembleLabelVector } from '@vsearch/zero-shot';
import type { LabelTextEmbedder, LabelVectorsOfModel, RequestContext } from '../ports';
import type { ModelSettingsService } from './model-settings.service';

/** Texts per embedder call: well under the embedder's per-call limit (MAX_ITEMS_PER_CALL, 256 by default). */
export const LABEL_TEXTS_PER_CALL = 128;

/** One label to embed: where it comes from (for error messages) and the prompts averaged into its vector. */
interface LabelPrompts {
  attribute: string;
  label: string;
  /** How an error names the label: `attribute "pattern" label "striped"`, or `labels[2] "striped"` for ad-hoc labels. */
  name: string;
  prompts: string[];
}

export class LabelVectorService {
  constructor(
    private readonly embedder: LabelTextEmbedder,
    private readonly modelSettings: ModelSettingsService,
  ) {}

  /** Every label of every attribute, in the taxonomy's order. */
  async forTaxonomy(taxonomy: TaxonomyInput, context: RequestContext): Promise<LabelVectorsOfModel> {
    const labels = taxonomy.attributes.flatMap((attribute) =>
      attribute.labels.map((label) => ({
        attribute: attribute.name,
        label: label.label,
        name: `attribute "${attribute.name}" label "${label.label}"`,
        prompts: promptsOf(attribute, label),
      })),
    );
    return this.embed(labels, context);
  }

  /** Ad-hoc candidate labels (POST /v1/classify), each prompted with `attribute`'s template (or the default). */
  async forLabels(labels: readonly string[], attribute: Pick<TaxonomyAttribute, 'name' | 'template'>, context: RequestContext): Promise<LabelVectorsOfModel> {
    const shaped: TaxonomyAttribute = { name: attribute.name, template: attribute.template, mode: 'single', threshold: 0, labels: [] };
    return this.embed(
      labels.map((label, index) => ({ attribute: attribute.name, label, name: `labels[${index}] "${label}"`, prompts: promptsOf(shaped, { label }) })),
      context,
    );
  }

  private async embed(labels: LabelPrompts[], context: RequestContext): Promise<LabelVectorsOfModel> {
    // The model first: vectors embedded during a rollout are labelled with the model that answered the check.
    const { model } = await this.modelSettings.current(context);
    const texts = labels.flatMap((label) => label.prompts);
    await this.refuseUnknownWords(labels, texts, context);
    const vectors: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += LABEL_TEXTS_PER_CALL) {
      vectors.push(...(await this.embedder.embedLabelTexts(texts.slice(start, start + LABEL_TEXTS_PER_CALL), context)));
    }
    let next = 0;
    const labelVectors: LabelVector[] = labels.map(({ attribute, label, name, prompts }) => {
      const promptVectors = vectors.slice(next, next + prompts.length);
      next += prompts.length;
      return { attribute, label, vector: ensembleLabelVector(promptVectors, name) };
    });
    return { labelVectors, modelId: model.modelId, logitScale: model.logitScale };
  }

  /** One vocabulary call for every prompt; the error lists every label with unknown words, not just the first. */
  private async refuseUnknownWords(labels: LabelPrompts[], texts: string[], context: RequestContext): Promise<void> {
    const unknownPerText: string[][] = [];
    for (let start = 0; start < texts.length; start += LABEL_TEXTS_PER_CALL) {
      unknownPerText.push(...(await this.embedder.findUnknownWords(texts.slice(start, start + LABEL_TEXTS_PER_CALL), context)));
    }
    const problems: string[] = [];
    let next = 0;
    for (const label of labels) {
      const unknown = new Set(unknownPerText.slice(next, next + label.prompts.length).flat());
      next += label.prompts.length;
      if (unknown.size > 0) problems.push(`${label.name}: ${[...unknown].map((word) => `"${word}"`).join(', ')}`);
    }
    if (problems.length > 0) {
      throw new InvalidRequestError(
        'unknown_words',
        `words outside the model's vocabulary would be read as [UNK] (noise): ${problems.join('; ')}; use words the model knows or other prompts`,
      );
    }
  }
}
