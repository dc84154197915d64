/** Search as the gates use it: the top product ids of one generation for a query vector of that generation's model. */

export interface GateQuery {
  vector: Float32Array;
  /** With a text, the ranking shoppers get (hybrid: keywords and vectors fused); without, vectors only. */
  text?: string;
}

export abstract class GenerationSearcher {
  /**
   * Ids of the best `limit` products of `collection` (a generation, never the alias), searched
   * with `modelId` named so that search refuses a vector of another model. Throws
   * DependencyUnavailableError on search's outage.
   */
  abstract topProductIds(collection: string, modelId: string, query: GateQuery, limit: number): Promise<string[]>;
}
