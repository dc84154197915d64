/**
 * Zero-shot tagging math, pure and synchronous: prompt ensembles into label vectors, products scored
 * from their image vectors, confidences by softmax over the model's logit scale, thresholds applied.
 * Used by the search service (tagging at upsert, re-tagging from stored vectors) and by `vsearch eval`.
 */
export * from './label-vectors';
export * from './softmax';
export * from './image-aggregation';
export * from './zero-shot-tagger';
export * from './classify';
