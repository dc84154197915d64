/**
 * The model directory contract (`models/<name>/model.json`): what the
 * embedder, the preprocessing library and `vsearch models pull` agree on.
 * The bundled model and a real CLIP export are described the same way.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');
/** One model file: its path in the directory and its checksum. */
export const modelFileEntrySchema = z.strictObject({ path: z.string().min(1), sha256: sha256Hex, bytes: z.number().int().positive().optional() });
const fileEntry = modelFileEntrySchema;
export const rgbSchema = z.tuple([z.number(), z.number(), z.number()]);
const rgb = rgbSchema;
/** Short name, also the directory name under models/. */
export const modelNameSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/);

/**
 * Precision variants of the ONNX towers, named as Transformers.js names them (its `dtype`
 * option): fp32 full precision, fp16 half, q8/int8/uint8 8-bit, q4/q4f16/bnb4 4-bit.
 */
export const MODEL_DTYPES = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type ModelDtype = (typeof MODEL_DTYPES)[number];

export const modelManifestSchema = z.strictObject({
  name: modelNameSchema,
  version: z.string().min(1).max(64),
  /** Dimension of both towers' output vectors. */
  embeddingDimension: z.number().int().positive().max(4096),
  image: z.strictObject({
    /** Square input side in pixels. */
    size: z.number().int().positive().max(1024),
    mean: rgb,
    std: rgb,
    /** Resize the shortest side to `size` with this kernel, keeping the aspect ratio. */
    resize: z.enum(['shortest-side-bicubic']),
    /** Then crop the centre `size` × `size` square. */
    crop: z.enum(['center']),
    /** onnx input: float32 [batch, 3, size, size], normalised. */
    inputName: z.string().default('pixel_values'),
    /** onnx output: float32 [batch, embeddingDimension]. */
    outputName: z.string().default('image_embeds'),
  }),
  text: z.strictObject({
    /** Tokens per text: longer texts are truncated, shorter ones padded. */
    contextLength: z.number().int().positive().max(512),
    padTokenId: z.number().int().nonnegative(),
    /** Lower-case the text before tokenising (the tokenizer may do it too). */
    lowercase: z.boolean().default(true),
    inputIdsName: z.string().default('input_ids'),
    /** Set when the graph takes an attention mask (int64, 1 for real tokens). */
    attentionMaskName: z.string().optional(),
    outputName: z.string().default('text_embeds'),
  }),
  files: z.strictObject({ vision: fileEntry, text: fileEntry, tokenizer: fileEntry }),
  /** Precision variant of the tower files (`vsearch models pull --dtype`); unset: fp32, or files chosen by hand. Part of the model id. */
  dtype: z.enum(MODEL_DTYPES).optional(),
  /** Text→image cosine below which a result is noise for this model (query-api's cutoff). */
  textSearchScoreThreshold: z.number().min(-1).max(1).default(0),
  /** Image→image cosine below which a photo-search hit is noise; unset: no cut-off. */
  imageSearchScoreThreshold: z.number().min(-1).max(1).optional(),
  /** The learned logit scale (CLIP's temperature, exp of the trained log value); CLIP's own is 100. */
  logitScale: z.number().positive().max(1000).default(100),
  /** Where the weights came from, for people. */
  source: z.string().max(2000).optional(),
});

export type ModelManifest = z.infer<typeof modelManifestSchema>;
/** model.json as written: fields with defaults may be left out. */
export type ModelManifestInput = z.input<typeof modelManifestSchema>;

export class ModelManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ModelManifestError';
  }
}

/**
 * `name@version`, plus `+dtype` for a variant other than fp32 (`clip-vit-base-patch32@abc123+q8`):
 * the id collections record, so vectors of different models, or of one model at different
 * precisions, never mix. fp32 keeps the plain id that collections made before variants existed.
 */
export function modelId(manifest: Pick<ModelManifest, 'name' | 'version' | 'dtype'>): string {
  const variant = manifest.dtype && manifest.dtype !== 'fp32' ? `+${manifest.dtype}` : '';
  return `${manifest.name}@${manifest.version}${variant}`;
}

export interface LoadedModelDirectory {
  dir: string;
  manifest: ModelManifest;
  id: string;
  /** Absolute paths of the files. */
  visionPath: string;
  textPath: string;
  tokenizerPath: string;
}

/** Reads and validates `<dir>/model.json`; throws ModelManifestError naming the problem. */
export function loadModelDirectory(dir: string): LoadedModelDirectory {
  const manifest = readManifest(dir, modelManifestSchema);
  const resolved = resolveModelFiles(dir, { visionPath: manifest.files.vision, textPath: manifest.files.text, tokenizerPath: manifest.files.tokenizer });
  return { dir: path.resolve(dir), manifest, id: modelId(manifest), ...resolved };
}

/** `<dir>/model.json` parsed by `schema`; throws ModelManifestError naming every problem. */
export function readManifest<Schema extends z.ZodType>(dir: string, schema: Schema): z.infer<Schema> {
  const manifestPath = path.join(dir, 'model.json');
  if (!existsSync(manifestPath)) throw new ModelManifestError(`no model.json in ${dir}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(manifestPath, 'utf8'));
  } catch (error) {
    throw new ModelManifestError(`${manifestPath} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ModelManifestError(`${manifestPath} is invalid: ${problems}`);
  }
  return parsed.data;
}

/** Absolute paths of a manifest's files, by the caller's names; throws naming the first missing one. */
export function resolveModelFiles<Name extends string>(dir: string, files: Record<Name, { path: string }>): Record<Name, string> {
  const resolved = {} as Record<Name, string>;
  for (const [name, entry] of Object.entries(files) as [Name, { path: string }][]) {
    const file = path.resolve(dir, entry.path);
    if (!existsSync(file)) throw new ModelManifestError(`model file ${file} named by ${path.join(dir, 'model.json')} is missing`);
    resolved[name] = file;
  }
  return resolved;
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Checks every file's sha256 against the manifest; throws naming the first mismatch. */
export async function verifyModelFiles(model: LoadedModelDirectory): Promise<void> {
  const entries: [string, { sha256: string }][] = [
    [model.visionPath, model.manifest.files.vision],
    [model.textPath, model.manifest.files.text],
    [model.tokenizerPath, model.manifest.files.tokenizer],
  ];
  for (const [file, entry] of entries) {
    const actual = await sha256File(file);
    if (actual !== entry.sha256) {
      throw new ModelManifestError(`sha256 of ${file} is ${actual}, model.json says ${entry.sha256}`);
    }
  }
}

/** The bundled model shipped in the repository (trained by training/, see models/README.md). */
export const BUNDLED_MODEL_DIR = path.resolve(__dirname, '../../../models/clip-mini');
