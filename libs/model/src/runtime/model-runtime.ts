/**
 * The CLIP model in onnxruntime-node: one session per tower (or a pool of
 * them on worker threads), created on the first execution provider of the
 * configured list that works here, the text tokenizer, and L2-normalised batch
 * inference. The embedder service and the
 * evaluation tools both use it; batching across requests is the caller's job.
 */
import type { ModelInfo } from '@vsearch/contracts';
import { loadModelDirectory, type LoadedModelDirectory } from '../manifest';
import type { InferenceRunOptions } from './inference-pool';
import { l2NormalizeRows } from './l2-normalize';
import { availableCores, resolveInferenceWorkers, resolveIntraOpThreads, resolveLatencyWorkerThreads, type WorkerCount } from './inference-sizing';
import { TextTokenizer, type TokenizedTexts } from './text-tokenizer';
import {
  createInProcessBackend,
  createWorkerBackend,
  NoExecutionProviderError,
  type ExecutionProvider,
  type TensorInput,
  type TensorOutput,
  type Tower,
  type TowerBackend,
} from './tower-backend';

export type { ExecutionProvider } from './tower-backend';
export { InferenceLostError } from './tower-backend';
export type { InferenceRunOptions } from './inference-pool';
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cuda', 'cpu'];

export interface ModelRuntimeOptions {
  /** Tried in order; one that cannot create both sessions here is skipped. Default `['cpu']`. */
  executionProviders?: readonly ExecutionProvider[];
  /** onnxruntime intra-op threads per session; `auto`: the measured rule (resolveIntraOpThreads); unset lets onnxruntime choose (one per core). */
  intraOpThreads?: WorkerCount;
  /**
   * Whether idle intra-op threads spin waiting for work (default true, onnxruntime's behaviour).
   * Turn it off where the two towers, or other work, share the cores: spinning threads take the
   * CPU the other session needs.
   */
  intraOpSpinning?: boolean;
  /** Told about every skipped provider, so a service can log it. */
  onProviderSkipped?: (provider: ExecutionProvider, reason: string) => void;
  /**
   * 'main' (default): sessions run on the calling thread, which onnxruntime-node
   * blocks while a batch computes. 'worker': each tower's session lives on its
   * own worker thread, so a server's event loop stays free for I/O and health
   * probes, and the two towers compute side by side.
   */
  inferenceThread?: 'main' | 'worker';
  /**
   * Sessions per tower, each on a worker thread of its own with its own intra-op threads (default
   * 1); batches of a tower are handed to the first free one. `auto`: the measured rule for the
   * provider the first session settled on (resolveInferenceWorkers). More than one needs
   * inferenceThread 'worker'.
   */
  inferenceWorkers?: WorkerCount;
  /**
   * Intra-op threads of a latency worker per tower: one more session, used only while nothing in
   * the process computes, so a lone query computes on several cores while the throughput
   * workers keep one each under load (see InferencePool). 0 (default): none. `auto`: the
   * measured rule (resolveLatencyWorkerThreads). Needs inferenceThread 'worker'.
   */
  latencyWorkerThreads?: WorkerCount;
  /** Told when an inference worker died, whether a replacement is being started, and how many are left. */
  onWorkerDied?: (tower: 'image' | 'text', error: Error, replacing: boolean, workersLeft: number) => void;
}

/** The platform's description of the model (what other services need), plus what only this process knows. */
export interface ModelRuntimeInfo extends ModelInfo {
  name: string;
  version: string;
  mean: [number, number, number];
  std: [number, number, number];
  executionProvider: ExecutionProvider;
  /** As resolved (`auto` → a number); undefined: onnxruntime's default. */
  intraOpThreads: number | undefined;
  inferenceThread: 'main' | 'worker';
  /** Throughput sessions per tower, as resolved (`auto` → a number). */
  inferenceWorkers: number;
  /** Intra-op threads of each tower's latency worker, as resolved; 0: none. */
  latencyWorkerThreads: number;
  /** Providers tried before the one in use, with why they were skipped. */
  skippedProviders: { provider: ExecutionProvider; reason: string }[];
}

/** The towers as the service names them (the graphs call the image tower 'vision'). */
function towerName(tower: Tower): 'image' | 'text' {
  return tower === 'vision' ? 'image' : 'text';
}

export class ModelRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelRuntimeError';
  }
}

export class ModelRuntime {
  private closed = false;

  private constructor(
    readonly model: LoadedModelDirectory,
    private readonly backend: TowerBackend,
    readonly tokenizer: TextTokenizer,
    private readonly options: ModelRuntimeOptions,
  ) {}

  get executionProvider(): ExecutionProvider {
    return this.backend.executionProvider;
  }

  /** Loads `<dir>/model.json`, its tokenizer and both towers. */
  static async load(dir: string, options: ModelRuntimeOptions = {}): Promise<ModelRuntime> {
    const model = loadModelDirectory(dir);
    const tokenizer = TextTokenizer.fromFile(model.tokenizerPath, model.manifest.text);
    const requestedWorkers = options.inferenceWorkers ?? 1;
    const requestedLatencyThreads = options.latencyWorkerThreads ?? 0;
    for (const [name, value] of [
      ['inferenceWorkers', requestedWorkers],
      ['intraOpThreads', options.intraOpThreads ?? 'auto'],
    ] as const) {
      if (value !== 'auto' && !(Number.isInteger(value) && value >= 1))
        throw new ModelRuntimeError(`${name} must be a whole number ≥ 1 or 'auto', got ${value}`);
    }
    if (requestedLatencyThreads !== 'auto' && !(Number.isInteger(requestedLatencyThreads) && requestedLatencyThreads >= 0))
      throw new ModelRuntimeError(`latencyWorkerThreads must be a whole number ≥ 0 or 'auto', got ${requestedLatencyThreads}`);
    if (requestedWorkers !== 1 && options.inferenceThread !== 'worker') {
      throw new ModelRuntimeError(`inferenceWorkers ${requestedWorkers} needs inferenceThread 'worker': sessions on the calling thread run one at a time`);
    }
    if (requestedLatencyThreads !== 'auto' && requestedLatencyThreads > 0 && options.inferenceThread !== 'worker') {
      throw new ModelRuntimeError(
        `latencyWorkerThreads ${requestedLatencyThreads} needs inferenceThread 'worker': sessions on the calling thread run one at a time`,
      );
    }
    const intraOpThreads = options.intraOpThreads === undefined ? undefined : resolveIntraOpThreads(options.intraOpThreads);
    const backendOptions = {
      executionProviders: options.executionProviders?.length ? options.executionProviders : (['cpu'] as const),
      intraOpThreads,
      intraOpSpinning: options.intraOpSpinning ?? true,
      onProviderSkipped: options.onProviderSkipped,
      workersPerTower: (provider: ExecutionProvider) => resolveInferenceWorkers(requestedWorkers, provider, intraOpThreads ?? 1),
      latencyWorkerThreads: (provider: ExecutionProvider) => resolveLatencyWorkerThreads(requestedLatencyThreads, provider, intraOpThreads ?? availableCores()),
      onWorkerDied:
        options.onWorkerDied &&
        ((tower: Tower, error: Error, replacing: boolean, left: number) => options.onWorkerDied?.(towerName(tower), error, replacing, left)),
    };
    let backend: TowerBackend;
    try {
      backend = options.inferenceThread === 'worker' ? await createWorkerBackend(model, backendOptions) : await createInProcessBackend(model, backendOptions);
    } catch (error) {
      if (error instanceof NoExecutionProviderError) throw new ModelRuntimeError(error.message);
      throw error;
    }
    const runtime = new ModelRuntime(model, backend, tokenizer, { ...options, intraOpThreads });
    try {
      runtime.checkGraphs();
    } catch (error) {
      await backend.close();
      throw error;
    }
    return runtime;
  }

  info(): ModelRuntimeInfo {
    const { manifest } = this.model;
    return {
      modelId: this.model.id,
      name: manifest.name,
      version: manifest.version,
      dimension: manifest.embeddingDimension,
      imageSize: manifest.image.size,
      mean: [...manifest.image.mean],
      std: [...manifest.image.std],
      resize: manifest.image.resize,
      crop: manifest.image.crop,
      contextLength: manifest.text.contextLength,
      executionProvider: this.backend.executionProvider,
      textScoreThreshold: manifest.textSearchScoreThreshold,
      imageScoreThreshold: manifest.imageSearchScoreThreshold,
      logitScale: manifest.logitScale,
      intraOpThreads: this.options.intraOpThreads as number | undefined,
      inferenceThread: this.options.inferenceThread ?? 'main',
      inferenceWorkers: this.backend.workersPerTower,
      latencyWorkerThreads: this.backend.latencyWorkerThreads,
      skippedProviders: [...this.backend.skippedProviders],
    };
  }

  /**
   * Batches of a tower that compute at once now (its live throughput sessions), so a caller can keep
   * that many computing (fewer while a crashed one is replaced).
   */
  liveWorkers(tower: 'image' | 'text'): number {
    return this.backend.workers(tower === 'image' ? 'vision' : 'text');
  }

  /** Token ids and attention masks, padded or truncated to the context length. */
  tokenize(texts: readonly string[]): TokenizedTexts {
    return this.tokenizer.tokenize(texts);
  }

  /**
   * `chw` holds `count` normalised images, float32 [count, 3, S, S]; returns count × D unit vectors.
   * `options` says whether the batch may take the latency worker (InferenceRunOptions).
   */
  async embedImageBatch(chw: Float32Array, count: number, options?: InferenceRunOptions): Promise<Float32Array> {
    const size = this.model.manifest.image.size;
    const expected = count * 3 * size * size;
    if (count <= 0 || chw.length < expected) {
      throw new ModelRuntimeError(`embedImageBatch: need ${expected} floats for ${count} images of ${size}x${size}, got ${chw.length}`);
    }
    const input = chw.length === expected ? chw : chw.subarray(0, expected);
    const { image } = this.model.manifest;
    const output = await this.run('vision', { [image.inputName]: { type: 'float32', data: input, dims: [count, 3, size, size] } }, image.outputName, options);
    return this.normalisedOutput(output, image.outputName, count);
  }

  /** `ids` and `mask` are int64 [count, contextLength] (see `tokenize`); returns count × D unit vectors. `options` as for embedImageBatch. */
  async embedTextBatch(ids: BigInt64Array, mask: BigInt64Array, count: number, options?: InferenceRunOptions): Promise<Float32Array> {
    const { text } = this.model.manifest;
    const expected = count * text.contextLength;
    if (count <= 0 || ids.length < expected || mask.length < expected) {
      throw new ModelRuntimeError(`embedTextBatch: need ${expected} token ids and mask values for ${count} texts, got ${ids.length} and ${mask.length}`);
    }
    const shape = [count, text.contextLength];
    const feeds: Record<string, TensorInput> = { [text.inputIdsName]: { type: 'int64', data: ids.subarray(0, expected), dims: shape } };
    if (text.attentionMaskName) feeds[text.attentionMaskName] = { type: 'int64', data: mask.subarray(0, expected), dims: shape };
    const output = await this.run('text', feeds, text.outputName, options);
    return this.normalisedOutput(output, text.outputName, count);
  }

  /** Convenience for tools and tests: tokenise and embed in one batch. */
  async embedTexts(texts: readonly string[]): Promise<Float32Array> {
    const tokens = this.tokenize(texts);
    return this.embedTextBatch(tokens.inputIds, tokens.attentionMask, tokens.count);
  }

  /**
   * Runs both towers once at batch size 1 and once at `batchSize`, so the
   * first real request does not pay for memory arenas and kernel selection.
   * Every session of a pool warms up, the latency worker included: as many
   * runs at once as it has sessions, and the pool gives each to a different
   * free one.
   */
  async warmUp(batchSize = 1): Promise<void> {
    const size = this.model.manifest.image.size;
    const everyWorker = (tower: 'image' | 'text', run: () => Promise<unknown>) =>
      Promise.all(Array.from({ length: this.backend.sessions(tower === 'image' ? 'vision' : 'text') }, run));
    for (const count of new Set([1, Math.max(1, batchSize)])) {
      const pixels = new Float32Array(count * 3 * size * size);
      await everyWorker('image', () => this.embedImageBatch(pixels, count));
      const tokens = this.tokenize(new Array<string>(count).fill('warm up'));
      await everyWorker('text', () => this.embedTextBatch(tokens.inputIds, tokens.attentionMask, count));
    }
  }

  /**
   * Called once if inference can never work again (every worker of a tower died
   * and none could be started again, for instance out of memory): a server
   * should stop reporting SERVING and exit. A worker that dies while others
   * live is replaced without this.
   */
  onFatal(listener: (error: Error) => void): void {
    this.backend.onFatal(listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.backend.close();
  }

  private async run(tower: Tower, feeds: Record<string, TensorInput>, output: string, options?: InferenceRunOptions): Promise<TensorOutput> {
    if (this.closed) throw new ModelRuntimeError('the model runtime is closed');
    return this.backend.run(tower, feeds, output, options);
  }

  private normalisedOutput(tensor: TensorOutput, name: string, count: number): Float32Array {
    const dimension = this.model.manifest.embeddingDimension;
    if (tensor.type !== 'float32') throw new ModelRuntimeError(`model output ${name} is missing or not float32`);
    if (tensor.dims.length !== 2 || tensor.dims[0] !== count || tensor.dims[1] !== dimension) {
      throw new ModelRuntimeError(`model output ${name} has shape [${tensor.dims.join(', ')}], expected [${count}, ${dimension}]`);
    }
    return l2NormalizeRows(tensor.data, count, dimension);
  }

  /** Refuses a model directory whose graphs do not match its manifest, naming the mismatch. */
  private checkGraphs(): void {
    const { image, text } = this.model.manifest;
    const { names } = this.backend;
    const problems: string[] = [];
    const expect = (tower: Tower, kind: 'inputs' | 'outputs', name: string) => {
      if (!names[tower][kind].includes(name)) problems.push(`${tower} has no ${kind.slice(0, -1)} ${name} (${kind}: ${names[tower][kind].join(', ')})`);
    };
    expect('vision', 'inputs', image.inputName);
    expect('vision', 'outputs', image.outputName);
    expect('text', 'inputs', text.inputIdsName);
    if (text.attentionMaskName) expect('text', 'inputs', text.attentionMaskName);
    expect('text', 'outputs', text.outputName);
    if (problems.length) throw new ModelRuntimeError(`model ${this.model.id} does not match its model.json: ${problems.join('; ')}`);
  }
}
