// Model tooling for the CLI, training and benchmarks, never for a service: pulling CLIP exports from the
// Hugging Face hub (`vsearch models pull`), retrieval-quality evaluation (`vsearch eval`) and score
// cut-offs measured on data (`vsearch models calibrate`).
export * from './pull';
export * from './eval';
export * from './calibrate';
