/** What every port call carries about the HTTP request that caused it. */
export interface RequestContext {
  /** X-Request-Id, propagated to gRPC metadata `x-request-id` and to ingestion. */
  requestId: string;
}
