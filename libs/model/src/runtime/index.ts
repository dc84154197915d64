// The model runtime: onnxruntime-node sessions for both towers (on the calling thread or a worker), the tokenizer, normalised outputs.
export * from './model-runtime';
export * from './text-tokenizer';
export * from './l2-normalize';
