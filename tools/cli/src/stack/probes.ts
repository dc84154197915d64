/**
 * Probes of a running stack, for `vsearch status` and for `npm start` waiting
 * until it is ready: each answers up/down with details and never throws.
 * HTTP services by /healthz and /readyz, the embedder by GetModelInfo, the
 * search service by ListCollections (collections, aliases, model ids, counts).
 */
import * as grpc from '@grpc/grpc-js';
import { EmbedderClient } from '@vsearch/grpc-clients';
import { clientChannelOptions, grpcTarget } from '@vsearch/grpc-kit';
import { searchV1 } from '@vsearch/proto';

export interface HttpProbe {
  state: 'up' | 'down';
  url: string;
  ready?: boolean;
  /** /readyz's dependency map, when it has one. */
  dependencies?: Record<string, string>;
  error?: string;
}

export async function probeHttpService(baseUrl: string, timeoutMs = 3000): Promise<HttpProbe> {
  const url = baseUrl.replace(/\/+$/, '');
  try {
    const health = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!health.ok) return { state: 'down', url, error: `/healthz answered ${health.status}` };
    const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await ready.json().catch(() => ({}))) as { dependencies?: Record<string, string> };
    return { state: 'up', url, ready: ready.ok, dependencies: body.dependencies };
  } catch (error) {
    return { state: 'down', url, error: describe(error) };
  }
}

export interface EmbedderProbe {
  state: 'up' | 'down';
  address: string;
  modelId?: string;
  dimension?: number;
  executionProvider?: string;
  error?: string;
}

export async function probeEmbedder(address: string, timeoutMs = 3000): Promise<EmbedderProbe> {
  const client = new EmbedderClient({ address, defaultDeadlineMs: timeoutMs });
  try {
    const info = await client.getModelInfo();
    return { state: 'up', address, modelId: info.modelId, dimension: info.dimension, executionProvider: info.executionProvider };
  } catch (error) {
    return { state: 'down', address, error: describe(error) };
  } finally {
    client.close();
  }
}

export interface CollectionStatus {
  name: string;
  modelId: string;
  dimension: number;
  productCount: number;
  pointCount: number;
  aliases: string[];
}

export interface SearchProbe {
  state: 'up' | 'down';
  address: string;
  collections?: CollectionStatus[];
  error?: string;
}

const SearchGrpcClient = grpc.makeGenericClientConstructor(searchV1.SearchServiceService, 'visualsearch.search.v1.SearchService');

export async function probeSearch(address: string, timeoutMs = 3000): Promise<SearchProbe> {
  const client = new SearchGrpcClient(grpcTarget(address), grpc.credentials.createInsecure(), clientChannelOptions());
  try {
    const response = await new Promise<searchV1.ListCollectionsResponse>((resolve, reject) => {
      type ListCollections = (
        request: searchV1.ListCollectionsRequest,
        metadata: grpc.Metadata,
        options: grpc.CallOptions,
        callback: (error: grpc.ServiceError | null, response?: searchV1.ListCollectionsResponse) => void,
      ) => void;
      const listCollections = (client as unknown as { listCollections: ListCollections }).listCollections.bind(client);
      listCollections({}, new grpc.Metadata(), { deadline: Date.now() + timeoutMs }, (error, value) => (error ? reject(error) : resolve(value!)));
    });
    return {
      state: 'up',
      address,
      collections: response.collections.map((info) => ({
        name: info.name,
        modelId: info.modelId,
        dimension: info.dimension,
        productCount: Number(info.productCount),
        pointCount: Number(info.pointCount),
        aliases: [...info.aliases],
      })),
    };
  } catch (error) {
    return { state: 'down', address, error: describe(error) };
  } finally {
    client.close();
  }
}

/** The collection serving searches: the one the `products` alias points at. */
export function servingCollection(collections: CollectionStatus[] | undefined, alias = 'products'): CollectionStatus | undefined {
  return collections?.find((collection) => collection.aliases.includes(alias));
}

/** `products_v7` → 7 (the index generation). */
export function generationOf(collection: string): number | undefined {
  const match = /_v(\d+)$/.exec(collection);
  return match ? Number(match[1]) : undefined;
}

function describe(error: unknown): string {
  const err = error as Error & { cause?: { code?: string }; details?: string; code?: number };
  if (err.name === 'TimeoutError') return 'timed out';
  if (typeof err.code === 'number' && err.details !== undefined) return `${grpc.status[err.code] ?? err.code}: ${err.details}`;
  return err.cause?.code ?? err.message;
}
