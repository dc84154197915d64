/**
 * The describer as callers see it: descriptions (alt text) of model-sized pixels and answers to
 * a question about one photo. Transport is hidden as in EmbedderClient: a `dns:///` target with
 * round_robin over the model pods, a deadline on every call, and a failure that keeps its gRPC
 * status (`DescriberCallError.code`) so callers can tell a client mistake (INVALID_ARGUMENT) from
 * "try later" (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED: see `isTransient`).
 */
import * as grpc from '@grpc/grpc-js';
import { callUnary, clientChannelOptions, GrpcCallError, grpcTarget, waitForClientReady } from '@vsearch/grpc-kit';
import type { Answer, DescriberInfo, Descriptions } from '@vsearch/contracts';
import { describerV1 } from '@vsearch/proto';
import { answerFromProto, describerInfoFromProto, descriptionsFromProto } from './describer.codec';

export type DescribePriority = 'interactive' | 'bulk';

export interface DescribeCallOptions {
  /** Batching lane: 'interactive' (a shopper waits, default) or 'bulk' (alt text at ingestion). */
  priority?: DescribePriority;
  /** Cap on generated tokens (default: the model's; never more than its maximum). */
  maxNewTokens?: number;
  /** 1 = greedy (default), 2 to 4 = beam search. */
  beamWidth?: number;
  /** Time allowed for this call in ms (default: the client's `defaultDeadlineMs`). */
  deadlineMs?: number;
  /** Sent as `x-request-id` metadata, so the embedder's logs carry it. */
  requestId?: string;
}

export interface DescriberClientOptions {
  /** `host:port` (becomes `dns:///host:port`) or a full gRPC target; the embedder's address. */
  address: string;
  /** Default 30 s: generating is slower than embedding. */
  defaultDeadlineMs?: number;
  /** Largest message sent or received; default 64 MiB. */
  maxMessageBytes?: number;
}

/**
 * Reasons the describer sends beside a status (`x-error-reason`, grpc-kit). QUESTION_TOO_LONG:
 * INVALID_ARGUMENT because the question has more tokens than the model reads (its
 * `decoder.maxQuestionTokens`, the length it was trained on; the message names both counts).
 */
export const DescriberErrorReason = {
  questionTooLong: 'QUESTION_TOO_LONG',
} as const;

/** A failed describer call; `code` is the gRPC status (grpc.status), `reason` the describer's reason within it (DescriberErrorReason). */
export class DescriberCallError extends GrpcCallError {
  constructor(method: string, code: grpc.status, details: string, reason?: string) {
    super('describer', method, code, details, reason);
    this.name = 'DescriberCallError';
  }

  /** The question is longer than the model reads (DescriberErrorReason.questionTooLong). */
  get isQuestionTooLong(): boolean {
    return this.code === grpc.status.INVALID_ARGUMENT && this.reason === DescriberErrorReason.questionTooLong;
  }
}

const SERVICE_NAME = 'visualsearch.describer.v1.DescriberService';
const DescriberGrpcClient = grpc.makeGenericClientConstructor(describerV1.DescriberServiceService, SERVICE_NAME);
const PRIORITIES: Record<DescribePriority, describerV1.Priority> = {
  interactive: describerV1.Priority.PRIORITY_INTERACTIVE,
  bulk: describerV1.Priority.PRIORITY_BULK,
};

export class DescriberClient {
  private readonly client: grpc.Client;
  private readonly defaultDeadlineMs: number;

  constructor(options: DescriberClientOptions) {
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 30_000;
    this.client = new DescriberGrpcClient(grpcTarget(options.address), grpc.credentials.createInsecure(), clientChannelOptions(options.maxMessageBytes));
  }

  /** One description per image, in order; images are uint8 RGB pixels of the model's size (see `info`). */
  async describe(images: readonly Uint8Array[], options: DescribeCallOptions = {}): Promise<Descriptions> {
    const response = await this.call<describerV1.DescribeRequest, describerV1.DescribeResponse>(
      'describe',
      { images: images.map(asBuffer), priority: PRIORITIES[options.priority ?? 'interactive'], options: decodingOptions(options) },
      options,
    );
    if (response.descriptions.length !== images.length) {
      throw new DescriberCallError(
        'describe',
        grpc.status.INTERNAL,
        `malformed response: ${response.descriptions.length} descriptions for ${images.length} images`,
      );
    }
    return this.decode('describe', () => descriptionsFromProto(response));
  }

  /** The answer to one question about one image (uint8 RGB pixels of the model's size). */
  async ask(image: Uint8Array, question: string, options: DescribeCallOptions = {}): Promise<Answer> {
    const response = await this.call<describerV1.AskRequest, describerV1.AskResponse>(
      'ask',
      { image: asBuffer(image), question, priority: PRIORITIES[options.priority ?? 'interactive'], options: decodingOptions(options) },
      options,
    );
    return this.decode('ask', () => answerFromProto(response));
  }

  /** The model served: its preprocessing rule, limits and "can't tell" answer. */
  async info(options: Pick<DescribeCallOptions, 'deadlineMs' | 'requestId'> = {}): Promise<DescriberInfo> {
    const response = await this.call<describerV1.GetDescriberInfoRequest, describerV1.GetDescriberInfoResponse>('getDescriberInfo', {}, options);
    return describerInfoFromProto(response);
  }

  /** Resolves once a connection is up, or rejects after `timeoutMs`. */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    return waitForClientReady(this.client, timeoutMs, (code, details) => new DescriberCallError('waitForReady', code, details));
  }

  close(): void {
    this.client.close();
  }

  private decode<T>(method: string, read: () => T): T {
    try {
      return read();
    } catch (error) {
      throw new DescriberCallError(method, grpc.status.INTERNAL, (error as Error).message);
    }
  }

  private call<Req, Res>(method: 'describe' | 'ask' | 'getDescriberInfo', request: Req, options: DescribeCallOptions): Promise<Res> {
    return callUnary<Req, Res>(
      this.client,
      method,
      request,
      { deadlineMs: options.deadlineMs ?? this.defaultDeadlineMs, requestId: options.requestId },
      (code, details, reason) => new DescriberCallError(method, code, details, reason),
    );
  }
}

/** Zero on the wire means "the server's default". */
function decodingOptions(options: DescribeCallOptions): describerV1.DecodingOptions {
  return { maxNewTokens: options.maxNewTokens ?? 0, beamWidth: options.beamWidth ?? 0 };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
