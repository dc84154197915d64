/**
 * The embedder's one mapping from what its logic throws to gRPC statuses a
 * client can act on. Errors already carrying a status (request parsing in this
 * folder) pass through; anything unknown stays as thrown, and grpc-kit answers
 * it with INTERNAL.
 */
import { InvalidRequestError, NotFoundError } from '@vsearch/contracts';
import { DescriberErrorReason } from '@vsearch/grpc-clients';
import { GrpcError, GrpcStatus } from '@vsearch/grpc-kit';
import { InferenceLostError } from '@vsearch/model';
import { BatchRejection } from '../batching/batch-rejection';

export function toGrpcError(thrown: unknown): unknown {
  // An image that does not decode names its index in the message. A question longer than the describer reads
  // carries its reason too, so callers answer it as their own "question too long" (the message names the limit in tokens).
  if (thrown instanceof InvalidRequestError) {
    const reason = thrown.code === 'question_too_long' ? DescriberErrorReason.questionTooLong : undefined;
    return new GrpcError(GrpcStatus.INVALID_ARGUMENT, thrown.message, reason);
  }
  // A model id that is not loaded here; the message names the loaded ones.
  if (thrown instanceof NotFoundError) return new GrpcError(GrpcStatus.NOT_FOUND, thrown.message);
  // Full lane → RESOURCE_EXHAUSTED (back off), expired → DEADLINE_EXCEEDED, cancelled → CANCELLED, shutting down → UNAVAILABLE.
  if (thrown instanceof BatchRejection) return new GrpcError(GrpcStatus[thrown.code], thrown.message);
  // A dead inference thread is this pod's outage, not the caller's mistake: UNAVAILABLE sends clients to another pod.
  if (thrown instanceof InferenceLostError) return new GrpcError(GrpcStatus.UNAVAILABLE, `inference is not running on this embedder: ${thrown.message}`);
  return thrown;
}
