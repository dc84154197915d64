/** Starts the ingestion HTTP server (Nest over Express) on the given host and port, serving the already-built objects. */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter, type NestExpressApplication } from '@nestjs/platform-express';
import { IngestionHttpModule, type IngestionHttpDependencies } from './ingestion-http.module';

export interface IngestionHttpServer {
  /** The port it listens on (the one asked for, or the one the OS chose for 0). */
  port: number;
  close(): Promise<void>;
}

export async function startIngestionHttpServer(deps: IngestionHttpDependencies, listen: { host: string; port: number }): Promise<IngestionHttpServer> {
  const app = await NestFactory.create<NestExpressApplication>(IngestionHttpModule.register(deps), new ExpressAdapter(), {
    logger: false,
    abortOnError: false,
  });
  app.disable('x-powered-by');
  await app.listen(listen.port, listen.host);
  const address = app.getHttpServer().address();
  return {
    port: typeof address === 'object' && address ? address.port : listen.port,
    close: () => app.close(),
  };
}
