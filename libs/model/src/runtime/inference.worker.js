// The inference thread of ModelRuntime({ inferenceThread: 'worker' }): holds
// both towers' onnxruntime sessions and runs them off the main event loop.
// Plain CommonJS on purpose: a worker thread does not inherit the TypeScript
// loader of the main thread. Mirrors createInProcessBackend in tower-backend.ts.
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require('onnxruntime-node');

function sessionOptionsFor(provider, intraOpThreads) {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
    logSeverityLevel: 3,
  };
}

async function load() {
  const skipped = [];
  for (const provider of workerData.executionProviders) {
    let vision;
    try {
      const options = sessionOptionsFor(provider, workerData.intraOpThreads);
      vision = await ort.InferenceSession.create(workerData.visionPath, options);
      const text = await ort.InferenceSession.create(workerData.textPath, options);
      return { provider, skipped, sessions: { vision, text } };
    } catch (error) {
      if (vision) await vision.release().catch(() => undefined);
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
  const names = (session) => ({ inputs: [...session.inputNames], outputs: [...session.outputNames] });
  parentPort.postMessage({ ready: true, executionProvider: provider, skipped, names: { vision: names(sessions.vision), text: names(sessions.text) } });
  parentPort.on('message', async ({ id, tower, feeds, output }) => {
    try {
      const tensors = {};
      for (const [name, input] of Object.entries(feeds)) tensors[name] = new ort.Tensor(input.type, input.data, input.dims);
      const result = (await sessions[tower].run(tensors))[output];
      if (!result) throw new Error(`${tower} model has no output ${output}`);
      const data = result.data.slice();
      parentPort.postMessage({ id, output: { type: result.type, data, dims: [...result.dims] } }, [data.buffer]);
    } catch (error) {
      parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
    }
  });
});
