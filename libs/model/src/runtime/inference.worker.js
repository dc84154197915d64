// An inference thread of ModelRuntime({ inferenceThread: 'worker' }): holds
// the onnxruntime session of ONE tower (workerData.tower) and runs it off the
// main event loop. One thread per tower, so a short text query is computed
// beside a long image batch instead of behind it.
// Plain CommonJS on purpose: a worker thread does not inherit the TypeScript
// loader of the main thread. Mirrors createInProcessBackend in tower-backend.ts.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');

async function load() {
  const skipped = [];
  // Session options come from sessionOptionsFor on the main thread, one entry per provider to try.
  for (const { provider, options } of workerData.sessionOptions) {
    try {
      const session = await ort.InferenceSession.create(workerData.modelPath, options);
      return { provider, skipped, session };
    } catch (error) {
      skipped.push({ provider, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { skipped };
}

load().then(({ provider, skipped, session }) => {
  if (!session) {
    parentPort.postMessage({ ready: true, skipped });
    return;
  }
  parentPort.postMessage({ ready: true, executionProvider: provider, skipped, names: { inputs: [...session.inputNames], outputs: [...session.outputNames] } });
  parentPort.on('message', async ({ id, feeds, output }) => {
    try {
      const tensors = {};
      for (const [name, input] of Object.entries(feeds)) tensors[name] = new ort.Tensor(input.type, input.data, input.dims);
      const result = (await session.run(tensors))[output];
      if (!result) throw new Error(`${workerData.tower} model has no output ${output}`);
      const data = result.data.slice();
      parentPort.postMessage({ id, output: { type: result.type, data, dims: [...result.dims] } }, [data.buffer]);
    } catch (error) {
      parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
    }
  });
});
