/**
 * `vsearch models pull`: fetches a CLIP ONNX export and its tokenizer from the
 * Hugging Face hub into `models/<name>/`. Files land in a staging directory
 * (`models/.pull-<name>/`, where interrupted downloads resume), are verified,
 * described by `model.json`, and only then swapped into place, so
 * `models/<name>/` is never half-written and a model in use is never replaced.
 * A failed pull removes the staging directory unless it holds a partial
 * download to resume. `--dtype` picks the towers' precision variant.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { BUNDLED_MODEL_DIR, IN_USE_DIR, isModelInUse, loadModelDirectory, type ModelDtype, type ModelManifest } from '@vsearch/model';
import { buildClipManifest, type GraphNames } from './clip-manifest';
import { ModelPullError } from './errors';
import { DEFAULT_HF_ENDPOINT, downloadFile, headRemoteFile, type DownloadProgress, type HubLocation } from './hub-download';
import { DEFAULT_DTYPE, availableVariants, missingVariantMessage, towerFilesFor } from './model-variants';

/** The repository's `models/` directory (holds the bundled model and pulled ones). */
export const MODELS_DIR = path.dirname(BUNDLED_MODEL_DIR);

/** Known short names and their default repositories. */
export const KNOWN_MODELS: Record<string, string> = {
  'clip-vit-base-patch32': 'Xenova/clip-vit-base-patch32',
  'clip-vit-base-patch16': 'Xenova/clip-vit-base-patch16',
  'clip-vit-large-patch14': 'Xenova/clip-vit-large-patch14',
};

/** Repository paths of a Transformers.js-style CLIP export (the fp32 towers). */
export const DEFAULT_REMOTE_FILES = {
  ...towerFilesFor(DEFAULT_DTYPE),
  tokenizer: 'tokenizer.json',
} as const;
const OPTIONAL_CONFIGS = ['config.json', 'preprocessor_config.json'] as const;
const LOCAL_NAMES = { vision: 'vision.onnx', text: 'text.onnx', tokenizer: 'tokenizer.json' } as const;

export interface PullModelOptions {
  name: string;
  /** `models/` (the directory holding every model). */
  modelsDir: string;
  /** `ORG/REPO`; defaults from KNOWN_MODELS. */
  repo?: string;
  revision?: string;
  /** Hub base URL; default `HF_ENDPOINT` or https://huggingface.co. */
  endpoint?: string;
  token?: string;
  /** Replace an existing model directory (never one in use). */
  force?: boolean;
  /** Expected sha256 per file, keyed by repository path or local name; wins over the hub's. */
  sha256?: Record<string, string>;
  /** Precision variant of the towers (default fp32); recorded in model.json and the model id. */
  dtype?: ModelDtype;
  /** Override repository paths; towers named here exclude `dtype` (the variant would be a guess). */
  remoteFiles?: Partial<Record<keyof typeof DEFAULT_REMOTE_FILES, string>>;
  maxAttempts?: number;
  retryDelayMs?: number;
  onProgress?: (progress: DownloadProgress) => void;
  onLog?: (line: string) => void;
  /** Reads input/output names of an ONNX graph; default uses onnxruntime-node, undefined when it cannot. */
  inspectGraph?: (file: string) => Promise<GraphNames | undefined>;
}

export interface PullModelResult {
  dir: string;
  manifest: ModelManifest;
  files: { file: string; bytes: number; sha256: string; verifiedAgainst: 'hub' | 'option' | 'none'; resumedFrom: number }[];
}

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Input/output names of an ONNX graph, read by onnxruntime-node (undefined for a file it cannot load). */
export async function inspectOnnxGraph(file: string): Promise<GraphNames | undefined> {
  try {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(file);
    const names = { inputs: [...session.inputNames], outputs: [...session.outputNames] };
    await session.release();
    return names;
  } catch {
    return undefined;
  }
}

export async function pullModel(options: PullModelOptions): Promise<PullModelResult> {
  const log = options.onLog ?? (() => undefined);
  if (!NAME_PATTERN.test(options.name)) {
    throw new ModelPullError('invalid', `model name "${options.name}" must be lower-case letters, digits, ".", "_" or "-" (at most 64)`);
  }
  const repo = options.repo ?? KNOWN_MODELS[options.name];
  if (!repo)
    throw new ModelPullError('invalid', `no default repository for "${options.name}": pass --repo ORG/REPO (known: ${Object.keys(KNOWN_MODELS).join(', ')})`);
  if (!/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new ModelPullError('invalid', `repository "${repo}" must look like ORG/REPO`);
  const location: HubLocation = {
    endpoint: options.endpoint ?? process.env.HF_ENDPOINT ?? DEFAULT_HF_ENDPOINT,
    repo,
    revision: options.revision ?? 'main',
    token: options.token,
  };

  const modelsDir = path.resolve(options.modelsDir);
  const finalDir = path.join(modelsDir, options.name);
  const refuseToReplace = () => {
    if (!existsSync(finalDir)) return;
    if (!options.force) throw new ModelPullError('exists', `${finalDir} already exists; pass --force to replace it`);
    if (isModelInUse(finalDir))
      throw new ModelPullError('in_use', `${finalDir} is in use (see ${path.join(finalDir, IN_USE_DIR)}); stop the embedder using it first`);
  };
  refuseToReplace();

  const towersByHand = options.remoteFiles?.vision !== undefined || options.remoteFiles?.text !== undefined;
  if (towersByHand && options.dtype !== undefined) {
    throw new ModelPullError('invalid', '--dtype picks the tower files; --vision-file/--text-file name them by hand: pass one or the other');
  }
  const dtype = towersByHand ? undefined : (options.dtype ?? DEFAULT_DTYPE);
  const towers = dtype
    ? towerFilesFor(dtype)
    : { vision: options.remoteFiles?.vision ?? DEFAULT_REMOTE_FILES.vision, text: options.remoteFiles?.text ?? DEFAULT_REMOTE_FILES.text };
  const remote = { ...towers, tokenizer: options.remoteFiles?.tokenizer ?? DEFAULT_REMOTE_FILES.tokenizer };
  if (dtype) await requireVariant(location, dtype);

  const stagingDir = path.join(modelsDir, `.pull-${options.name}`);
  mkdirSync(stagingDir, { recursive: true });
  try {
    return await pullIntoStaging({ options, location, remote, dtype, stagingDir, finalDir, refuseToReplace, log });
  } catch (error) {
    removeUnlessResumable(stagingDir);
    throw error;
  }
}

/** Throws ModelPullError('not_found') naming the variants the repository has when it lacks the asked one. */
async function requireVariant(location: HubLocation, dtype: ModelDtype): Promise<void> {
  const files = towerFilesFor(dtype);
  for (const file of [files.vision, files.text]) {
    try {
      await headRemoteFile(location, file, false);
    } catch (error) {
      if (!(error instanceof ModelPullError) || error.code !== 'not_found') throw error;
      const available = await availableVariants(async (candidate) => (await headRemoteFile(location, candidate, true)) !== undefined);
      throw new ModelPullError('not_found', missingVariantMessage(location.repo, dtype, error.message, available));
    }
  }
}

/** After a failure: a staging directory with a `.part` file is kept for the next run to resume; otherwise it goes. */
function removeUnlessResumable(stagingDir: string): void {
  const resumable = existsSync(stagingDir) && readdirSync(stagingDir).some((file) => file.endsWith('.part'));
  if (!resumable) rmSync(stagingDir, { recursive: true, force: true });
}

interface StagingPull {
  options: PullModelOptions;
  location: HubLocation;
  remote: Record<keyof typeof DEFAULT_REMOTE_FILES, string>;
  dtype: ModelDtype | undefined;
  stagingDir: string;
  finalDir: string;
  refuseToReplace: () => void;
  log: (line: string) => void;
}

/** Downloads into the staging directory, writes model.json there, and swaps it into place. */
async function pullIntoStaging({ options, location, remote, dtype, stagingDir, finalDir, refuseToReplace, log }: StagingPull): Promise<PullModelResult> {
  const modelsDir = path.dirname(finalDir);
  const expectedFor = (remotePath: string, localName: string) => options.sha256?.[remotePath] ?? options.sha256?.[localName];

  const downloads: PullModelResult['files'] = [];
  let commit: string | undefined;
  const fetchOne = async (remotePath: string, localName: string, optional: boolean) => {
    const dest = path.join(stagingDir, localName);
    const info = await headRemoteFile(location, remotePath, optional);
    if (!info) {
      log(`${remotePath}: not in the repository, skipped`);
      return undefined;
    }
    commit ??= info.commit;
    const fromOption = expectedFor(remotePath, localName);
    const expectedSha256 = fromOption ?? info.sha256;
    if (existsSync(dest)) rmSync(dest);
    const result = await downloadFile({
      file: remotePath,
      url: info.url,
      dest,
      expectedSha256,
      expectedBytes: info.bytes,
      token: location.token,
      maxAttempts: options.maxAttempts,
      retryDelayMs: options.retryDelayMs,
      onProgress: options.onProgress,
      onRetry: (attempt, reason, resumeFrom) => log(`${remotePath}: ${reason}; resuming from byte ${resumeFrom} (attempt ${attempt + 1})`),
    });
    const verifiedAgainst = fromOption ? 'option' : info.sha256 ? 'hub' : 'none';
    if (result.resumedFrom > 0) log(`${remotePath}: resumed an earlier download from byte ${result.resumedFrom}`);
    log(
      `${remotePath}: ${result.bytes} bytes, sha256 ${result.sha256} (${verifiedAgainst === 'none' ? 'no published digest, recorded' : `verified against the ${verifiedAgainst === 'hub' ? "hub's digest" : '--sha256 option'}`})`,
    );
    downloads.push({ file: remotePath, bytes: result.bytes, sha256: result.sha256, verifiedAgainst, resumedFrom: result.resumedFrom });
    return result;
  };

  const vision = await fetchOne(remote.vision, LOCAL_NAMES.vision, false);
  const text = await fetchOne(remote.text, LOCAL_NAMES.text, false);
  const tokenizer = await fetchOne(remote.tokenizer, LOCAL_NAMES.tokenizer, false);
  for (const config of OPTIONAL_CONFIGS) await fetchOne(config, config, true);
  if (!vision || !text || !tokenizer) throw new ModelPullError('not_found', 'a required file is missing');

  const inspect = options.inspectGraph ?? inspectOnnxGraph;
  const visionGraph = await inspect(path.join(stagingDir, LOCAL_NAMES.vision));
  const textGraph = await inspect(path.join(stagingDir, LOCAL_NAMES.text));
  if (!visionGraph || !textGraph)
    log('could not read the ONNX input/output names; model.json uses the CLIP export defaults (pixel_values, input_ids, image_embeds, text_embeds)');

  const manifestJson = buildClipManifest({
    name: options.name,
    version: (commit ?? location.revision).slice(0, 40),
    source: `${location.endpoint.replace(/\/+$/, '')}/${location.repo} at ${commit ?? location.revision}`,
    dtype,
    configPath: path.join(stagingDir, 'config.json'),
    preprocessorConfigPath: path.join(stagingDir, 'preprocessor_config.json'),
    tokenizerPath: path.join(stagingDir, LOCAL_NAMES.tokenizer),
    files: {
      vision: { path: LOCAL_NAMES.vision, sha256: vision.sha256, bytes: vision.bytes },
      text: { path: LOCAL_NAMES.text, sha256: text.sha256, bytes: text.bytes },
      tokenizer: { path: LOCAL_NAMES.tokenizer, sha256: tokenizer.sha256, bytes: tokenizer.bytes },
    },
    visionGraph,
    textGraph,
  });
  writeFileSync(path.join(stagingDir, 'model.json'), `${JSON.stringify(manifestJson, null, 2)}\n`);
  const { manifest } = loadModelDirectory(stagingDir);
  log(
    `model.json has no score cut-offs yet: text search keeps every hit above cosine 0 and photo search every hit; derive them with \`vsearch models calibrate --model-dir ${finalDir}\``,
  );

  // Checked again right before the swap: an embedder may have started meanwhile.
  refuseToReplace();
  if (existsSync(finalDir)) {
    const retired = path.join(modelsDir, `.replaced-${options.name}-${process.pid}`);
    renameSync(finalDir, retired);
    renameSync(stagingDir, finalDir);
    rmSync(retired, { recursive: true, force: true });
  } else {
    renameSync(stagingDir, finalDir);
  }
  return { dir: finalDir, manifest, files: downloads };
}

export interface InstalledModel {
  name: string;
  dir: string;
  manifest?: ModelManifest;
  /** Why model.json could not be loaded. */
  problem?: string;
  bytes: number;
  inUse: boolean;
}

/** The model directories under `modelsDir` (staging directories excluded). */
export function listModels(modelsDir: string): InstalledModel[] {
  if (!existsSync(modelsDir)) return [];
  const models: InstalledModel[] = [];
  for (const entry of readdirSync(modelsDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const dir = path.join(modelsDir, entry.name);
    const bytes = readdirSync(dir, { withFileTypes: true })
      .filter((file) => file.isFile())
      .reduce((sum, file) => sum + statSync(path.join(dir, file.name)).size, 0);
    try {
      const loaded = loadModelDirectory(dir);
      models.push({ name: entry.name, dir, manifest: loaded.manifest, bytes, inUse: isModelInUse(dir) });
    } catch (error) {
      models.push({ name: entry.name, dir, problem: (error as Error).message, bytes, inUse: false });
    }
  }
  return models.sort((a, b) => a.name.localeCompare(b.name));
}
