/**
 * Guards: a token bucket per client on every API route (429 with
 * Retry-After), and the admin API key (401 missing, 403 not accepted).
 */
import { CanActivate, ForbiddenException, Inject, Injectable, SetMetadata, UnauthorizedException, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import type { QueryApiConfig } from '../config';
import { OverloadedError } from '@vsearch/contracts';
import { ApiKeyVerifier } from '../services/api-keys';
import { TokenBucketRateLimiter } from '../services/rate-limiter';
import { QUERY_API_CONFIG } from '../tokens';
import { QueryApiMetrics } from './metrics';

export const API_KEY_HEADER = 'x-api-key';
const SKIP_RATE_LIMIT = 'vsearch:skip-rate-limit';

/** Probes and metrics are not rate limited (kubelet and Prometheus call them). */
export const SkipRateLimit = () => SetMetadata(SKIP_RATE_LIMIT, true);

@Injectable()
export class RateLimitGuard implements CanActivate {
  constructor(
    @Inject(QUERY_API_CONFIG) private readonly config: QueryApiConfig,
    private readonly limiter: TokenBucketRateLimiter,
    private readonly apiKeys: ApiKeyVerifier,
    private readonly reflector: Reflector,
    private readonly metrics: QueryApiMetrics,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.config.rateLimit.enabled) return true;
    if (this.reflector.getAllAndOverride<boolean>(SKIP_RATE_LIMIT, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<Request>();
    const verdict = this.apiKeys.verify(request.headers[API_KEY_HEADER]);
    // Only a valid key gets its own bucket: random keys must not buy fresh buckets.
    const client = verdict.outcome === 'accepted' ? verdict.clientId : `ip:${request.ip ?? request.socket.remoteAddress ?? 'unknown'}`;
    const decision = this.limiter.take(client);
    if (decision.allowed) {
      context.switchToHttp().getResponse<Response>().setHeader('RateLimit-Remaining', String(decision.remaining));
      return true;
    }
    this.metrics.rateLimited.inc({ client_kind: verdict.outcome === 'accepted' ? 'key' : 'ip' });
    throw new OverloadedError(`too many requests; retry after ${decision.retryAfterSeconds} s`, decision.retryAfterSeconds);
  }
}

@Injectable()
export class AdminApiKeyGuard implements CanActivate {
  constructor(private readonly apiKeys: ApiKeyVerifier) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    const verdict = this.apiKeys.verify(request.headers[API_KEY_HEADER]);
    if (verdict.outcome === 'missing') {
      context.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'ApiKey header="X-Api-Key"');
      throw new UnauthorizedException('the X-Api-Key header is required');
    }
    if (!this.apiKeys.configured) throw new ForbiddenException('the admin API is disabled (no ADMIN_API_KEYS configured)');
    if (verdict.outcome === 'rejected') throw new ForbiddenException('the X-Api-Key is not accepted');
    return true;
  }
}
