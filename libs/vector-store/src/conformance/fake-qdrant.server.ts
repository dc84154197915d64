/**
 * A small stand-in for a Qdrant 1.19 server over real HTTP (node:http), for
 * tests on machines where Qdrant cannot run: it records every request (for
 * the contract check against Qdrant's OpenAPI spec) and answers the REST
 * endpoints the Qdrant adapter uses with Qdrant's envelopes, keeping enough
 * state (collections, aliases, points, payload filters with must, must_not,
 * should, min_should, is_empty and nested filters, cosine query groups,
 * counts, scrolls in point-id order with offsets, insert-only and conditional (update_filter) upserts,
 * conditional vector updates, batches of payload and vector updates) for the adapter to run the conformance suite. It is our
 * reading of Qdrant's documented behaviour, not Qdrant: the real server is
 * covered by the conformance run whenever QDRANT_URL is set.
 *
 * The Query API as Qdrant 1.19 documents it: nearest by a dense vector
 * (cosine, `score_threshold` keeps scores >= it) or a sparse one (dot product
 * over shared indices, only points sharing one; with the vector's `idf`
 * modifier each query weight is multiplied by ln((N − n + 0.5) / (n + 0.5) + 1),
 * n the points holding the index, N every point of the collection), and
 * `prefetch` fused by `rrf`: each prefetch (its own filter, threshold and
 * limit) adds 1 / ((position + 1) / weight + k − 1) per point, positions from 0,
 * k 2 unless given; ties by point id. Grouping takes each group's best points
 * in that order.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  body: unknown;
}

type Payload = Record<string, unknown>;
interface SparseVector {
  indices: number[];
  values: number[];
}
interface StoredPoint {
  id: string | number;
  vector: Record<string, number[] | SparseVector>;
  payload: Payload;
}
interface Scored {
  point: StoredPoint;
  score: number;
}
/** The Query API fields the fake reads (QueryRequest, Prefetch, QueryGroupsRequest). */
interface QueryBody {
  prefetch?: QueryBody | QueryBody[] | null;
  query?: number[] | SparseVector | { rrf: { k?: number | null; weights?: number[] | null } } | { fusion: string } | null;
  using?: string | null;
  filter?: Filter;
  score_threshold?: number | null;
  limit?: number | null;
  offset?: number | null;
  with_payload?: unknown;
  with_vector?: unknown;
}
interface FakeCollection {
  config: Record<string, unknown>;
  points: Map<string, StoredPoint>;
}
type FieldCondition = {
  key?: string;
  is_empty?: { key: string };
  match?: { value?: unknown; any?: unknown[] };
  range?: { gte?: number | null; lte?: number | null; gt?: number | null; lt?: number | null };
};
type NestedFilter = { must?: Condition[]; must_not?: Condition[]; should?: Condition[]; min_should?: { conditions: Condition[]; min_count: number } };
/** A field condition or a nested filter (Qdrant's Condition allows both). */
type Condition = FieldCondition & NestedFilter;
type Filter = NestedFilter | null | undefined;

export class FakeQdrantServer {
  readonly requests: RecordedRequest[] = [];
  /** Awaited before each request is answered: lets a test put another writer's request between an adapter's read and its write. */
  beforeAnswer: ((request: RecordedRequest) => Promise<void>) | undefined;
  private readonly collections = new Map<string, FakeCollection>();
  private readonly aliases = new Map<string, string>();
  private server: Server | undefined;
  private operation = 0;

  get url(): string {
    const address = this.server?.address();
    if (!address || typeof address === 'string') throw new Error('fake Qdrant is not listening');
    return `http://127.0.0.1:${address.port}`;
  }

  async start(port = 0): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const url = new URL(request.url ?? '/', 'http://fake');
    const body = text ? (JSON.parse(text) as unknown) : undefined;
    const method = request.method ?? 'GET';
    const recorded: RecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), body };
    this.requests.push(recorded);
    try {
      await this.beforeAnswer?.(recorded);
      const [status, result] = this.route(method, url.pathname, (body ?? {}) as Record<string, unknown>);
      const envelope = status < 300 ? { result, status: 'ok', time: 0.0001 } : { status: { error: result }, time: 0.0001 };
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(envelope));
    } catch (error) {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ status: { error: String(error) }, time: 0 }));
    }
  }

  private route(method: string, path: string, body: Record<string, unknown>): [number, unknown] {
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (method === 'GET' && path === '/') return [200, { title: 'qdrant - vector search engine', version: '1.19.0' }];
    if (method === 'GET' && path === '/collections') return [200, { collections: [...this.collections.keys()].map((name) => ({ name })) }];
    if (method === 'GET' && path === '/aliases')
      return [200, { aliases: [...this.aliases.entries()].map(([alias_name, collection_name]) => ({ alias_name, collection_name })) }];
    if (method === 'POST' && path === '/collections/aliases') return this.changeAliases(body);
    if (parts[0] !== 'collections' || parts.length < 2) return [404, `Not found: ${method} ${path}`];

    const name = parts[1];
    const rest = parts.slice(2).join('/');
    if (method === 'PUT' && rest === '') {
      if (this.collections.has(name)) return [409, `Wrong input: Collection \`${name}\` already exists!`];
      this.collections.set(name, { config: body, points: new Map() });
      return [200, true];
    }
    const collection = this.collections.get(this.aliases.get(name) ?? name);
    if (!collection) return [404, `Not found: Collection \`${name}\` doesn't exist!`];
    const update = () => ({ operation_id: ++this.operation, status: 'completed' });

    switch (`${method} ${rest}`) {
      case 'GET ':
        return [200, this.info(collection)];
      case 'DELETE ':
        this.collections.delete(name);
        return [200, true];
      case 'PUT index':
        return [200, update()];
      case 'PUT points': {
        // update_mode: insert_only leaves an existing point as it is, update_only inserts nothing;
        // update_filter: an existing point is replaced only where its payload matches, a new one is inserted.
        const mode = String(body.update_mode ?? 'upsert');
        for (const point of body.points as StoredPoint[]) {
          const unknownVector = Object.keys(point.vector ?? {}).find((vectorName) => !this.hasVector(collection, vectorName));
          if (unknownVector !== undefined) return [400, `Wrong input: Not existing vector name error: ${unknownVector}`];
          const existing = collection.points.get(String(point.id));
          if ((mode === 'insert_only' && existing) || (mode === 'update_only' && !existing)) continue;
          if (existing && body.update_filter && !matches(existing.payload, body.update_filter)) continue;
          collection.points.set(String(point.id), { id: point.id, vector: point.vector ?? {}, payload: point.payload ?? {} });
        }
        return [200, update()];
      }
      case 'PUT points/vectors': {
        const failure = this.updateVectors(collection, body);
        return failure ?? [200, update()];
      }
      case 'POST points/delete':
        for (const point of this.select(collection, body)) collection.points.delete(String(point.id));
        return [200, update()];
      case 'POST points/payload':
        for (const point of this.select(collection, body)) Object.assign(point.payload, body.payload as Payload);
        return [200, update()];
      case 'POST points/batch': {
        // Applied in order, as Qdrant applies a batch's operations; the fake knows the operations the adapter sends.
        const results: unknown[] = [];
        for (const operation of body.operations as Array<Record<string, Record<string, unknown>>>) {
          if (operation.set_payload) {
            for (const point of this.select(collection, operation.set_payload)) Object.assign(point.payload, operation.set_payload.payload as Payload);
          } else if (operation.update_vectors) {
            const failure = this.updateVectors(collection, operation.update_vectors);
            if (failure) return failure;
          } else {
            throw new Error(`the fake Qdrant's batch knows set_payload and update_vectors only, got ${Object.keys(operation).join(', ')}`);
          }
          results.push(update());
        }
        return [200, results];
      }
      case 'POST points':
        return [
          200,
          (body.ids as Array<string | number>).flatMap((id) => {
            const point = collection.points.get(String(id));
            return point ? [this.view(point, body.with_payload ?? true, body.with_vector, undefined)] : [];
          }),
        ];
      case 'POST points/scroll': {
        // In point-id order from `offset` (inclusive); next_page_offset is the first point of the next page.
        const limit = Number(body.limit ?? 10);
        const from = body.offset as string | number | null | undefined;
        const points = [...collection.points.values()]
          .filter((point) => matches(point.payload, body.filter as Filter))
          .sort((a, b) => comparePointIds(a.id, b.id))
          .filter((point) => from == null || comparePointIds(point.id, from) >= 0);
        return [
          200,
          {
            points: points.slice(0, limit).map((point) => this.view(point, body.with_payload ?? true, body.with_vector, undefined)),
            next_page_offset: points[limit]?.id ?? null,
          },
        ];
      }
      case 'POST points/count':
        return [200, { count: [...collection.points.values()].filter((point) => matches(point.payload, body.filter as Filter)).length }];
      case 'POST points/query':
        return [200, { points: this.queryPoints(collection, body) }];
      case 'POST points/query/batch':
        return [200, (body.searches as QueryBody[]).map((search) => ({ points: this.queryPoints(collection, search) }))];
      case 'POST points/query/groups':
        return [200, this.queryGroups(collection, body)];
      default:
        return [404, `Not found: ${method} ${path}`];
    }
  }

  /** UpdateVectors: each listed point's named vectors replaced, only where it passes `update_filter`; undefined when it worked. */
  private updateVectors(collection: FakeCollection, body: Record<string, unknown>): [number, unknown] | undefined {
    for (const update of body.points as Array<{ id: string | number; vector: Record<string, number[] | SparseVector> }>) {
      const point = collection.points.get(String(update.id));
      if (!point) return [404, `Not found: No point with id ${update.id} found`];
      const unknownVector = Object.keys(update.vector).find((vectorName) => !this.hasVector(collection, vectorName));
      if (unknownVector !== undefined) return [400, `Wrong input: Not existing vector name error: ${unknownVector}`];
      if (matches(point.payload, body.update_filter as Filter)) Object.assign(point.vector, update.vector);
    }
    return undefined;
  }

  private changeAliases(body: Record<string, unknown>): [number, unknown] {
    const next = new Map(this.aliases);
    for (const action of body.actions as Array<Record<string, Record<string, string>>>) {
      if (action.delete_alias) {
        if (!next.has(action.delete_alias.alias_name)) return [404, `Not found: Alias ${action.delete_alias.alias_name} does not exist!`];
        next.delete(action.delete_alias.alias_name);
      } else if (action.create_alias) {
        if (!this.collections.has(action.create_alias.collection_name))
          return [404, `Not found: Collection ${action.create_alias.collection_name} doesn't exist!`];
        next.set(action.create_alias.alias_name, action.create_alias.collection_name);
      }
    }
    // All actions or none, as Qdrant does.
    this.aliases.clear();
    for (const [alias, target] of next) this.aliases.set(alias, target);
    return [200, true];
  }

  private info(collection: FakeCollection): unknown {
    return {
      status: 'green',
      optimizer_status: 'ok',
      indexed_vectors_count: 0,
      points_count: collection.points.size,
      segments_count: 1,
      config: {
        params: {
          vectors: collection.config.vectors,
          sparse_vectors: collection.config.sparse_vectors ?? undefined,
          shard_number: 1,
          replication_factor: 1,
          write_consistency_factor: 1,
          on_disk_payload: true,
        },
        hnsw_config: {
          m: 16,
          ef_construct: 100,
          full_scan_threshold: 10000,
          max_indexing_threads: 0,
          on_disk: false,
          ...(collection.config.hnsw_config as object),
        },
        optimizer_config: { deleted_threshold: 0.2, vacuum_min_vector_number: 1000, default_segment_number: 0, flush_interval_sec: 5 },
        wal_config: { wal_capacity_mb: 32, wal_segments_ahead: 0 },
        quantization_config: collection.config.quantization_config ?? null,
        metadata: collection.config.metadata ?? null,
      },
      payload_schema: {},
    };
  }

  private select(collection: FakeCollection, body: Record<string, unknown>): StoredPoint[] {
    if (Array.isArray(body.points)) return body.points.flatMap((id) => collection.points.get(String(id)) ?? []);
    return [...collection.points.values()].filter((point) => matches(point.payload, body.filter as Filter));
  }

  private hasVector(collection: FakeCollection, vectorName: string): boolean {
    const dense = collection.config.vectors as Record<string, unknown> | undefined;
    const sparse = collection.config.sparse_vectors as Record<string, unknown> | undefined;
    return Boolean(dense?.[vectorName] ?? sparse?.[vectorName]);
  }

  /** A point as the API returns it; `with_payload` may list the keys to return (PayloadSelector's include as a list). */
  private view(point: StoredPoint, withPayload: unknown, withVector: unknown, score: number | undefined): Record<string, unknown> {
    const vector =
      withVector === true
        ? point.vector
        : Array.isArray(withVector)
          ? Object.fromEntries(withVector.filter((name) => point.vector[name]).map((name) => [name, point.vector[name]]))
          : undefined;
    const payload =
      withPayload === false || withPayload == null
        ? null
        : Array.isArray(withPayload)
          ? Object.fromEntries(withPayload.filter((key) => key in point.payload).map((key) => [key, point.payload[key]]))
          : point.payload;
    return { id: point.id, version: 1, ...(score !== undefined ? { score } : {}), payload, ...(vector ? { vector } : {}) };
  }

  /** `POST points/query`: the ranked points, paged by offset and limit. */
  private queryPoints(collection: FakeCollection, body: QueryBody): Record<string, unknown>[] {
    const offset = Number(body.offset ?? 0);
    return this.ranked(collection, body)
      .slice(offset, offset + Number(body.limit ?? 10))
      .map(({ point, score }) => this.view(point, body.with_payload ?? false, body.with_vector, score));
  }

  /** Every point a query (or prefetch) ranks, best first, before its own limit. */
  private ranked(collection: FakeCollection, body: QueryBody): Scored[] {
    const prefetches = body.prefetch == null ? [] : Array.isArray(body.prefetch) ? body.prefetch : [body.prefetch];
    let scored: Scored[];
    if (prefetches.length > 0) {
      const query = body.query as { rrf?: { k?: number | null; weights?: number[] | null }; fusion?: string } | null | undefined;
      if (!query || !(query.rrf || query.fusion === 'rrf')) throw new Error('the fake Qdrant fuses prefetches by rrf only');
      const lists = prefetches.map((prefetch) => this.ranked(collection, prefetch).slice(0, Number(prefetch.limit ?? 10)));
      scored = fuseByRrf(lists, query.rrf?.k ?? 2, query.rrf?.weights ?? undefined).filter(({ point }) => matches(point.payload, body.filter));
    } else {
      const using = String(body.using ?? '');
      const query = body.query;
      if (Array.isArray(query)) scored = this.nearestDense(collection, using, query, body.filter);
      else if (query && 'indices' in query) scored = this.nearestSparse(collection, using, query, body.filter);
      else throw new Error('the fake Qdrant answers nearest (dense or sparse) and rrf queries only');
    }
    const threshold = body.score_threshold;
    return threshold == null ? scored : scored.filter(({ score }) => score >= threshold);
  }

  private nearestDense(collection: FakeCollection, using: string, query: number[], filter: Filter): Scored[] {
    const norm = Math.hypot(...query);
    return sortScored(
      [...collection.points.values()]
        .filter((point) => Array.isArray(point.vector[using]) && matches(point.payload, filter))
        .map((point) => {
          const vector = point.vector[using] as number[];
          return { point, score: vector.reduce((sum, value, i) => sum + value * query[i], 0) / (norm * Math.hypot(...vector)) };
        }),
    );
  }

  private nearestSparse(collection: FakeCollection, using: string, query: SparseVector, filter: Filter): Scored[] {
    const config = (collection.config.sparse_vectors as Record<string, { modifier?: string | null }> | undefined)?.[using];
    if (!config) throw new Error(`Wrong input: Not existing vector name error: ${using}`);
    const sparseOf = (point: StoredPoint) => {
      const vector = point.vector[using];
      return vector && !Array.isArray(vector) ? vector : undefined;
    };
    const weights = new Map(query.indices.map((index, i) => [index, query.values[i]]));
    if (config.modifier === 'idf') {
      const total = collection.points.size;
      for (const index of weights.keys()) {
        const holding = [...collection.points.values()].filter((point) => sparseOf(point)?.indices.includes(index)).length;
        weights.set(index, (weights.get(index) as number) * Math.log((total - holding + 0.5) / (holding + 0.5) + 1));
      }
    }
    const scored: Scored[] = [];
    for (const point of collection.points.values()) {
      const vector = sparseOf(point);
      if (!vector || !matches(point.payload, filter)) continue;
      let score = 0;
      let shared = false;
      vector.indices.forEach((index, i) => {
        if (!weights.has(index)) return;
        shared = true;
        score += (weights.get(index) as number) * vector.values[i];
      });
      if (shared) scored.push({ point, score });
    }
    return sortScored(scored);
  }

  private queryGroups(collection: FakeCollection, body: Record<string, unknown>): unknown {
    const scored = this.ranked(collection, body);
    const groups = new Map<string, Scored[]>();
    for (const entry of scored) {
      const key = String(entry.point.payload[String(body.group_by)]);
      const group = groups.get(key) ?? [];
      if (!groups.has(key)) groups.set(key, group);
      if (group.length < Number(body.group_size ?? 3)) group.push(entry);
    }
    return {
      groups: [...groups.entries()]
        .slice(0, Number(body.limit ?? 10))
        .map(([id, hits]) => ({ id, hits: hits.map(({ point, score }) => this.view(point, body.with_payload, body.with_vector, score)) })),
    };
  }
}

function matches(payload: Payload, filter: Filter): boolean {
  if (!filter) return true;
  const test = (condition: Condition): boolean => {
    if (condition.is_empty) {
      // Qdrant: the key is absent, null or an empty array.
      const value = payload[condition.is_empty.key];
      return value == null || (Array.isArray(value) && value.length === 0);
    }
    if (condition.key === undefined) return matches(payload, condition);
    const raw = payload[condition.key];
    const values = Array.isArray(raw) ? raw : [raw];
    if (condition.match) {
      if ('value' in condition.match) return values.some((value) => value === condition.match!.value);
      if (condition.match.any) return values.some((value) => condition.match!.any!.includes(value));
    }
    if (condition.range) {
      const { gte, lte, gt, lt } = condition.range;
      return values.some(
        (value) =>
          typeof value === 'number' &&
          (gte == null || value >= gte) &&
          (lte == null || value <= lte) &&
          (gt == null || value > gt) &&
          (lt == null || value < lt),
      );
    }
    return false;
  };
  const minShould = filter.min_should;
  return (
    (filter.must ?? []).every(test) &&
    !(filter.must_not ?? []).some(test) &&
    (!filter.should?.length || filter.should.some(test)) &&
    (!minShould || minShould.conditions.filter(test).length >= minShould.min_count)
  );
}

/** Qdrant's point order: integer ids first, ascending, then UUIDs (by value, which is their canonical lower-case text order). */
function comparePointIds(a: string | number, b: string | number): number {
  if (typeof a === 'number' || typeof b === 'number') {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    return typeof a === 'number' ? -1 : 1;
  }
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Best first; ties by point id, so answers do not depend on insertion order. */
function sortScored(scored: Scored[]): Scored[] {
  return scored.sort((a, b) => b.score - a.score || (String(a.point.id) < String(b.point.id) ? -1 : String(a.point.id) > String(b.point.id) ? 1 : 0));
}

/** Qdrant's rrf: 1 / ((position + 1) / weight + k − 1) per list a point is in, positions from 0. */
function fuseByRrf(lists: Scored[][], k: number, weights: number[] | undefined): Scored[] {
  if (weights && weights.length !== lists.length) throw new Error(`Wrong input: rrf has ${weights.length} weights for ${lists.length} prefetches`);
  const fused = new Map<string, Scored>();
  lists.forEach((list, listIndex) => {
    const weight = weights?.[listIndex] ?? 1;
    list.forEach(({ point }, position) => {
      const entry = fused.get(String(point.id)) ?? { point, score: 0 };
      entry.score += 1 / ((position + 1) / weight + k - 1);
      fused.set(String(point.id), entry);
    });
  });
  return sortScored([...fused.values()]);
}
