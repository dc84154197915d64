/** The describer model (alt text and answers about a photo), as the query API uses it for shoppers. */
import type { Answer, DescriberInfo, Generation } from '@vsearch/contracts';
import type { RequestContext } from './request-context';

export abstract class ProductDescriber {
  /** The model served: its input size and rule, limits and "can't tell" answer. */
  abstract describeModel(context: RequestContext): Promise<DescriberInfo>;
  /** A description of one photo (uint8 RGB pixels of the model's size), on the interactive lane. */
  abstract describePixels(pixels: Uint8Array, context: RequestContext): Promise<{ description: Generation; modelId: string }>;
  /** The answer to one question about one photo, on the interactive lane. */
  abstract askAboutPixels(pixels: Uint8Array, question: string, context: RequestContext): Promise<Answer>;
}
