/**
 * Fakes of the zero-shot tagging ports for unit tests: a label embedder whose vectors the test
 * chooses per text, and a tagging index that records what it was given. Like the other fakes, a
 * call the test did not set up fails loudly.
 */
import {
  DependencyUnavailableError,
  type LabelPreview,
  type LabelProbability,
  type ProductTagPage,
  type ProductTagRow,
  type PutTaggingResult,
  type StoredProduct,
  type TaggingInput,
  type TaggingStatus,
  type Taxonomy,
} from '@vsearch/contracts';
import { LabelTextEmbedder, TaggingIndex, type LabelVectorsOfModel, type RequestContext } from '../ports';

/** Texts embed to the vector set for them, else to one derived from the text (distinct texts, distinct directions). */
export class FakeLabelTextEmbedder extends LabelTextEmbedder {
  down = false;
  /** Words the fake model does not know. */
  unknownWords = new Set<string>();
  readonly vectors = new Map<string, Float32Array>();
  readonly embedCalls: string[][] = [];
  readonly vocabularyCalls: string[][] = [];

  async findUnknownWords(texts: readonly string[], _context: RequestContext): Promise<string[][]> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
    this.vocabularyCalls.push([...texts]);
    return texts.map((text) => [
      ...new Set(
        text
          .toLowerCase()
          .split(/\s+/)
          .filter((word) => this.unknownWords.has(word)),
      ),
    ]);
  }

  async embedLabelTexts(texts: readonly string[], _context: RequestContext): Promise<Float32Array[]> {
    if (this.down) throw new DependencyUnavailableError('embedder', 'connection refused');
    this.embedCalls.push([...texts]);
    return texts.map((text) => this.vectors.get(text) ?? hashedVector(text));
  }
}

function hashedVector(text: string): Float32Array {
  const vector = new Float32Array(4);
  for (let i = 0; i < text.length; i++) vector[i % 4] += text.charCodeAt(i) * (i + 1);
  return vector;
}

export class FakeTaggingIndex extends TaggingIndex {
  down = false;
  taxonomy?: Taxonomy;
  state: TaggingStatus['state'] = 'idle';
  /** PutTagging answers `queued` while this is true (a re-tag is running). */
  retagRunning = false;
  readonly puts: TaggingInput[] = [];
  readonly previews: { attribute: string; limit: number; candidate?: TaggingInput }[] = [];
  readonly classifications: { productId: string; labels: LabelVectorsOfModel }[] = [];
  products = new Map<string, StoredProduct>();
  /** Export pages, in order. */
  tagPages: ProductTagRow[][] = [];

  async putTagging(input: TaggingInput, _context: RequestContext): Promise<PutTaggingResult> {
    this.failIfDown();
    this.puts.push(input);
    const version = (this.taxonomy?.version ?? 0) + 1;
    this.taxonomy = { ...input.taxonomy, version, createdAt: '2026-01-01T00:00:00.000Z' };
    this.state = 'tagging';
    return { taxonomyVersion: version, queued: this.retagRunning };
  }

  async getTagging(_context: RequestContext): Promise<TaggingStatus> {
    this.failIfDown();
    return { taxonomy: this.taxonomy, state: this.state, productsTagged: 0, productsTotal: 0 };
  }

  async previewTags(attribute: string, limit: number, candidate: TaggingInput | undefined, _context: RequestContext): Promise<LabelPreview[]> {
    this.failIfDown();
    this.previews.push({ attribute, limit, candidate });
    return [{ label: 'striped', productCount: 1, products: [{ productId: 'p1', title: 'Product p1', imageUrl: 'http://img/p1.jpg', confidence: 0.9 }] }];
  }

  async listTags(page: { pageToken?: string; pageSize: number }, _context: RequestContext): Promise<ProductTagPage> {
    this.failIfDown();
    const index = page.pageToken ? Number(page.pageToken) : 0;
    const rows = this.tagPages[index] ?? [];
    return { rows, ...(index + 1 < this.tagPages.length ? { nextPageToken: String(index + 1) } : {}) };
  }

  async classifyProduct(productId: string, labels: LabelVectorsOfModel, _context: RequestContext): Promise<LabelProbability[] | undefined> {
    this.failIfDown();
    this.classifications.push({ productId, labels });
    if (!this.products.has(productId)) return undefined;
    const share = 1 / labels.labelVectors.length;
    return labels.labelVectors.map(({ label }) => ({ label, probability: share }));
  }

  async getProduct(productId: string, _context: RequestContext): Promise<StoredProduct | undefined> {
    this.failIfDown();
    return this.products.get(productId);
  }

  private failIfDown(): void {
    if (this.down) throw new DependencyUnavailableError('search', 'connection refused');
  }
}
