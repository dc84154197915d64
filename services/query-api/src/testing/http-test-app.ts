/**
 * The query API's HTTP app over fake ports on a local port, and the check of an error answer, for
 * the HTTP specs (real: services, Nest + Express, fetch; fake: the ports). Test-only.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { createLogger } from '@vsearch/observability';
import { loadQueryApiConfig, type QueryApiConfigOverrides } from '../config';
import { errorResponseSchema } from '../http/dtos/responses.dto';
import { createQueryApiApp } from '../index';
import type { FakePorts } from './fake-ports';

export interface HttpTestApp {
  app: NestExpressApplication;
  /** `http://127.0.0.1:<port>` */
  base: string;
}

/** Rate limits high enough that no spec meets them, unless `overrides` say otherwise. */
export async function startHttpTestApp(ports: FakePorts, overrides: QueryApiConfigOverrides = {}): Promise<HttpTestApp> {
  const config = loadQueryApiConfig({ RATE_LIMIT_BURST: '1000', RATE_LIMIT_PER_SECOND: '1000', ...overrides }, {});
  const app = await createQueryApiApp({ config, ports, logger: createLogger('query-api-test', process.env.TEST_LOG_LEVEL ?? 'silent') });
  await app.listen(0, '127.0.0.1');
  return { app, base: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}` };
}

/** The answer is the error body with this status and code (and a message matching `message`). */
export async function expectErrorResponse(response: Response, status: number, code: string, message?: RegExp): Promise<void> {
  const body = await response.json();
  expect({ status: response.status, code: body.error?.code }).toEqual({ status, code });
  expect(errorResponseSchema.safeParse(body).success).toBe(true);
  if (message) expect(body.error.message).toMatch(message);
}
