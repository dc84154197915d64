/**
 * The four services as the CLI starts them in one process: each service's
 * `start<Name>Service(overrides)` (its `src/index.ts`), where overrides are
 * environment variable names applied over process.env. Loaded lazily, so
 * `vsearch search` never pays for loading NestJS, onnxruntime or sharp.
 */
export const SERVICE_NAMES = ['embedder', 'search', 'ingestion', 'query-api'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export type ServiceOverrides = Record<string, string>;

export interface RunningService {
  /** The port the service listens on (its main gRPC or HTTP port), when it reports one. */
  port?: number;
  close(): Promise<void>;
}

type Starter = (overrides?: ServiceOverrides) => Promise<RunningService>;

/** Loads a service's start function; a service that does not export one yet fails with its name. */
export async function loadServiceStarter(name: ServiceName): Promise<Starter> {
  const [module, exportName] = await importService(name);
  const starter = (module as Record<string, unknown>)[exportName];
  if (typeof starter !== 'function') throw new Error(`the ${name} service does not export ${exportName}() yet`);
  return starter as Starter;
}

// The CLI (type:app) runs services in its own process (DESIGN.md, `npm start`): the tag rules allow
// type:app → type:service and nothing else → type:service. Services are Nx "library" projects for
// this reason (Nx refuses any import of an "application" project); their images are still built
// from their own Dockerfiles.
async function importService(name: ServiceName): Promise<[unknown, string]> {
  switch (name) {
    case 'embedder':
      return [await import('@vsearch/embedder-service'), 'startEmbedderService'];
    case 'search':
      return [await import('@vsearch/search-service'), 'startSearchService'];
    case 'ingestion':
      return [await import('@vsearch/ingestion-service'), 'startIngestionService'];
    case 'query-api':
      return [await import('@vsearch/query-api-service'), 'startQueryApiService'];
  }
}

export function isServiceName(value: string): value is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(value);
}
