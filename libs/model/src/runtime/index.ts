// The model runtime: onnxruntime-node sessions for both towers (on the calling thread or a pool of workers per tower), the tokenizer, normalised outputs, the auto sizing rule.
export * from './model-runtime';
export * from './text-tokenizer';
export * from './l2-normalize';
export * from './inference-sizing';
