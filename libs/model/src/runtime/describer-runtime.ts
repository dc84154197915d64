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
import { InferencePool, type InferenceWorkerHandle } from './inference-pool';
import { InferenceLostError, startInferenceThread } from './inference-thread';
import { NoExecutionProviderError, sessionOptionsFor, type ExecutionProvider, type TensorInput } from './tower-backend';

/** One sequence's self-attention cache: per layer, keys and values of [heads, length, headDim]. */
export interface KvCache {
  length: number;
  keys: Float32Array[];
  values: Float32Array[];
}

export interface DescriberStepRow {
  /** The sequence's image tokens, [imageTokens × width]. */
  imageTokens: Float32Array;
  /** Undefined before the prompt was fed. */
  cache: KvCache | undefined;
  /** Tokens to feed after the cache: the prompt, then one token per step. */
  feed: readonly number[];
}

export interface DescriberStepOutput {
  /** Logits over the vocabulary for the token after the fed ones. */
  logits: Float32Array;
  cache: KvCache;
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

interface DescriberRun {
  session: 'encoder' | 'decoder';
  feeds: Record<string, TensorInput>;
  outputs: string[];
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

  /** Image tokens of `count` images, normalised pixel values float32 [count, 3, size, size] → one [imageTokens × width] per image. */
  async encodeImages(pixelValues: Float32Array, count: number): Promise<Float32Array[]> {
    const { image, decoder } = this.model.manifest;
    const output = await this.run('encoder', { [image.inputName]: { type: 'float32', data: pixelValues, dims: [count, 3, image.size, image.size] } }, [
      image.outputName,
    ]);
    const tokens = output[image.outputName];
    const perImage = decoder.imageTokens * decoder.width;
    if (tokens.data.length !== count * perImage) {
      throw new Error(`the describer's encoder returned ${tokens.dims.join('×')}, expected ${count}×${decoder.imageTokens}×${decoder.width}`);
    }
    return Array.from({ length: count }, (_, i) => tokens.data.slice(i * perImage, (i + 1) * perImage));
  }

  /**
   * One decoding step for every row, in order: one prefill call for rows without a cache, one step
   * call for the rest, sent to the worker in one message (one round trip per step).
   */
  async step(rows: readonly DescriberStepRow[]): Promise<DescriberStepOutput[]> {
    const groups = (['prefill', 'step'] as const)
      .map((kind) => ({ kind, indices: rows.flatMap((row, i) => ((row.cache === undefined) === (kind === 'prefill') ? [i] : [])) }))
      .filter((group) => group.indices.length > 0)
      .map((group) => ({ ...group, call: this.decoderCall(group.indices.map((i) => rows[i])) }));
    const results = await this.pool.run(groups.map((group) => group.call.run));
    const outputs = new Array<DescriberStepOutput>(rows.length);
    groups.forEach((group, g) => {
      this.options.onDecoderCall?.(group.kind, group.indices.length);
      const groupOutputs = group.call.read(results[g]);
      group.indices.forEach((rowIndex, i) => (outputs[rowIndex] = groupOutputs[i]));
    });
    return outputs;
  }

  /** Runs a describe of one blank image to the model's length, so the first request does not pay for session warm-up. */
  async warmUp(): Promise<void> {
    const { image, tokens } = this.model.manifest;
    const [imageTokens] = await this.encodeImages(new Float32Array(3 * image.size * image.size), 1);
    const prompt = this.tokenizer.prompt(this.model.manifest.prompts.describe);
    const [first] = await this.step([{ imageTokens, cache: undefined, feed: prompt }]);
    await this.step([{ imageTokens, cache: first.cache, feed: [tokens.eos] }]);
  }

  /** Called once if the worker died and could not be replaced; every later call rejects. */
  onFatal(listener: (error: Error) => void): void {
    this.pool.onLost((error) => listener(new InferenceLostError(error.message)));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }

  /** The feeds of one decoder call over `rows` (caches and prompts left-padded), and how to read its outputs back per row. */
  private decoderCall(rows: readonly DescriberStepRow[]): { run: DescriberRun; read(outputs: Record<string, TensorData>): DescriberStepOutput[] } {
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
    const imageTokens = new Float32Array(batch * imagePerRow);
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
      if (row.imageTokens.length !== imagePerRow) throw new Error(`image tokens of ${row.imageTokens.length} floats, expected ${imagePerRow}`);
      imageTokens.set(row.imageTokens, b * imagePerRow);
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
    const feeds: Record<string, TensorInput> = {
      [m.inputIdsName]: { type: 'int64', data: inputIds, dims: [batch, newTokens] },
      [m.positionIdsName]: { type: 'int64', data: positionIds, dims: [batch, newTokens] },
      [m.attentionMaskName]: { type: 'int64', data: attentionMask, dims: [batch, total] },
      [m.imageTokensName]: { type: 'float32', data: imageTokens, dims: [batch, m.imageTokens, m.width] },
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

  private async run(session: DescriberRun['session'], feeds: Record<string, TensorInput>, outputs: string[]): Promise<Record<string, TensorData>> {
    const [result] = await this.pool.run([{ session, feeds, outputs }]);
    return result;
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
        runs.flatMap((run) => Object.values(run.feeds).map((feed) => feed.data.buffer as ArrayBuffer)),
      ),
    terminate: () => thread.terminate(),
  };
}
