/**
 * The describer model in onnxruntime-node: its image encoder and decoder step on an inference
 * worker thread (InferencePool of one: replaced if it dies), the tokenizer, and the tensor work of
 * one decoding step for a batch of rows, each with its own KV cache. Searching (greedy, beams) and
 * batching rows across requests are the caller's (@vsearch/decoding, the embedder's StepBatcher).
 *
 * A step groups its rows: rows with no cache yet (prompts) go to one prefill call, left-padded to
 * the longest prompt; rows with a cache (one new token each) to one step call, their caches
 * left-padded to the longest. Padding is masked out (`attention_mask`), positions count real
 * tokens only, and each row keeps exactly its own cache, so its padding never grows.
 */
import path from 'node:path';
import { loadDescriberDirectory, type DescriberManifest, type LoadedDescriberDirectory } from '../describer-manifest';
import { DescriberTokenizer } from './describer-tokenizer';
import { InferencePool, InferencePoolLostError, processComputeActivity, type InferenceWorkerHandle } from './inference-pool';
import { InferenceLostError, startInferenceThread } from './inference-thread';
import { NoExecutionProviderError, sessionOptionsFor, type ExecutionProvider, type TensorInput } from './tower-backend';

/** One sequence's self-attention cache: per layer, keys and values of [heads, length, headDim]. */
export interface KvCache {
  length: number;
  keys: Float32Array[];
  values: Float32Array[];
}

export interface DescriberStepRow {
  /**
   * A sequence's first step (no cache yet): its image's normalised pixel values [3 × size × size],
   * encoded in the same worker message as the prefill. Later steps: the image tokens
   * [imageTokens × width] that first step returned.
   */
  image: Float32Array;
  /** Undefined before the prompt was fed. */
  cache: KvCache | undefined;
  /** Tokens to feed after the cache: the prompt, then one token per step. */
  feed: readonly number[];
}

export interface DescriberStepOutput {
  /** Logits over the vocabulary for the token after the fed ones. */
  logits: Float32Array;
  cache: KvCache;
  /** On a sequence's first step: its image tokens, to pass as `image` from then on. */
  imageTokens?: Float32Array;
}

export type DecoderCallKind = 'prefill' | 'step';

export interface DescriberRuntimeOptions {
  /** Tried in order; one that cannot create both sessions here is skipped. Default `['cpu']`. */
  executionProviders?: readonly ExecutionProvider[];
  /** onnxruntime intra-op threads per session; unset lets onnxruntime choose. */
  intraOpThreads?: number;
  intraOpSpinning?: boolean;
  onProviderSkipped?: (provider: ExecutionProvider, reason: string) => void;
  onWorkerDied?: (error: Error, replacing: boolean, workersLeft: number) => void;
  /** Told of every decoder call, for metrics: a prefill of prompts or a one-token step, and its rows. */
  onDecoderCall?: (kind: DecoderCallKind, rows: number) => void;
}

export interface DescriberRuntimeInfo {
  modelId: string;
  manifest: DescriberManifest;
  executionProvider: ExecutionProvider;
  skippedProviders: { provider: ExecutionProvider; reason: string }[];
}

interface TensorData {
  type: string;
  data: Float32Array;
  dims: number[];
}

/** A feed taken from an earlier run of the same worker message (the encoder's image tokens for the prefill). */
interface EarlierOutput {
  fromRun: number;
  output: string;
}

interface DescriberRun {
  session: 'encoder' | 'decoder';
  feeds: Record<string, TensorInput | EarlierOutput>;
  outputs: string[];
}

/** One decoder call: the run to send, and how to read its outputs back per row. */
interface DecoderCall {
  run: DescriberRun;
  read(outputs: Record<string, TensorData>): DescriberStepOutput[];
}

type DescriberWorker = InferenceWorkerHandle<DescriberRun[], Record<string, TensorData>[]> & {
  executionProvider: ExecutionProvider;
  skipped: { provider: ExecutionProvider; reason: string }[];
};

export class DescriberRuntime {
  private constructor(
    private readonly model: LoadedDescriberDirectory,
    private readonly pool: InferencePool<DescriberRun[], Record<string, TensorData>[]>,
    private readonly first: DescriberWorker,
    readonly tokenizer: DescriberTokenizer,
    private readonly options: DescriberRuntimeOptions,
  ) {}

  /** Loads `<dir>` (a `kind: "describer"` model directory) onto a worker thread. */
  static async load(dir: string, options: DescriberRuntimeOptions = {}): Promise<DescriberRuntime> {
    const model = loadDescriberDirectory(dir);
    const tokenizer = DescriberTokenizer.fromFile(model.tokenizerPath, model.manifest);
    const providers = options.executionProviders ?? ['cpu'];
    let first: DescriberWorker | undefined;
    let pool: InferencePool<DescriberRun[], Record<string, TensorData>[]>;
    try {
      pool = await InferencePool.start({
        name: 'describer',
        size: 1,
        startWorker: async (onDeath) => {
          const worker = await startDescriberWorker(model, first ? [first.executionProvider] : providers, options, onDeath);
          first ??= worker;
          return worker;
        },
        onWorkerDied: options.onWorkerDied,
        // Its steps compete for the cores with the towers' runs: a latency worker waits for them too.
        activity: processComputeActivity,
      });
    } catch (error) {
      if (!(error instanceof DescriberWorkerStartError)) throw error;
      for (const entry of error.skipped) options.onProviderSkipped?.(entry.provider, entry.reason);
      throw new NoExecutionProviderError(
        `no execution provider of [${providers.join(', ')}] could load ${model.dir}: ${error.skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`,
      );
    }
    for (const entry of first!.skipped) options.onProviderSkipped?.(entry.provider, entry.reason);
    return new DescriberRuntime(model, pool, first!, tokenizer, options);
  }

  info(): DescriberRuntimeInfo {
    return { modelId: this.model.id, manifest: this.model.manifest, executionProvider: this.first.executionProvider, skippedProviders: this.first.skipped };
  }

  /**
   * One decoding step for every row, in order, in one worker message (one round trip per step):
   * the images of rows on their first step through the encoder, then one prefill call for those
   * rows (fed the encoder's output inside the worker), then one step call for the rest.
   */
  async step(rows: readonly DescriberStepRow[]): Promise<DescriberStepOutput[]> {
    const { image } = this.model.manifest;
    const prefill = rows.flatMap((row, i) => (row.cache === undefined ? [i] : []));
    const continuing = rows.flatMap((row, i) => (row.cache === undefined ? [] : [i]));
    const runs: DescriberRun[] = [];
    const plane = 3 * image.size * image.size;
    let prefillCall: DecoderCall | undefined;
    if (prefill.length > 0) {
      const pixelValues = new Float32Array(prefill.length * plane);
      prefill.forEach((rowIndex, i) => {
        if (rows[rowIndex].image.length !== plane) throw new Error(`a first step takes ${plane} pixel values, got ${rows[rowIndex].image.length}`);
        pixelValues.set(rows[rowIndex].image, i * plane);
      });
      runs.push({
        session: 'encoder',
        feeds: { [image.inputName]: { type: 'float32', data: pixelValues, dims: [prefill.length, 3, image.size, image.size] } },
        outputs: [image.outputName],
      });
      prefillCall = this.decoderCall(
        prefill.map((i) => rows[i]),
        { fromRun: 0, output: image.outputName },
      );
      runs.push(prefillCall.run);
    }
    const stepCall = continuing.length > 0 ? this.decoderCall(continuing.map((i) => rows[i])) : undefined;
    if (stepCall) runs.push(stepCall.run);
    const results = await this.runOnWorker(runs);
    const outputs = new Array<DescriberStepOutput>(rows.length);
    if (prefillCall) {
      this.options.onDecoderCall?.('prefill', prefill.length);
      const imageTokens = this.splitImageTokens(results[0][image.outputName], prefill.length);
      prefillCall.read(results[1]).forEach((output, i) => (outputs[prefill[i]] = { ...output, imageTokens: imageTokens[i] }));
    }
    if (stepCall) {
      this.options.onDecoderCall?.('step', continuing.length);
      stepCall.read(results[results.length - 1]).forEach((output, i) => (outputs[continuing[i]] = output));
    }
    return outputs;
  }

  /** Runs one blank image's prompt and one more token, so the first request does not pay for session warm-up. */
  async warmUp(): Promise<void> {
    const { image, tokens } = this.model.manifest;
    const prompt = this.tokenizer.prompt(this.model.manifest.prompts.describe);
    const [first] = await this.step([{ image: new Float32Array(3 * image.size * image.size), cache: undefined, feed: prompt }]);
    await this.step([{ image: first.imageTokens!, cache: first.cache, feed: [tokens.eos] }]);
  }

  /** Runs on the worker; once no worker is left the failure is InferenceLostError, this pod's outage (UNAVAILABLE), like CLIP's. */
  private async runOnWorker(runs: DescriberRun[]): Promise<Record<string, TensorData>[]> {
    try {
      return await this.pool.run(runs);
    } catch (error) {
      if (error instanceof InferencePoolLostError) throw new InferenceLostError(error.message);
      throw error;
    }
  }

  private splitImageTokens(tokens: TensorData, count: number): Float32Array[] {
    const { decoder } = this.model.manifest;
    const perImage = decoder.imageTokens * decoder.width;
    if (tokens.data.length !== count * perImage) {
      throw new Error(`the describer's encoder returned ${tokens.dims.join('×')}, expected ${count}×${decoder.imageTokens}×${decoder.width}`);
    }
    return Array.from({ length: count }, (_, i) => tokens.data.slice(i * perImage, (i + 1) * perImage));
  }

  /** Called once if the worker died and could not be replaced; every later call rejects. */
  onFatal(listener: (error: Error) => void): void {
    this.pool.onLost((error) => listener(new InferenceLostError(error.message)));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** The feeds of one decoder call over `rows` (caches and prompts left-padded), and how to read its outputs back per row. */
  private decoderCall(rows: readonly DescriberStepRow[], imageTokensFrom?: EarlierOutput): DecoderCall {
    const m = this.model.manifest.decoder;
    const { pad } = this.model.manifest.tokens;
    const batch = rows.length;
    const newTokens = Math.max(...rows.map((row) => row.feed.length));
    const past = Math.max(...rows.map((row) => row.cache?.length ?? 0));
    const total = past + newTokens;
    const inputIds = new BigInt64Array(batch * newTokens).fill(BigInt(pad));
    const positionIds = new BigInt64Array(batch * newTokens);
    const attentionMask = new BigInt64Array(batch * total);
    const imagePerRow = m.imageTokens * m.width;
    // Rows on their first step take the encoder's output of the same message; the others their own tokens.
    const imageTokens = imageTokensFrom ? undefined : new Float32Array(batch * imagePerRow);
    const headBlock = m.headDim;
    const pastKeys = Array.from({ length: m.layers }, () => new Float32Array(batch * m.heads * past * headBlock));
    const pastValues = Array.from({ length: m.layers }, () => new Float32Array(batch * m.heads * past * headBlock));
    rows.forEach((row, b) => {
      const own = row.cache?.length ?? 0;
      const fed = row.feed.length;
      // Left padding: the row's past ends where the new tokens start, its new tokens end the row.
      for (let k = 0; k < own; k++) attentionMask[b * total + (past - own) + k] = 1n;
      row.feed.forEach((token, j) => {
        const column = newTokens - fed + j;
        inputIds[b * newTokens + column] = BigInt(token);
        positionIds[b * newTokens + column] = BigInt(own + j);
        attentionMask[b * total + past + column] = 1n;
      });
      if (imageTokens) {
        if (row.image.length !== imagePerRow) throw new Error(`image tokens of ${row.image.length} floats, expected ${imagePerRow}`);
        imageTokens.set(row.image, b * imagePerRow);
      }
      if (!row.cache) return;
      for (let layer = 0; layer < m.layers; layer++) {
        for (let head = 0; head < m.heads; head++) {
          const from = head * own * headBlock;
          const to = ((b * m.heads + head) * past + (past - own)) * headBlock;
          pastKeys[layer].set(row.cache.keys[layer].subarray(from, from + own * headBlock), to);
          pastValues[layer].set(row.cache.values[layer].subarray(from, from + own * headBlock), to);
        }
      }
    });
    const feeds: DescriberRun['feeds'] = {
      [m.inputIdsName]: { type: 'int64', data: inputIds, dims: [batch, newTokens] },
      [m.positionIdsName]: { type: 'int64', data: positionIds, dims: [batch, newTokens] },
      [m.attentionMaskName]: { type: 'int64', data: attentionMask, dims: [batch, total] },
      [m.imageTokensName]: imageTokens ? { type: 'float32', data: imageTokens, dims: [batch, m.imageTokens, m.width] } : imageTokensFrom!,
    };
    const presentNames: [string, string][] = [];
    for (let layer = 0; layer < m.layers; layer++) {
      const name = (pattern: string) => pattern.replace('{layer}', String(layer));
      feeds[name(m.pastKeyName)] = { type: 'float32', data: pastKeys[layer], dims: [batch, m.heads, past, m.headDim] };
      feeds[name(m.pastValueName)] = { type: 'float32', data: pastValues[layer], dims: [batch, m.heads, past, m.headDim] };
      presentNames.push([name(m.presentKeyName), name(m.presentValueName)]);
    }
    const read = (outputs: Record<string, TensorData>): DescriberStepOutput[] => {
      const logits = outputs[m.logitsName];
      const vocabulary = logits.dims[2];
      if (logits.dims[0] !== batch || logits.dims[1] !== newTokens) throw new Error(`the describer's decoder returned logits of ${logits.dims.join('×')}`);
      return rows.map((row, b) => {
        const length = (row.cache?.length ?? 0) + row.feed.length;
        // The row's own positions are the last `length` of the padded batch.
        const slice = (present: TensorData) => {
          const own = new Float32Array(m.heads * length * headBlock);
          for (let head = 0; head < m.heads; head++) {
            const from = ((b * m.heads + head) * total + (total - length)) * headBlock;
            own.set(present.data.subarray(from, from + length * headBlock), head * length * headBlock);
          }
          return own;
        };
        const last = (b * newTokens + newTokens - 1) * vocabulary;
        return {
          logits: logits.data.slice(last, last + vocabulary),
          cache: { length, keys: presentNames.map(([key]) => slice(outputs[key])), values: presentNames.map(([, value]) => slice(outputs[value])) },
        };
      });
    };
    return { run: { session: 'decoder', feeds, outputs: [m.logitsName, ...presentNames.flat()] }, read };
  }
}

class DescriberWorkerStartError extends Error {
  constructor(readonly skipped: { provider: ExecutionProvider; reason: string }[]) {
    super(`describer inference worker could not start: ${skipped.map((entry) => `${entry.provider}: ${entry.reason}`).join('; ')}`);
    this.name = 'DescriberWorkerStartError';
  }
}

interface WorkerReady {
  ready: true;
  executionProvider?: ExecutionProvider;
  skipped: { provider: ExecutionProvider; reason: string }[];
}

interface WorkerReply {
  id: number;
  error?: string;
  /** One record of outputs per run of the message, in order. */
  results?: Record<string, TensorData>[];
}

/** Starts `describer.worker.js` with both sessions; `onDeath` hears of a crash after that. */
async function startDescriberWorker(
  model: LoadedDescriberDirectory,
  providers: readonly ExecutionProvider[],
  options: DescriberRuntimeOptions,
  onDeath: (error: Error) => void,
): Promise<DescriberWorker> {
  const thread = await startInferenceThread<WorkerReady, WorkerReply, Record<string, TensorData>[]>({
    file: path.join(__dirname, 'describer.worker.js'),
    label: 'describer',
    workerData: {
      encoderPath: model.encoderPath,
      decoderPath: model.decoderPath,
      sessionOptions: providers.map((provider) => ({
        provider,
        options: sessionOptionsFor(provider, options.intraOpThreads, options.intraOpSpinning ?? false),
      })),
    },
    onDeath,
    resultOf: (reply) => {
      if (!reply.results) throw new Error('describer inference worker sent no output');
      return reply.results;
    },
  });
  const { hello } = thread;
  if (!hello.executionProvider) {
    await thread.terminate();
    throw new DescriberWorkerStartError(hello.skipped);
  }
  return {
    executionProvider: hello.executionProvider,
    skipped: hello.skipped,
    // The feeds were built for this message: their buffers move to the worker without a copy.
    run: (runs) =>
      thread.run(
        { runs },
        runs.flatMap((run) => Object.values(run.feeds).flatMap((feed) => ('data' in feed ? [feed.data.buffer as ArrayBuffer] : []))),
      ),
    terminate: () => thread.terminate(),
  };
}
