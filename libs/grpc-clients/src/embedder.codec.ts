/**
 * The one mapping between visualsearch.embedder.v1 messages and the platform's
 * vocabulary (`@vsearch/contracts`), used by the embedder's gRPC handler and by
 * EmbedderClient alike, so both sides agree field by field.
 */
import type { ModelInfo } from '@vsearch/contracts';
import type { embedderV1 } from '@vsearch/proto';

export function modelInfoToProto(info: ModelInfo): embedderV1.GetModelInfoResponse {
  return {
    modelId: info.modelId,
    dimension: info.dimension,
    imageSize: info.imageSize,
    mean: [...info.mean],
    std: [...info.std],
    resize: info.resize,
    crop: info.crop,
    contextLength: info.contextLength,
    executionProvider: info.executionProvider,
    textScoreThreshold: info.textScoreThreshold,
    imageScoreThreshold: info.imageScoreThreshold,
    logitScale: info.logitScale,
    loadedModelIds: [...(info.loadedModelIds ?? [info.modelId])],
  };
}

export function modelInfoFromProto(message: embedderV1.GetModelInfoResponse): ModelInfo {
  return {
    modelId: message.modelId,
    dimension: message.dimension,
    imageSize: message.imageSize,
    mean: [...message.mean],
    std: [...message.std],
    resize: message.resize,
    crop: message.crop,
    contextLength: message.contextLength,
    executionProvider: message.executionProvider,
    textScoreThreshold: fromFloat32(message.textScoreThreshold),
    imageScoreThreshold: message.imageScoreThreshold === undefined ? undefined : fromFloat32(message.imageScoreThreshold),
    // An embedder from before logit_scale was sent answers 0: CLIP's own scale is the honest default.
    logitScale: message.logitScale > 0 ? fromFloat32(message.logitScale) : 100,
    // An embedder from before model selection lists none: it serves its one model.
    loadedModelIds: message.loadedModelIds.length > 0 ? [...message.loadedModelIds] : [message.modelId],
  };
}

/** float on the wire turns 0.15 into 0.15000000596...; settings were written with at most 6 decimals. */
function fromFloat32(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
