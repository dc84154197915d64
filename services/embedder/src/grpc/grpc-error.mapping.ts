/**
 * The embedder's one mapping from what its logic throws to gRPC statuses a
 * client can act on. Errors already carrying a status (request parsing in this
 * folder) pass through; anything unknown stays as thrown, and grpc-kit answers
 * it with INTERNAL.
 */
import { InvalidRequestError, NotFoundError } from '@vsearch/contracts';
import { GrpcError, GrpcStatus } from '@vsearch/grpc-kit';
import { InferenceLostError } from '@vsearch/model';
import { BatchRejection } from '../batching/batch-rejection';

export function toGrpcError(thrown: unknown): unknown {
  // An image that does not decode names its index in the message.
  if (thrown instanceof InvalidRequestError) return new GrpcError(GrpcStatus.INVALID_ARGUMENT, thrown.message);
  // A model id that is not loaded here; the message names the loaded ones.
  if (thrown instanceof NotFoundError) return new GrpcError(GrpcStatus.NOT_FOUND, thrown.message);
  // Full lane → RESOURCE_EXHAUSTED (back off), expired → DEADLINE_EXCEEDED, cancelled → CANCELLED, shutting down → UNAVAILABLE.
  if (thrown instanceof BatchRejection) return new GrpcError(GrpcStatus[thrown.code], thrown.message);
  // A dead inference thread is this pod's outage, not the caller's mistake: UNAVAILABLE sends clients to another pod.
  if (thrown instanceof InferenceLostError) return new GrpcError(GrpcStatus.UNAVAILABLE, `inference is not running on this embedder: ${thrown.message}`);
  return thrown;
}
