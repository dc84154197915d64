/**
 * Refuses an upload by its Content-Length before multer reads it: a 50 MB
 * body gets 413 at once instead of being streamed up to the file limit.
 */
import { Injectable, PayloadTooLargeException, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import type { Observable } from 'rxjs';
import { HttpSettings } from './http-settings';

/** Room for the multipart boundaries and part headers around the file. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

@Injectable()
export class UploadSizeInterceptor implements NestInterceptor {
  constructor(private readonly settings: HttpSettings) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    const declared = Number(request.headers['content-length']);
    const limit = this.settings.maxUploadBytes;
    if (Number.isFinite(declared) && declared > limit + MULTIPART_OVERHEAD_BYTES) {
      throw new PayloadTooLargeException(`the upload is ${declared} bytes; images of at most ${limit} bytes are accepted`);
    }
    return next.handle();
  }
}
