// An inference thread of DescriberRuntime: holds the describer's two onnxruntime sessions (the
// image encoder and the decoder step) and runs them off the main event loop, so gRPC I/O, probes
// and deadlines keep running while a step computes. Plain CommonJS on purpose: a worker thread
// does not inherit the TypeScript loader of the main thread. Unlike inference.worker.js it
// takes several runs per message and returns several outputs per run (logits and every layer's
// present keys and values).
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');

async function load() {
  const skipped = [];
  // Session options come from sessionOptionsFor on the main thread, one entry per provider to try.
  for (const { provider, options } of workerData.sessionOptions) {
    let encoder;
    try {
      encoder = await ort.InferenceSession.create(workerData.encoderPath, options);
      const decoder = await ort.InferenceSession.create(workerData.decoderPath, options);
      return { provider, skipped, sessions: { encoder, decoder } };
    } catch (error) {
      if (encoder) await encoder.release().catch(() => undefined);
      skipped.push({ provider, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { skipped };
}

load().then(({ provider, skipped, sessions }) => {
  if (!sessions) {
    parentPort.postMessage({ ready: true, skipped });
    return;
  }
  parentPort.postMessage({ ready: true, executionProvider: provider, skipped });
  // One message may carry several runs (a step's encoder, prefill and one-token calls): one round trip per step.
  parentPort.on('message', async ({ id, runs }) => {
    try {
      const results = [];
      const transfer = [];
      const computedRuns = [];
      for (const { session, feeds, outputs } of runs) {
        const tensors = {};
        for (const [name, input] of Object.entries(feeds)) {
          // A feed may name an earlier run's output: the encoder's image tokens feed the prefill without leaving the thread.
          tensors[name] = input.fromRun === undefined ? new ort.Tensor(input.type, input.data, input.dims) : computedRuns[input.fromRun][input.output];
        }
        const computed = await sessions[session].run(tensors);
        computedRuns.push(computed);
        const reply = {};
        for (const name of outputs) {
          const result = computed[name];
          if (!result) throw new Error(`the describer's ${session} has no output ${name}`);
          const data = result.data.slice();
          reply[name] = { type: result.type, data, dims: [...result.dims] };
          transfer.push(data.buffer);
        }
        results.push(reply);
      }
      parentPort.postMessage({ id, results }, transfer);
    } catch (error) {
      parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
    }
  });
});
