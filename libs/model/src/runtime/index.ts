// The model runtime: onnxruntime-node sessions for both towers (on the calling thread or a pool of workers per tower), the tokenizer, normalised outputs, the auto sizing rule.
export * from './model-runtime';
export * from './text-tokenizer';
export * from './l2-normalize';
export * from './inference-sizing';
// The describer (a generative vision-language model): its two sessions on a worker thread, one decoding step over rows with KV caches, its tokenizer.
export * from './describer-runtime';
export * from './describer-tokenizer';
