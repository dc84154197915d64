/**
 * The embedder as callers see it: intent-named methods that take texts,
 * model-sized pixels or encoded images and return unit vectors. Transport is
 * hidden: a `dns:///` target with round_robin spreads calls over every pod
 * behind a headless Service, every call has a deadline, and a failure keeps
 * its gRPC status code (`EmbedderCallError.code`) so callers can tell a client
 * mistake (INVALID_ARGUMENT) from "try later" (UNAVAILABLE, RESOURCE_EXHAUSTED,
 * DEADLINE_EXCEEDED: see `isTransient`).
 */
import * as grpc from '@grpc/grpc-js';
import { clientChannelOptions, GrpcCallError, grpcTarget, unpackFloat32LE } from '@vsearch/grpc-kit';
import type { ModelInfo } from '@vsearch/contracts';
import { embedderV1 } from '@vsearch/proto';
import { modelInfoFromProto } from './embedder.codec';

export type EmbedPriority = 'interactive' | 'bulk';

export interface EmbedCallOptions {
  /** Batching lane: 'interactive' (a shopper waits, default) or 'bulk' (indexing). */
  priority?: EmbedPriority;
  /** Time allowed for this call in ms (default: the client's `defaultDeadlineMs`). */
  deadlineMs?: number;
  /** Sent as `x-request-id` metadata, so the embedder's logs carry it. */
  requestId?: string;
  /**
   * One of the embedder's loaded models (ModelInfo.loadedModelIds); unset: its default model. The
   * vectors that come back are checked to be of this model, so an embedder that predates model
   * selection cannot hand back its default model's vectors in their place.
   */
  modelId?: string;
}

export interface EmbedderClientOptions {
  /** `host:port` (becomes `dns:///host:port`) or a full gRPC target. */
  address: string;
  /** Default 10 s. */
  defaultDeadlineMs?: number;
  /** Largest message sent or received; default 64 MiB. */
  maxMessageBytes?: number;
}

/** A failed embedder call; `code` is the gRPC status (grpc.status). */
export class EmbedderCallError extends GrpcCallError {
  constructor(method: string, code: grpc.status, details: string) {
    super('embedder', method, code, details);
    this.name = 'EmbedderCallError';
  }
}

const SERVICE_NAME = 'visualsearch.embedder.v1.EmbedderService';
const EmbedderGrpcClient = grpc.makeGenericClientConstructor(embedderV1.EmbedderServiceService, SERVICE_NAME);
const PRIORITIES: Record<EmbedPriority, embedderV1.Priority> = {
  interactive: embedderV1.Priority.PRIORITY_INTERACTIVE,
  bulk: embedderV1.Priority.PRIORITY_BULK,
};

type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (error: grpc.ServiceError | null, response?: Res) => void,
) => grpc.ClientUnaryCall;

export class EmbedderClient {
  private readonly client: grpc.Client;
  private readonly defaultDeadlineMs: number;

  constructor(options: EmbedderClientOptions) {
    this.defaultDeadlineMs = options.defaultDeadlineMs ?? 10_000;
    this.client = new EmbedderGrpcClient(grpcTarget(options.address), grpc.credentials.createInsecure(), clientChannelOptions(options.maxMessageBytes));
  }

  /** Unit vectors of shopper queries or captions, in order. */
  async embedTexts(texts: readonly string[], options: EmbedCallOptions = {}): Promise<Float32Array[]> {
    const response = await this.call<embedderV1.EmbedTextsRequest, embedderV1.EmbedTextsResponse>(
      'embedTexts',
      { texts: [...texts], priority: PRIORITIES[options.priority ?? 'interactive'], modelId: options.modelId ?? '' },
      options,
    );
    return unpack('embedTexts', response.embeddings, texts.length, options.modelId);
  }

  /** Unit vectors of images already preprocessed to the model's size (uint8 RGB, row-major; see getModelInfo). */
  async embedPixels(pixelsList: readonly Uint8Array[], options: EmbedCallOptions = {}): Promise<Float32Array[]> {
    return this.embedImages(
      pixelsList.map((pixels) => ({ pixels: asBuffer(pixels) })),
      options,
    );
  }

  /** Unit vectors of JPEG, PNG or WebP files, decoded by the embedder (the slower path). */
  async embedEncodedImages(files: readonly Uint8Array[], options: EmbedCallOptions = {}): Promise<Float32Array[]> {
    return this.embedImages(
      files.map((encoded) => ({ encoded: asBuffer(encoded) })),
      options,
    );
  }

  /**
   * A loaded model (the default unless `modelId` names another), with its preprocessing rule and
   * serving settings (score cut-offs, logit scale), and the ids of every loaded model.
   */
  async getModelInfo(options: Pick<EmbedCallOptions, 'deadlineMs' | 'requestId' | 'modelId'> = {}): Promise<ModelInfo> {
    const info = await this.call<embedderV1.GetModelInfoRequest, embedderV1.GetModelInfoResponse>('getModelInfo', { modelId: options.modelId ?? '' }, options);
    if (options.modelId && info.modelId !== options.modelId) throw wrongModel('getModelInfo', options.modelId, info.modelId);
    return modelInfoFromProto(info);
  }

  /**
   * Per text, the words the model's tokenizer maps to its unknown token (labels made of them embed
   * as noise); empty lists for a tokenizer without one. Tokenizer work only: no batch, no inference.
   */
  async findUnknownWords(texts: readonly string[], options: Pick<EmbedCallOptions, 'deadlineMs' | 'requestId'> = {}): Promise<string[][]> {
    const response = await this.call<embedderV1.FindUnknownWordsRequest, embedderV1.FindUnknownWordsResponse>(
      'findUnknownWords',
      { texts: [...texts] },
      options,
    );
    if (response.texts.length !== texts.length) {
      throw new EmbedderCallError('findUnknownWords', grpc.status.INTERNAL, `malformed response: ${response.texts.length} answers for ${texts.length} texts`);
    }
    return response.texts.map((answer) => [...answer.words]);
  }

  /** Resolves once a connection is up, or rejects after `timeoutMs`. */
  waitForReady(timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.waitForReady(Date.now() + timeoutMs, (error) =>
        error ? reject(new EmbedderCallError('waitForReady', grpc.status.UNAVAILABLE, error.message)) : resolve(),
      ),
    );
  }

  close(): void {
    this.client.close();
  }

  private async embedImages(images: embedderV1.ImageInput[], options: EmbedCallOptions): Promise<Float32Array[]> {
    const response = await this.call<embedderV1.EmbedImagesRequest, embedderV1.EmbedImagesResponse>(
      'embedImages',
      { images, priority: PRIORITIES[options.priority ?? 'interactive'], modelId: options.modelId ?? '' },
      options,
    );
    return unpack('embedImages', response.embeddings, images.length, options.modelId);
  }

  private call<Req, Res>(method: 'embedTexts' | 'embedImages' | 'getModelInfo' | 'findUnknownWords', request: Req, options: EmbedCallOptions): Promise<Res> {
    const metadata = new grpc.Metadata();
    if (options.requestId) metadata.set('x-request-id', options.requestId);
    const deadline = Date.now() + (options.deadlineMs ?? this.defaultDeadlineMs);
    const invoke = (this.client as unknown as Record<string, UnaryMethod<Req, Res>>)[method].bind(this.client);
    return new Promise((resolve, reject) => {
      invoke(request, metadata, { deadline }, (error, response) => {
        if (error) reject(new EmbedderCallError(method, error.code ?? grpc.status.UNKNOWN, error.details ?? error.message));
        else resolve(response as Res);
      });
    });
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** An answer of another model than the one asked for (an embedder that predates model selection ignores the field). */
function wrongModel(method: string, requested: string, answered: string): EmbedderCallError {
  return new EmbedderCallError(method, grpc.status.FAILED_PRECONDITION, `asked for model ${requested}, the embedder answered with model ${answered}`);
}

/** The packed little-endian float32 block → one Float32Array per vector (views over one copy). */
function unpack(method: string, embeddings: embedderV1.Embeddings | undefined, expected: number, requestedModelId?: string): Float32Array[] {
  if (!embeddings || embeddings.count !== expected || embeddings.vectors.length !== embeddings.count * embeddings.dimension * 4) {
    throw new EmbedderCallError(
      method,
      grpc.status.INTERNAL,
      `malformed response: ${embeddings?.count ?? 0} vectors of ${embeddings?.dimension ?? 0} in ${embeddings?.vectors.length ?? 0} bytes, expected ${expected}`,
    );
  }
  if (requestedModelId && embeddings.modelId !== requestedModelId) throw wrongModel(method, requestedModelId, embeddings.modelId);
  const { count, dimension, vectors } = embeddings;
  const block = unpackFloat32LE(vectors);
  return Array.from({ length: count }, (_, i) => block.subarray(i * dimension, (i + 1) * dimension));
}
