/** What every port call carries about the HTTP request that caused it. */
export interface RequestContext {
  /** X-Request-Id, propagated to gRPC metadata `x-request-id` and to ingestion. */
  requestId: string;
  /** The rate-limit bucket the request was counted in (an admin key's, or `ip:<address>`); absent when rate limiting is off. */
  rateLimitClient?: string;
}
