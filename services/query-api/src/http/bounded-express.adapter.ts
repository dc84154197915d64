/**
 * Nest's Express adapter with the HTTP server's limits set where Node takes them, when the server
 * is created: how long a client may take to send its headers and its whole request, how long an
 * idle kept-alive connection stays, and how many connections are open at once. Without them a
 * slow or stalled client holds a connection (and an upload's memory) for ever.
 */
import http from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';

export interface HttpServerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/**
 * How often Node checks connections against the header and request timeouts (its default is 30 s,
 * which would let a 10 s timeout fire after 40 s); a pass over the open connections is cheap.
 */
const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

export class BoundedExpressAdapter extends ExpressAdapter {
  constructor(private readonly limits: HttpServerLimits) {
    super();
  }

  /** Replaces Nest's plain `http.createServer(app)`: this app uses neither HTTPS nor Nest's shutdown options, which that method also handles. */
  override initHttpServer(): void {
    const server = http.createServer(
      {
        headersTimeout: this.limits.headersTimeoutMs,
        requestTimeout: this.limits.requestTimeoutMs,
        connectionsCheckingInterval: Math.min(CONNECTIONS_CHECK_INTERVAL_MS, this.limits.headersTimeoutMs),
      },
      this.getInstance(),
    );
    server.keepAliveTimeout = this.limits.keepAliveTimeoutMs;
    server.maxConnections = this.limits.maxConnections;
    this.setHttpServer(server);
  }
}
