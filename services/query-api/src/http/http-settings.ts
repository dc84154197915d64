/**
 * The settings the HTTP layer's controllers and interceptors read, as a class
 * so the Nest module can hand them over by type like the services.
 */
export class HttpSettings {
  constructor(
    /** Retry-After, in seconds, of a 503 (a dependency is down) and of /readyz when not ready. */
    readonly retryAfterSeconds: number,
    /** The largest photo upload accepted, in bytes (UPLOAD_MAX_BYTES). */
    readonly maxUploadBytes: number,
  ) {}
}
