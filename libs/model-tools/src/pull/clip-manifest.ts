/**
 * Builds `model.json` for a CLIP export pulled from the Hugging Face hub,
 * reading the dimension, input size, mean/std and context length from the
 * repository's `config.json` / `preprocessor_config.json` when present (the
 * defaults are CLIP ViT-B/32's), the pad token from `tokenizer.json`, and the
 * ONNX input/output names from the graphs themselves. It sets no score
 * cut-offs: those depend on the model and come from `vsearch models calibrate`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { modelManifestSchema, type ModelDtype, type ModelManifest, type ModelManifestInput } from '@vsearch/model';

/** OpenAI CLIP's normalisation (also the Hugging Face CLIPImageProcessor default). */
export const CLIP_MEAN: [number, number, number] = [0.48145466, 0.4578275, 0.40821073];
export const CLIP_STD: [number, number, number] = [0.26862954, 0.26130258, 0.27577711];

type Json = Record<string, unknown>;

function readJson(file: string): Json | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return value && typeof value === 'object' ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

function positiveInt(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
}

function triple(value: unknown): [number, number, number] | undefined {
  return Array.isArray(value) && value.length === 3 && value.every((entry) => typeof entry === 'number') ? (value as [number, number, number]) : undefined;
}

function section(json: Json | undefined, key: string): Json | undefined {
  const value = json?.[key];
  return value && typeof value === 'object' ? (value as Json) : undefined;
}

export interface GraphNames {
  inputs: readonly string[];
  outputs: readonly string[];
}

export interface ClipManifestInput {
  name: string;
  version: string;
  source: string;
  /** Local paths of the HF configs (may be missing). */
  configPath: string;
  preprocessorConfigPath: string;
  tokenizerPath: string;
  files: ModelManifest['files'];
  /** The towers' precision variant, when chosen by `--dtype`. */
  dtype?: ModelDtype;
  /** Input/output names read from the ONNX graphs, when they could be read. */
  visionGraph?: GraphNames;
  textGraph?: GraphNames;
}

function pick(names: readonly string[] | undefined, preferred: string[], fallback: string): string {
  return preferred.find((name) => names?.includes(name)) ?? names?.[0] ?? fallback;
}

function padTokenId(tokenizerPath: string, config: Json | undefined): number {
  const tokenizer = readJson(tokenizerPath);
  const padding = section(tokenizer, 'padding');
  if (typeof padding?.pad_id === 'number') return padding.pad_id;
  const added = Array.isArray(tokenizer?.added_tokens) ? (tokenizer.added_tokens as { id?: unknown; content?: unknown }[]) : [];
  // CLIP pads with its end-of-text token.
  const endOfText = added.find((token) => token.content === '<|endoftext|>' && typeof token.id === 'number');
  if (endOfText) return endOfText.id as number;
  const textConfig = section(config, 'text_config');
  return typeof textConfig?.pad_token_id === 'number' ? textConfig.pad_token_id : 0;
}

/** model.json as it is written (validated; fields left at their defaults are left out). */
export function buildClipManifest(input: ClipManifestInput): ModelManifestInput {
  const config = readJson(input.configPath);
  const preprocessor = readJson(input.preprocessorConfigPath);
  const textConfig = section(config, 'text_config');
  const visionConfig = section(config, 'vision_config');

  const cropSize = preprocessor?.crop_size;
  const size =
    positiveInt(cropSize) ??
    positiveInt(section(preprocessor, 'crop_size')?.height) ??
    positiveInt(section(preprocessor, 'size')?.shortest_edge) ??
    positiveInt(preprocessor?.size) ??
    positiveInt(visionConfig?.image_size) ??
    224;
  const dimension = positiveInt(config?.projection_dim) ?? positiveInt(textConfig?.projection_dim) ?? positiveInt(visionConfig?.projection_dim) ?? 512;
  const contextLength = positiveInt(textConfig?.max_position_embeddings) ?? 77;

  const textInputs = input.textGraph?.inputs;
  const manifest: ModelManifestInput = {
    name: input.name,
    version: input.version,
    embeddingDimension: dimension,
    image: {
      size,
      mean: triple(preprocessor?.image_mean) ?? CLIP_MEAN,
      std: triple(preprocessor?.image_std) ?? CLIP_STD,
      resize: 'shortest-side-bicubic',
      crop: 'center',
      inputName: pick(input.visionGraph?.inputs, ['pixel_values'], 'pixel_values'),
      outputName: pick(input.visionGraph?.outputs, ['image_embeds'], 'image_embeds'),
    },
    text: {
      contextLength,
      padTokenId: padTokenId(input.tokenizerPath, config),
      lowercase: true,
      inputIdsName: pick(textInputs, ['input_ids'], 'input_ids'),
      ...(textInputs?.includes('attention_mask') ? { attentionMaskName: 'attention_mask' } : {}),
      outputName: pick(input.textGraph?.outputs, ['text_embeds'], 'text_embeds'),
    },
    files: input.files,
    ...(input.dtype ? { dtype: input.dtype } : {}),
    // No textSearchScoreThreshold / imageSearchScoreThreshold: a constant fits one model at best
    // (0.15 used to be written for every CLIP); `vsearch models calibrate` measures them.
    // CLIP's trained logit scale is pinned at its maximum, 100, in the released checkpoints.
    logitScale: 100,
    source: input.source,
  };
  modelManifestSchema.parse(manifest);
  return manifest;
}
