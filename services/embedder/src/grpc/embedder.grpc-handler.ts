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
import { packFloat32LE, unary } from '@vsearch/grpc-kit';
import type { Logger } from '@vsearch/observability';
import { embedderV1 } from '@vsearch/proto';
import type { EmbedderMetrics } from '../metrics/embedder.metrics';
import type { EmbeddingService } from '../services/embedding.service';
import type { LoadedModels } from '../services/loaded-models';
import { parseEmbedImagesRequest, parseEmbedTextsRequest, type RequestLimits } from './embed-requests';
import { handleCall, type CallOptions } from './call-handling';
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

  private async embedImages(request: embedderV1.EmbedImagesRequest, options: CallOptions): Promise<embedderV1.EmbedImagesResponse> {
    const model = this.models.select(request.modelId);
    const { lane, images } = parseEmbedImagesRequest(request, model.modelInfo().imageSize, this.limits);
    return { embeddings: pack(model, await model.embedImages(images, { ...options, lane })) };
  }

  private async embedTexts(request: embedderV1.EmbedTextsRequest, options: CallOptions): Promise<embedderV1.EmbedTextsResponse> {
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

  private handle<T>(method: string, call: ServerUnaryCall<unknown, unknown>, work: (options: CallOptions) => Promise<T>): Promise<T> {
    return handleCall({ logger: this.logger, errors: this.metrics.errors }, method, call, work);
  }
}

/** Vectors as one little-endian float32 block (one allocation, no per-number varint work), named by the model that made them. */
function pack(model: EmbeddingService, vectors: Float32Array[]): embedderV1.Embeddings {
  const { dimension, modelId } = model.modelInfo();
  const block = new Float32Array(vectors.length * dimension);
  vectors.forEach((vector, i) => block.set(vector, i * dimension));
  return { count: vectors.length, dimension, vectors: packFloat32LE(block), modelId };
}
