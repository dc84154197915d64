// Retrieval-quality evaluation of a model directory (`vsearch eval`, the quality-floor test).
export * from './evaluate-model';
export * from './eval-catalog';
export * from './retrieval-metrics';
