// Model tooling for the CLI, training and benchmarks, never for a service: pulling CLIP exports from the
// Hugging Face hub (`vsearch models pull`) and retrieval-quality evaluation (`vsearch eval`).
export * from './pull';
export * from './eval';
