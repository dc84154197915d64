/**
 * Probes of a running stack, for `vsearch status` and for `npm start` waiting
 * until it is ready: each answers up/down with details and never throws.
 * HTTP services by /healthz and /readyz, the embedder by GetModelInfo, the
 * search service by ListCollections (collections, aliases, model ids, counts).
 */
import * as grpc from '@grpc/grpc-js';
import { PRODUCTS_ALIAS, type CollectionInfo } from '@vsearch/contracts';
import { EmbedderClient, SearchClient } from '@vsearch/grpc-clients';

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

export interface SearchProbe {
  state: 'up' | 'down';
  address: string;
  collections?: CollectionInfo[];
  error?: string;
}

export async function probeSearch(address: string, timeoutMs = 3000): Promise<SearchProbe> {
  const client = new SearchClient({ address, defaultDeadlineMs: timeoutMs });
  try {
    return { state: 'up', address, collections: await client.listCollections() };
  } catch (error) {
    return { state: 'down', address, error: describe(error) };
  } finally {
    client.close();
  }
}

/** The collection serving searches: the one the `products` alias points at. */
export function servingCollection(collections: CollectionInfo[] | undefined, alias = PRODUCTS_ALIAS): CollectionInfo | undefined {
  return collections?.find((collection) => collection.aliases.includes(alias));
}

function describe(error: unknown): string {
  const err = error as Error & { cause?: { code?: string }; details?: string; code?: number };
  if (err.name === 'TimeoutError') return 'timed out';
  if (typeof err.code === 'number' && err.details !== undefined) return `${grpc.status[err.code] ?? err.code}: ${err.details}`;
  return err.cause?.code ?? err.message;
}
