// Decoding a generative model's output, pure and model-agnostic: greedy and beam search over
// next-token logits, the repetition guard, log-softmax. Running the model and batching rows
// across requests are the caller's (the embedder's StepBatcher, @vsearch/model's DescriberRuntime).
export * from './log-softmax';
export * from './repetition-guard';
export * from './sequence-search';
