/** Port to the embedder for zero-shot labels: the vocabulary check and the label prompts' text vectors. */
import type { RequestContext } from './request-context';

export abstract class LabelTextEmbedder {
  /** Per text, the words the model's tokenizer does not know (they would embed as noise); empty lists when it knows them all. */
  abstract findUnknownWords(texts: readonly string[], context: RequestContext): Promise<string[][]>;
  /** Unit vectors of the texts, in order, on the interactive lane (a merchandiser or shopper waits). */
  abstract embedLabelTexts(texts: readonly string[], context: RequestContext): Promise<Float32Array[]>;
}
