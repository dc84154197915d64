/** The admin routes' API key (X-Api-Key): 401 when it is missing, 403 when it is not accepted or none is configured. */
import { ForbiddenException, Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import { ApiKeyVerifier } from '../services/api-keys';

export const API_KEY_HEADER = 'x-api-key';

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

/** For the audit log: which key (by hash prefix, never the key) asked. */
export function adminClientName(request: Request): string {
  const key = request.headers[API_KEY_HEADER];
  return typeof key === 'string' ? `key#${createHash('sha256').update(key).digest('hex').slice(0, 8)}` : 'unknown';
}
