// Retrieval-quality evaluation of a model directory (`vsearch eval`, the quality-floor tests).
export * from './evaluate-model';
export * from './eval-catalog';
export * from './retrieval-metrics';
export * from './query-types';
export * from './hybrid-eval';
export * from './tagging-eval';
export * from './describer-metrics';
export * from './describer-eval';
