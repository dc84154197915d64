/**
 * The describer's vocabulary (a generative vision-language model: alt text and answers about a
 * photo), shared by the decoding library, the embedder's DescriberService and its callers.
 */

/** Why decoding stopped: the stop token, the token budget, or the repetition guard. */
export type FinishReason = 'stop' | 'length' | 'repetition';

/** One generated text. */
export interface Generation {
  /** The detokenised output. */
  text: string;
  /** The generated token ids, the stop token left out. */
  tokenIds: number[];
  finishReason: FinishReason;
}

/** The answer to one question about one photo. */
export interface Answer {
  answer: Generation;
  /** False when the answer is the model's "can't tell" answer. */
  answerable: boolean;
  /** The question's words the model's tokenizer does not know; any of them means "can't tell" without decoding. */
  unknownWords: string[];
  /** name@version+dtype of the model that answered. */
  modelId: string;
}

/** Descriptions of a call's images, in order. */
export interface Descriptions {
  descriptions: Generation[];
  /** name@version+dtype of the model that wrote them. */
  modelId: string;
}

/** The describer model served: how to preprocess pixels for it and its limits. */
export interface DescriberInfo {
  modelId: string;
  /** Square input side in pixels (uint8 RGB, size × size × 3). */
  imageSize: number;
  resize: string;
  crop: string;
  /** The most tokens one request may generate. */
  maxNewTokens: number;
  /** The longest question accepted, in characters. */
  maxQuestionChars: number;
  /** The fixed answer to questions the photo cannot answer. */
  cantTellAnswer: string;
}
