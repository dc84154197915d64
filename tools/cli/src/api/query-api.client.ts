/**
 * The query API over HTTP, as the CLI uses it: text and photo search, describing
 * a photo and asking about one, reindex requests and their progress, readiness. Transport failures become
 * `ApiUnreachableError` (with a hint to start the stack), error answers become
 * `ApiResponseError` carrying the API's own code and message.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { GateReport, GenerationInfo, SearchMode, SearchSort } from '@vsearch/contracts';
import { CliError } from '../cli/errors';

export interface SearchFilters {
  category?: string[];
  brand?: string[];
  minPrice?: number;
  maxPrice?: number;
  inStock?: boolean;
  limit?: number;
  offset?: number;
  sort?: SearchSort;
}

/** Text search only: how the words are matched (the API's default is `hybrid`). */
export interface TextSearchOptions extends SearchFilters {
  mode?: SearchMode;
}

export interface SearchResult {
  productId: string;
  score: number;
  vectorScore?: number;
  keywordScore?: number;
  title: string;
  imageUrl: string;
  matchedImageId?: string;
  price: { amount: number; currency: string };
  categories: string[];
  brand?: string;
  inStock?: boolean;
}

interface FacetCount {
  value: string;
  count: number;
}

export interface SearchResponse {
  results: SearchResult[];
  /** Products matched; absent for "more like this". */
  total?: number;
  /** `total` is the API's count cap: more matched. */
  totalIsLowerBound?: boolean;
  /** The ranking `score` comes from. */
  mode?: SearchMode;
  facets?: { categories: FacetCount[]; brands: FacetCount[]; priceBands?: FacetCount[]; stock?: FacetCount[] };
  tookMs: number;
  model: string;
}

export type ReindexState = 'queued' | 'running' | 'catching-up' | 'gating' | 'swapping' | 'done' | 'failed';

export interface ReindexJob {
  jobId: string;
  state: ReindexState;
  total: number;
  done: number;
  /** A rollback's catch-up: products its target generation lacked or held stale, written or deleted there so far. */
  caughtUp?: number;
  collection: string;
  previousCollection?: string;
  error?: string;
  startedAt?: string;
  finishedAt?: string;
  /** Each gate's figures, once a whole-catalog rebuild's generation was checked. */
  gates?: GateReport;
  kind?: 'rebuild' | 'refresh' | 'rollback';
  /** The ingestion replica running the job, and its last sign of life. */
  replicaId?: string;
  heartbeatAt?: string;
  /** True when that replica has been silent too long (it stopped; another one takes the job over). */
  stalled?: boolean;
}

export interface TaxonomyStored {
  taxonomyVersion: number;
  queued: boolean;
  message: string;
}

export interface TaggingStatus {
  taxonomy?: { version: number; createdAt: string; attributes: Array<{ name: string; mode: string; threshold: number; labels: Array<{ label: string }> }> };
  modelId?: string;
  state: 'idle' | 'tagging' | 'done' | 'failed';
  productsTagged: number;
  productsTotal: number;
  error?: string;
  queuedVersion?: number;
}

export interface TagPreview {
  attribute: string;
  labels: Array<{ label: string; productCount: number; products: Array<{ productId: string; title: string; confidence: number }> }>;
}

export interface Readiness {
  /** HTTP status of /readyz (200 ready, 503 not). */
  httpStatus: number;
  status: 'ready' | 'not_ready';
  dependencies: Record<string, 'up' | 'down'>;
  missing: string[];
}

/** A photo named on the command line: a local file or an http(s) URL. */
export type PhotoArgument = { kind: 'file'; file: string } | { kind: 'url'; imageUrl: string };

/** POST /v1/describe's answer. */
export interface DescribeResponse {
  description: string;
  attributes: { category?: string; colour?: string; pattern?: string };
  finishReason: string;
  model: string;
}

/** POST /v1/ask's answer. */
export interface AskResponse {
  answer: string;
  answerable: boolean;
  unknownWords: string[];
  model: string;
}

export class ApiUnreachableError extends CliError {
  constructor(
    readonly baseUrl: string,
    cause: string,
  ) {
    super(`cannot reach the query API at ${baseUrl} (${cause}); is the stack running? Start it with \`npm start\`, or point --api-url / VSEARCH_API_URL at it`);
    this.name = 'ApiUnreachableError';
  }
}

export class ApiResponseError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`the query API answered ${status} ${code}: ${message}`);
    this.name = 'ApiResponseError';
  }
}

export interface QueryApiClientOptions {
  apiKey?: string;
  timeoutMs?: number;
}

const IMAGE_TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.png': 'image/png', '.webp': 'image/webp' };

export class QueryApiClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    private readonly options: QueryApiClientOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  async searchText(query: string, options: TextSearchOptions = {}): Promise<SearchResponse> {
    const params = filterParams(options);
    params.set('q', query);
    if (options.mode !== undefined) params.set('mode', options.mode);
    return this.json<SearchResponse>('GET', `/v1/search?${params}`);
  }

  async searchImageFile(file: string, filters: SearchFilters = {}): Promise<SearchResponse> {
    return this.json<SearchResponse>('POST', `/v1/search/image?${filterParams(filters)}`, await imageForm(file));
  }

  /** POST /v1/describe: a local photo or an http(s) URL. */
  async describe(photo: PhotoArgument): Promise<DescribeResponse> {
    return this.json<DescribeResponse>('POST', '/v1/describe', photo.kind === 'file' ? await imageForm(photo.file) : { imageUrl: photo.imageUrl });
  }

  /** POST /v1/ask: a question about a local photo, an http(s) URL or a stored product. */
  async ask(subject: PhotoArgument | { kind: 'product'; productId: string }, question: string): Promise<AskResponse> {
    if (subject.kind === 'file') return this.json<AskResponse>('POST', `/v1/ask?${new URLSearchParams({ question })}`, await imageForm(subject.file));
    const target = subject.kind === 'url' ? { imageUrl: subject.imageUrl } : { productId: subject.productId };
    return this.json<AskResponse>('POST', '/v1/ask', { ...target, question });
  }

  async searchImageUrl(imageUrl: string, filters: SearchFilters = {}): Promise<SearchResponse> {
    return this.json<SearchResponse>('POST', `/v1/search/image?${filterParams(filters)}`, { imageUrl });
  }

  async similar(productId: string, limit?: number): Promise<SearchResponse> {
    const params = new URLSearchParams();
    if (limit !== undefined) params.set('limit', String(limit));
    return this.json<SearchResponse>('GET', `/v1/products/${encodeURIComponent(productId)}/similar?${params}`);
  }

  async requestReindex(body: { categories?: string[]; reason?: string; modelId?: string; force?: { reason: string } } = {}): Promise<{ jobId: string }> {
    return this.json<{ jobId: string }>('POST', '/v1/admin/reindex', body);
  }

  /** Every index generation: live, building, retained (a rollback target), rejected (failed its gates). */
  async listGenerations(): Promise<GenerationInfo[]> {
    return (await this.json<{ generations: GenerationInfo[] }>('GET', '/v1/admin/generations')).generations;
  }

  /** Asks ingestion to swap the alias back to the previous generation, or to `to`; a job like a reindex. */
  async requestRollback(body: { to?: string; reason?: string } = {}): Promise<{ jobId: string }> {
    return this.json<{ jobId: string }>('POST', '/v1/admin/rollback', body);
  }

  /** Stores a golden query set (JSONL text; the API names each bad line). */
  async putGoldenQueries(jsonl: string): Promise<{ queries: number; updatedAt: string }> {
    return this.json<{ queries: number; updatedAt: string }>('PUT', '/v1/admin/golden-queries', new TextBody(jsonl, 'application/jsonl'));
  }

  /** The stored golden query set as JSONL (empty when none is stored). */
  async goldenQueries(): Promise<string> {
    return this.text('GET', '/v1/admin/golden-queries');
  }

  async reindexProgress(jobId: string): Promise<ReindexJob> {
    return this.json<ReindexJob>('GET', `/v1/admin/reindex/${encodeURIComponent(jobId)}`);
  }

  /** Stores a taxonomy (JSON value) as the next version; the API re-tags every product from its stored vectors. */
  async putTaxonomy(taxonomy: unknown): Promise<TaxonomyStored> {
    return this.json<TaxonomyStored>('PUT', '/v1/admin/taxonomy', taxonomy as object);
  }

  /** The active taxonomy and the re-tag's progress. */
  async taggingStatus(): Promise<TaggingStatus> {
    return this.json<TaggingStatus>('GET', '/v1/admin/taxonomy');
  }

  /** Per label of `attribute`: the products it tags, of the stored taxonomy or of `candidate` (not applied). */
  async previewTags(attribute: string, limit: number, candidate?: unknown): Promise<TagPreview> {
    const query = new URLSearchParams({ attribute, limit: String(limit) });
    if (candidate === undefined) return this.json<TagPreview>('GET', `/v1/admin/tags/preview?${query}`);
    return this.json<TagPreview>('POST', `/v1/admin/tags/preview?${query}`, candidate as object);
  }

  /** Embeds the stored taxonomy again with the model served now and re-tags every product. */
  async applyTags(): Promise<TaxonomyStored> {
    return this.json<TaxonomyStored>('POST', '/v1/admin/tags/apply');
  }

  /** Every tag as CSV (product_id,attribute,label,confidence). */
  async exportTags(): Promise<string> {
    return this.text('GET', '/v1/admin/tags/export');
  }

  /** /readyz: 200 and 503 both carry the dependency map. */
  async readiness(): Promise<Readiness> {
    const response = await this.send('GET', '/readyz');
    const body = (await response.json().catch(() => ({}))) as Partial<Readiness>;
    return {
      httpStatus: response.status,
      status: body.status ?? (response.ok ? 'ready' : 'not_ready'),
      dependencies: body.dependencies ?? {},
      missing: body.missing ?? [],
    };
  }

  /** A text body (CSV, JSONL), or the API's error. */
  private async text(method: string, route: string): Promise<string> {
    const response = await this.send(method, route);
    const text = await response.text();
    if (!response.ok) {
      let error: { code?: string; message?: string } | undefined;
      try {
        error = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
      } catch {
        error = undefined;
      }
      throw new ApiResponseError(response.status, error?.code ?? 'error', error?.message ?? (text.slice(0, 200) || response.statusText));
    }
    return text;
  }

  private async json<T>(method: string, route: string, body?: RequestBody): Promise<T> {
    const response = await this.send(method, route, body);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ApiResponseError(response.status, error?.code ?? 'error', error?.message ?? (text.slice(0, 200) || response.statusText));
    }
    if (parsed === undefined) throw new CliError(`the query API answered ${method} ${route} with a body that is not JSON`);
    return parsed as T;
  }

  private async send(method: string, route: string, body?: RequestBody): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.options.apiKey) headers['x-api-key'] = this.options.apiKey;
    let payload: FormData | string | undefined;
    if (body instanceof FormData) payload = body;
    else if (body instanceof TextBody) {
      headers['content-type'] = body.contentType;
      payload = body.text;
    } else if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    try {
      return await fetch(`${this.baseUrl}${route}`, { method, headers, body: payload, signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
    } catch (error) {
      throw new ApiUnreachableError(this.baseUrl, describeFetchError(error));
    }
  }
}

/** A body sent as it is, with its media type (JSONL, say); any other object is sent as JSON. */
class TextBody {
  constructor(
    readonly text: string,
    readonly contentType: string,
  ) {}
}

type RequestBody = FormData | TextBody | object;

/** A multipart form with the file as `image`. */
async function imageForm(file: string): Promise<FormData> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new CliError(`cannot read the image ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)], { type: imageType(file, bytes) }), path.basename(file));
  return form;
}

function filterParams(filters: SearchFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const category of filters.category ?? []) params.append('category', category);
  for (const brand of filters.brand ?? []) params.append('brand', brand);
  if (filters.minPrice !== undefined) params.set('minPrice', String(filters.minPrice));
  if (filters.maxPrice !== undefined) params.set('maxPrice', String(filters.maxPrice));
  if (filters.inStock !== undefined) params.set('inStock', String(filters.inStock));
  if (filters.limit !== undefined) params.set('limit', String(filters.limit));
  if (filters.offset !== undefined) params.set('offset', String(filters.offset));
  if (filters.sort !== undefined) params.set('sort', filters.sort);
  return params;
}

/** The content type from the magic bytes, else from the extension (the API checks it again). */
function imageType(file: string, bytes: Buffer): string {
  if (bytes.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return IMAGE_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

function describeFetchError(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return 'timed out';
  return err.cause?.code ?? err.cause?.message ?? err.message;
}
