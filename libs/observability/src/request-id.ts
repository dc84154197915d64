/** Request ids carried across HTTP (`X-Request-Id`) and gRPC (`x-request-id` metadata). */
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Accepts a caller's id when it is short and printable, else makes a new one (ids end up in logs). */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  const candidate = Array.isArray(incoming) ? incoming[0] : incoming;
  if (candidate && /^[A-Za-z0-9._:-]{1,128}$/.test(candidate)) return candidate;
  return randomUUID();
}
