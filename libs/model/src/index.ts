// The model runtime that the embedder loads: the model directory manifest, onnxruntime-node sessions for both towers,
// the tokenizer, and the in-use markers that keep `vsearch models pull --force` off a loaded model.
// Hub download and evaluation are tooling and live in @vsearch/model-tools, outside the embedder's import graph.
export * from './manifest';
export * from './describer-manifest';
export * from './runtime';
export * from './in-use';
