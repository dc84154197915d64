/**
 * A token bucket per client on every API route: a valid admin key gets its
 * own bucket, anyone else is counted by IP. Each request takes one token here;
 * a photo takes the rest of its cost once its header is read (DecodeCostCharger),
 * in the bucket named on the request. A refusal is a RateLimitedError (429 with Retry-After).
 */
import { SetMetadata, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { QueryApiMetrics } from '../metrics/query-api.metrics';
import type { ApiKeyVerifier } from '../services/api-keys';
import { RateLimitedError } from '../services/rate-limited.error';
import type { TokenBucketRateLimiter } from '../services/rate-limiter';
import { API_KEY_HEADER } from './admin-api-key.guard';

const SKIP_RATE_LIMIT = 'vsearch:skip-rate-limit';

/** Probes and metrics are not rate limited (kubelet and Prometheus call them). */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT, true);

export class RateLimitGuard implements CanActivate {
  constructor(
    private readonly limiter: TokenBucketRateLimiter,
    private readonly apiKeys: ApiKeyVerifier,
    private readonly reflector: Reflector,
    private readonly metrics: QueryApiMetrics,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const verdict = this.apiKeys.verify(request.headers[API_KEY_HEADER]);
    // Only a valid key gets its own bucket: random keys must not buy fresh buckets.
    const client = verdict.outcome === 'accepted' ? verdict.clientId : `ip:${request.ip ?? request.socket.remoteAddress ?? 'unknown'}`;
    const decision = this.limiter.take(client);
    request.rateLimitClient = client;
    if (decision.allowed) {
      context.switchToHttp().getResponse<Response>().setHeader('RateLimit-Remaining', String(decision.remaining));
      return true;
    }
    this.metrics.rateLimited.inc({ client_kind: verdict.outcome === 'accepted' ? 'key' : 'ip' });
    throw new RateLimitedError(`too many requests; retry after ${decision.retryAfterSeconds} s`, decision.retryAfterSeconds);
  }
}
