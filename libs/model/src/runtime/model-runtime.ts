/**
 * The CLIP model in onnxruntime-node: one session per tower, created on the
 * first execution provider of the configured list that works here, the text
 * tokenizer, and L2-normalised batch inference. The embedder service and the
 * evaluation tools both use it; batching across requests is the caller's job.
 */
import * as ort from 'onnxruntime-node';
import { loadModelDirectory, type LoadedModelDirectory } from '../manifest';
import { l2NormalizeRows } from './l2-normalize';
import { TextTokenizer, type TokenizedTexts } from './text-tokenizer';

export type ExecutionProvider = 'cuda' | 'cpu';
export const EXECUTION_PROVIDERS: readonly ExecutionProvider[] = ['cuda', 'cpu'];

export interface ModelRuntimeOptions {
  /** Tried in order; one that cannot create both sessions here is skipped. Default `['cpu']`. */
  executionProviders?: readonly ExecutionProvider[];
  /** onnxruntime intra-op threads per session; unset lets onnxruntime choose (one per core). */
  intraOpThreads?: number;
  /** Told about every skipped provider, so a service can log it. */
  onProviderSkipped?: (provider: ExecutionProvider, reason: string) => void;
}

export interface ModelRuntimeInfo {
  modelId: string;
  name: string;
  version: string;
  dimension: number;
  imageSize: number;
  mean: [number, number, number];
  std: [number, number, number];
  resize: string;
  crop: string;
  contextLength: number;
  executionProvider: ExecutionProvider;
  intraOpThreads: number | undefined;
  /** Providers tried before the one in use, with why they were skipped. */
  skippedProviders: { provider: ExecutionProvider; reason: string }[];
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
    private readonly vision: ort.InferenceSession,
    private readonly text: ort.InferenceSession,
    readonly tokenizer: TextTokenizer,
    readonly executionProvider: ExecutionProvider,
    private readonly intraOpThreads: number | undefined,
    private readonly skippedProviders: { provider: ExecutionProvider; reason: string }[],
  ) {}

  /** Loads `<dir>/model.json`, its tokenizer and both towers. */
  static async load(dir: string, options: ModelRuntimeOptions = {}): Promise<ModelRuntime> {
    const model = loadModelDirectory(dir);
    const tokenizer = TextTokenizer.fromFile(model.tokenizerPath, model.manifest.text);
    const providers = options.executionProviders?.length ? options.executionProviders : (['cpu'] as const);
    const skipped: { provider: ExecutionProvider; reason: string }[] = [];
    for (const provider of providers) {
      let vision: ort.InferenceSession | undefined;
      try {
        const sessionOptions = sessionOptionsFor(provider, options.intraOpThreads);
        vision = await ort.InferenceSession.create(model.visionPath, sessionOptions);
        const text = await ort.InferenceSession.create(model.textPath, sessionOptions);
        const runtime = new ModelRuntime(model, vision, text, tokenizer, provider, options.intraOpThreads, skipped);
        runtime.checkGraphs();
        return runtime;
      } catch (error) {
        if (error instanceof ModelRuntimeError) throw error;
        await vision?.release().catch(() => undefined);
        const reason = error instanceof Error ? error.message : String(error);
        skipped.push({ provider, reason });
        options.onProviderSkipped?.(provider, reason);
      }
    }
    throw new ModelRuntimeError(
      `no execution provider of [${providers.join(', ')}] could load ${model.dir}: ${skipped.map((s) => `${s.provider}: ${s.reason}`).join('; ')}`,
    );
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
      executionProvider: this.executionProvider,
      intraOpThreads: this.intraOpThreads,
      skippedProviders: [...this.skippedProviders],
    };
  }

  /** Token ids and attention masks, padded or truncated to the context length. */
  tokenize(texts: readonly string[]): TokenizedTexts {
    return this.tokenizer.tokenize(texts);
  }

  /** `chw` holds `count` normalised images, float32 [count, 3, S, S]; returns count × D unit vectors. */
  async embedImageBatch(chw: Float32Array, count: number): Promise<Float32Array> {
    const size = this.model.manifest.image.size;
    const expected = count * 3 * size * size;
    if (count <= 0 || chw.length < expected) {
      throw new ModelRuntimeError(`embedImageBatch: need ${expected} floats for ${count} images of ${size}x${size}, got ${chw.length}`);
    }
    const input = chw.length === expected ? chw : chw.subarray(0, expected);
    const { image } = this.model.manifest;
    const outputs = await this.run(this.vision, { [image.inputName]: new ort.Tensor('float32', input, [count, 3, size, size]) });
    return this.normalisedOutput(outputs, image.outputName, count);
  }

  /** `ids` and `mask` are int64 [count, contextLength] (see `tokenize`); returns count × D unit vectors. */
  async embedTextBatch(ids: BigInt64Array, mask: BigInt64Array, count: number): Promise<Float32Array> {
    const { text } = this.model.manifest;
    const expected = count * text.contextLength;
    if (count <= 0 || ids.length < expected || mask.length < expected) {
      throw new ModelRuntimeError(`embedTextBatch: need ${expected} token ids and mask values for ${count} texts, got ${ids.length} and ${mask.length}`);
    }
    const shape = [count, text.contextLength];
    const feeds: Record<string, ort.Tensor> = { [text.inputIdsName]: new ort.Tensor('int64', ids.subarray(0, expected), shape) };
    if (text.attentionMaskName) feeds[text.attentionMaskName] = new ort.Tensor('int64', mask.subarray(0, expected), shape);
    const outputs = await this.run(this.text, feeds);
    return this.normalisedOutput(outputs, text.outputName, count);
  }

  /** Convenience for tools and tests: tokenise and embed in one batch. */
  async embedTexts(texts: readonly string[]): Promise<Float32Array> {
    const tokens = this.tokenize(texts);
    return this.embedTextBatch(tokens.inputIds, tokens.attentionMask, tokens.count);
  }

  /**
   * Runs both towers once at batch size 1 and once at `batchSize`, so the
   * first real request does not pay for memory arenas and kernel selection.
   */
  async warmUp(batchSize = 1): Promise<void> {
    const size = this.model.manifest.image.size;
    for (const count of new Set([1, Math.max(1, batchSize)])) {
      await this.embedImageBatch(new Float32Array(count * 3 * size * size), count);
      const tokens = this.tokenize(new Array<string>(count).fill('warm up'));
      await this.embedTextBatch(tokens.inputIds, tokens.attentionMask, count);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([this.vision.release(), this.text.release()]);
  }

  private async run(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
    if (this.closed) throw new ModelRuntimeError('the model runtime is closed');
    return session.run(feeds);
  }

  private normalisedOutput(outputs: ort.InferenceSession.OnnxValueMapType, name: string, count: number): Float32Array {
    const dimension = this.model.manifest.embeddingDimension;
    const tensor = outputs[name] as ort.Tensor | undefined;
    if (!tensor || tensor.type !== 'float32') throw new ModelRuntimeError(`model output ${name} is missing or not float32`);
    if (tensor.dims.length !== 2 || tensor.dims[0] !== count || tensor.dims[1] !== dimension) {
      throw new ModelRuntimeError(`model output ${name} has shape [${tensor.dims.join(', ')}], expected [${count}, ${dimension}]`);
    }
    return l2NormalizeRows(tensor.data as Float32Array, count, dimension);
  }

  /** Refuses a model directory whose graphs do not match its manifest, naming the mismatch. */
  private checkGraphs(): void {
    const { image, text } = this.model.manifest;
    const problems: string[] = [];
    const expectIn = (session: ort.InferenceSession, file: string, name: string) => {
      if (!session.inputNames.includes(name)) problems.push(`${file} has no input ${name} (inputs: ${session.inputNames.join(', ')})`);
    };
    const expectOut = (session: ort.InferenceSession, file: string, name: string) => {
      if (!session.outputNames.includes(name)) problems.push(`${file} has no output ${name} (outputs: ${session.outputNames.join(', ')})`);
    };
    expectIn(this.vision, 'vision', image.inputName);
    expectOut(this.vision, 'vision', image.outputName);
    expectIn(this.text, 'text', text.inputIdsName);
    if (text.attentionMaskName) expectIn(this.text, 'text', text.attentionMaskName);
    expectOut(this.text, 'text', text.outputName);
    if (problems.length) throw new ModelRuntimeError(`model ${this.model.id} does not match its model.json: ${problems.join('; ')}`);
  }
}

function sessionOptionsFor(provider: ExecutionProvider, intraOpThreads: number | undefined): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    interOpNumThreads: 1,
    ...(intraOpThreads ? { intraOpNumThreads: intraOpThreads } : {}),
    // Warnings only: onnxruntime's info lines are not JSON and would break the log stream.
    logSeverityLevel: 3,
  };
}
