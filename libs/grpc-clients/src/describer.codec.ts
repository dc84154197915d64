/**
 * The one mapping between visualsearch.describer.v1 messages and the platform's vocabulary
 * (`@vsearch/contracts`), used by the embedder's DescriberService handler and by DescriberClient
 * alike, so both sides agree field by field.
 */
import type { Answer, DescriberInfo, Descriptions, FinishReason, Generation } from '@vsearch/contracts';
import { describerV1 } from '@vsearch/proto';

const FINISH_REASONS_TO_PROTO: Record<FinishReason, describerV1.FinishReason> = {
  stop: describerV1.FinishReason.FINISH_REASON_STOP,
  length: describerV1.FinishReason.FINISH_REASON_LENGTH,
  repetition: describerV1.FinishReason.FINISH_REASON_REPETITION,
};

export function generationToProto(generation: Generation): describerV1.Generation {
  return { text: generation.text, tokenIds: [...generation.tokenIds], finishReason: FINISH_REASONS_TO_PROTO[generation.finishReason] };
}

/** A generation from the wire; throws on a finish reason the server must never send. */
export function generationFromProto(message: describerV1.Generation | undefined): Generation {
  if (!message) throw new Error('malformed response: a generation is missing');
  const finishReason = finishReasonFromProto(message.finishReason);
  return { text: message.text, tokenIds: [...message.tokenIds], finishReason };
}

function finishReasonFromProto(reason: describerV1.FinishReason): FinishReason {
  switch (reason) {
    case describerV1.FinishReason.FINISH_REASON_STOP:
      return 'stop';
    case describerV1.FinishReason.FINISH_REASON_LENGTH:
      return 'length';
    case describerV1.FinishReason.FINISH_REASON_REPETITION:
      return 'repetition';
    default:
      throw new Error(`malformed response: finish reason ${String(reason)}`);
  }
}

export function descriptionsToProto(result: Descriptions): describerV1.DescribeResponse {
  return { descriptions: result.descriptions.map(generationToProto), modelId: result.modelId };
}

export function descriptionsFromProto(message: describerV1.DescribeResponse): Descriptions {
  return { descriptions: message.descriptions.map(generationFromProto), modelId: message.modelId };
}

export function answerToProto(answer: Answer): describerV1.AskResponse {
  return { answer: generationToProto(answer.answer), answerable: answer.answerable, unknownWords: [...answer.unknownWords], modelId: answer.modelId };
}

export function answerFromProto(message: describerV1.AskResponse): Answer {
  return { answer: generationFromProto(message.answer), answerable: message.answerable, unknownWords: [...message.unknownWords], modelId: message.modelId };
}

export function describerInfoToProto(info: DescriberInfo): describerV1.GetDescriberInfoResponse {
  return { ...info };
}

export function describerInfoFromProto(message: describerV1.GetDescriberInfoResponse): DescriberInfo {
  return {
    modelId: message.modelId,
    imageSize: message.imageSize,
    resize: message.resize,
    crop: message.crop,
    maxNewTokens: message.maxNewTokens,
    maxQuestionChars: message.maxQuestionChars,
    cantTellAnswer: message.cantTellAnswer,
  };
}
