/**
 * gRPC handlers of visualsearch.embedder.v1.EmbedderService: each validates
 * the request, picks the model it names (LoadedModels: empty is the default,
 * one not loaded is NOT_FOUND naming the loaded ones), delegates in one call
 * to that model's EmbeddingService, and packs the result with its model id.
 * Errors keep a status a client can act on (INVALID_ARGUMENT,
 * RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, CANCELLED, UNAVAILABLE; see
 * grpc-error.mapping.ts); anything else becomes INTERNAL.
 */
import type { ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { embedderCodec } from '@vsearch/grpc-clients';
import { GrpcStatus, packFloat32LE, toServiceError, unary } from '@vsearch/grpc-kit';
import { requestIdFrom, REQUEST_ID_HEADER, type Logger } from '@vsearch/observability';
import { embedderV1 } from '@vsearch/proto';
import type { EmbedderMetrics } from '../metrics/embedder.metrics';
import type { EmbeddingService, EmbedOptions } from '../services/embedding.service';
import type { LoadedModels } from '../services/loaded-models';
import { parseEmbedImagesRequest, parseEmbedTextsRequest, type RequestLimits } from './embed-requests';
import { toGrpcError } from './grpc-error.mapping';
import { invalidUtf8TextIndices } from './utf8-checked.definition';

/** The model's tokenizer as the vocabulary check sees it (TextTokenizer in libs/model). */
export interface Vocabulary {
  /** The words of `text` the tokenizer maps to its unknown token; empty when it has none. */
  unknownWords(text: string): string[];
}

export class EmbedderGrpcHandler {
  constructor(
    private readonly models: LoadedModels,
    private readonly limits: RequestLimits,
    private readonly metrics: EmbedderMetrics,
    private readonly logger: Logger,
    private readonly vocabulary: Vocabulary,
  ) {}

  implementation(): UntypedServiceImplementation {
    return {
      embedImages: unary((request: embedderV1.EmbedImagesRequest, call) => this.handle('EmbedImages', call, (options) => this.embedImages(request, options))),
      embedTexts: unary((request: embedderV1.EmbedTextsRequest, call) => this.handle('EmbedTexts', call, (options) => this.embedTexts(request, options))),
      getModelInfo: unary((request: embedderV1.GetModelInfoRequest, call) => this.handle('GetModelInfo', call, async () => this.getModelInfo(request))),
      findUnknownWords: unary((request: embedderV1.FindUnknownWordsRequest, call) =>
        this.handle('FindUnknownWords', call, async () => this.findUnknownWords(request)),
      ),
    };
  }

  private async embedImages(request: embedderV1.EmbedImagesRequest, options: Omit<EmbedOptions, 'lane'>): Promise<embedderV1.EmbedImagesResponse> {
    const model = this.models.select(request.modelId);
    const { lane, images } = parseEmbedImagesRequest(request, model.modelInfo().imageSize, this.limits);
    return { embeddings: pack(model, await model.embedImages(images, { ...options, lane })) };
  }

  private async embedTexts(request: embedderV1.EmbedTextsRequest, options: Omit<EmbedOptions, 'lane'>): Promise<embedderV1.EmbedTextsResponse> {
    const model = this.models.select(request.modelId);
    const { lane, texts } = parseEmbedTextsRequest(request, this.limits, invalidUtf8TextIndices(request));
    return { embeddings: pack(model, await model.embedTexts(texts, { ...options, lane })) };
  }

  private getModelInfo(request: embedderV1.GetModelInfoRequest): embedderV1.GetModelInfoResponse {
    return embedderCodec.modelInfoToProto({ ...this.models.select(request.modelId).modelInfo(), loadedModelIds: this.models.ids() });
  }

  /** Tokenizer work only (no batch, no inference): the same per-call limits as EmbedTexts. */
  private findUnknownWords(request: embedderV1.FindUnknownWordsRequest): embedderV1.FindUnknownWordsResponse {
    const { texts } = parseEmbedTextsRequest({ texts: request.texts, priority: embedderV1.Priority.PRIORITY_INTERACTIVE }, this.limits);
    return { texts: texts.map((text) => ({ words: this.vocabulary.unknownWords(text) })) };
  }

  /** Per call: request id and logger, deadline and cancellation for the batcher, error mapping and counting. */
  private async handle<T>(method: string, call: ServerUnaryCall<unknown, unknown>, work: (options: Omit<EmbedOptions, 'lane'>) => Promise<T>): Promise<T> {
    const requestId = requestIdFrom(call.metadata.get(REQUEST_ID_HEADER).map(String));
    // Made only when something is logged: a child logger per call is measurable at thousands of calls/s.
    const log = () => this.logger.child({ requestId, method });
    const cancelled = new AbortController();
    const onCancelled = () => cancelled.abort();
    call.once('cancelled', onCancelled);
    const started = performance.now();
    try {
      const result = await work({ deadline: deadlineOf(call), signal: cancelled.signal });
      if (this.logger.isLevelEnabled('debug')) log().debug({ ms: Math.round(performance.now() - started) }, 'call done');
      return result;
    } catch (thrown) {
      const error = toGrpcError(thrown);
      const { code, details } = toServiceError(error);
      this.metrics.errors.inc({ method, code: GrpcStatus[code ?? GrpcStatus.UNKNOWN] });
      if (code === GrpcStatus.INTERNAL) log().error({ err: thrown }, 'call failed');
      else log().info({ code: GrpcStatus[code ?? GrpcStatus.UNKNOWN], details }, 'call refused');
      throw error;
    } finally {
      call.removeListener('cancelled', onCancelled);
    }
  }
}

/** The call's deadline on `performance.now()`'s clock, or undefined when the client set none. */
function deadlineOf(call: ServerUnaryCall<unknown, unknown>): number | undefined {
  const deadline = call.getDeadline();
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return undefined;
  return performance.now() + (at - Date.now());
}

/** Vectors as one little-endian float32 block (one allocation, no per-number varint work), named by the model that made them. */
function pack(model: EmbeddingService, vectors: Float32Array[]): embedderV1.Embeddings {
  const { dimension, modelId } = model.modelInfo();
  const block = new Float32Array(vectors.length * dimension);
  vectors.forEach((vector, i) => block.set(vector, i * dimension));
  return { count: vectors.length, dimension, vectors: packFloat32LE(block), modelId };
}
