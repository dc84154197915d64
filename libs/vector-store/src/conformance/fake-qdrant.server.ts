/**
 * A small stand-in for a Qdrant 1.19 server over real HTTP (node:http), for
 * tests on machines where Qdrant cannot run: it records every request (for
 * the contract check against Qdrant's OpenAPI spec) and answers the REST
 * endpoints the Qdrant adapter uses with Qdrant's envelopes, keeping enough
 * state (collections, aliases, points, payload filters, cosine query groups,
 * facets, counts) for the adapter to run the conformance suite. It is our
 * reading of Qdrant's documented behaviour, not Qdrant: the real server is
 * covered by the conformance run whenever QDRANT_URL is set.
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
interface StoredPoint {
  id: string | number;
  vector: Record<string, number[]>;
  payload: Payload;
}
interface FakeCollection {
  config: Record<string, unknown>;
  points: Map<string, StoredPoint>;
}
type Condition = { key?: string; match?: { value?: unknown; any?: unknown[] }; range?: { gte?: number | null; lte?: number | null; gt?: number | null; lt?: number | null } };
type Filter = { must?: Condition[]; must_not?: Condition[]; should?: Condition[] } | null | undefined;

export class FakeQdrantServer {
  readonly requests: RecordedRequest[] = [];
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
    this.requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body });
    try {
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
    if (method === 'GET' && path === '/aliases') return [200, { aliases: [...this.aliases.entries()].map(([alias_name, collection_name]) => ({ alias_name, collection_name })) }];
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
      case 'PUT points':
        for (const point of body.points as StoredPoint[]) collection.points.set(String(point.id), { id: point.id, vector: point.vector ?? {}, payload: point.payload ?? {} });
        return [200, update()];
      case 'POST points/delete':
        for (const point of this.select(collection, body)) collection.points.delete(String(point.id));
        return [200, update()];
      case 'POST points/payload':
        for (const point of this.select(collection, body)) Object.assign(point.payload, body.payload as Payload);
        return [200, update()];
      case 'POST points':
        return [200, (body.ids as Array<string | number>).flatMap((id) => {
          const point = collection.points.get(String(id));
          return point ? [this.view(point, body.with_payload, body.with_vector, undefined)] : [];
        })];
      case 'POST points/scroll': {
        const points = [...collection.points.values()].filter((point) => matches(point.payload, body.filter as Filter));
        return [200, { points: points.slice(0, Number(body.limit ?? 10)).map((point) => this.view(point, body.with_payload ?? true, body.with_vector, undefined)), next_page_offset: null }];
      }
      case 'POST points/count':
        return [200, { count: [...collection.points.values()].filter((point) => matches(point.payload, body.filter as Filter)).length }];
      case 'POST points/query/groups':
        return [200, this.queryGroups(collection, body)];
      case 'POST facet':
        return [200, this.facet(collection, body)];
      default:
        return [404, `Not found: ${method} ${path}`];
    }
  }

  private changeAliases(body: Record<string, unknown>): [number, unknown] {
    const next = new Map(this.aliases);
    for (const action of body.actions as Array<Record<string, Record<string, string>>>) {
      if (action.delete_alias) {
        if (!next.has(action.delete_alias.alias_name)) return [404, `Not found: Alias ${action.delete_alias.alias_name} does not exist!`];
        next.delete(action.delete_alias.alias_name);
      } else if (action.create_alias) {
        if (!this.collections.has(action.create_alias.collection_name)) return [404, `Not found: Collection ${action.create_alias.collection_name} doesn't exist!`];
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
        params: { vectors: collection.config.vectors, shard_number: 1, replication_factor: 1, write_consistency_factor: 1, on_disk_payload: true },
        hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 10000, max_indexing_threads: 0, on_disk: false, ...(collection.config.hnsw_config as object) },
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

  private view(point: StoredPoint, withPayload: unknown, withVector: unknown, score: number | undefined): Record<string, unknown> {
    const vector = withVector === true ? point.vector : Array.isArray(withVector) ? Object.fromEntries(withVector.filter((name) => point.vector[name]).map((name) => [name, point.vector[name]])) : undefined;
    return { id: point.id, version: 1, ...(score !== undefined ? { score } : {}), payload: withPayload === false ? null : point.payload, ...(vector ? { vector } : {}) };
  }

  private queryGroups(collection: FakeCollection, body: Record<string, unknown>): unknown {
    const query = body.query as number[];
    const using = String(body.using ?? '');
    const norm = Math.hypot(...query);
    const scored = [...collection.points.values()]
      .filter((point) => point.vector[using] && matches(point.payload, body.filter as Filter))
      .map((point) => {
        const vector = point.vector[using];
        const score = vector.reduce((sum, value, i) => sum + value * query[i], 0) / (norm * Math.hypot(...vector));
        return { point, score };
      })
      .filter(({ score }) => body.score_threshold === undefined || score >= Number(body.score_threshold))
      .sort((a, b) => b.score - a.score);
    const groups = new Map<string, Array<{ point: StoredPoint; score: number }>>();
    for (const entry of scored) {
      const key = String(entry.point.payload[String(body.group_by)]);
      const group = groups.get(key) ?? [];
      if (!groups.has(key)) groups.set(key, group);
      if (group.length < Number(body.group_size ?? 3)) group.push(entry);
    }
    return {
      groups: [...groups.entries()].slice(0, Number(body.limit ?? 10)).map(([id, hits]) => ({ id, hits: hits.map(({ point, score }) => this.view(point, body.with_payload, body.with_vector, score)) })),
    };
  }

  private facet(collection: FakeCollection, body: Record<string, unknown>): unknown {
    const counts = new Map<string, number>();
    for (const point of collection.points.values()) {
      if (!matches(point.payload, body.filter as Filter)) continue;
      const value = point.payload[String(body.key)];
      for (const item of new Set(Array.isArray(value) ? value : value === undefined ? [] : [value])) counts.set(String(item), (counts.get(String(item)) ?? 0) + 1);
    }
    const hits = [...counts.entries()].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value.localeCompare(b.value));
    return { hits: hits.slice(0, Number(body.limit ?? 10)) };
  }
}

function matches(payload: Payload, filter: Filter): boolean {
  if (!filter) return true;
  const test = (condition: Condition): boolean => {
    const raw = payload[condition.key ?? ''];
    const values = Array.isArray(raw) ? raw : [raw];
    if (condition.match) {
      if ('value' in condition.match) return values.some((value) => value === condition.match!.value);
      if (condition.match.any) return values.some((value) => condition.match!.any!.includes(value));
    }
    if (condition.range) {
      const { gte, lte, gt, lt } = condition.range;
      return values.some(
        (value) => typeof value === 'number' && (gte == null || value >= gte) && (lte == null || value <= lte) && (gt == null || value > gt) && (lt == null || value < lt),
      );
    }
    return false;
  };
  return (filter.must ?? []).every(test) && !(filter.must_not ?? []).some(test) && (!filter.should?.length || filter.should.some(test));
}
