/**
 * The describer's model directory contract (`models/<name>/model.json` with `kind: "describer"`):
 * an image encoder that keeps spatial features, one decoder step with a self-attention KV cache,
 * and a word-level tokenizer (models/README.md). The runtime reads every size from here and
 * assumes none.
 */
import path from 'node:path';
import { z } from 'zod';
import { modelFileEntrySchema, modelId, modelNameSchema, readManifest, resolveModelFiles, rgbSchema } from './manifest';

const positive = (max: number) => z.number().int().positive().max(max);
const tokenId = z.number().int().nonnegative();
const layerName = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .refine((name) => name.includes('{layer}'), 'must contain {layer}');

export const describerManifestSchema = z.strictObject({
  name: modelNameSchema,
  version: z.string().min(1).max(64),
  kind: z.literal('describer'),
  image: z.strictObject({
    size: positive(1024),
    mean: rgbSchema,
    std: rgbSchema,
    resize: z.enum(['shortest-side-bicubic']),
    crop: z.enum(['center']),
    /** onnx input: float32 [batch, 3, size, size], normalised. */
    inputName: z.string().default('pixel_values'),
    /** onnx output: float32 [batch, imageTokens, width]. */
    outputName: z.string().default('image_tokens'),
  }),
  decoder: z.strictObject({
    layers: positive(128),
    heads: positive(256),
    headDim: positive(1024),
    vocabSize: positive(1_000_000),
    imageTokens: positive(4096),
    width: positive(16_384),
    maxSequenceLength: positive(8192),
    /** Default and most tokens one request generates. */
    maxNewTokens: positive(8192),
    /** Most question tokens the model was trained on. */
    maxQuestionTokens: positive(8192),
    inputIdsName: z.string().default('input_ids'),
    positionIdsName: z.string().default('position_ids'),
    attentionMaskName: z.string().default('attention_mask'),
    imageTokensName: z.string().default('image_tokens'),
    pastKeyName: layerName('past_key_{layer}'),
    pastValueName: layerName('past_value_{layer}'),
    presentKeyName: layerName('present_key_{layer}'),
    presentValueName: layerName('present_value_{layer}'),
    logitsName: z.string().default('logits'),
  }),
  tokens: z.strictObject({ pad: tokenId, unk: tokenId, bos: tokenId, eos: tokenId, sep: tokenId }),
  /** `describe` is the question a description answers; other prompts the model was trained on may be listed beside it. */
  prompts: z.object({ describe: z.string().min(1) }).catchall(z.string().min(1)),
  /** The fixed answer to questions the photo cannot answer. */
  cantTellAnswer: z.string().min(1),
  files: z.strictObject({ imageEncoder: modelFileEntrySchema, decoder: modelFileEntrySchema, tokenizer: modelFileEntrySchema }),
  source: z.string().max(4000).optional(),
});

export type DescriberManifest = z.infer<typeof describerManifestSchema>;

export interface LoadedDescriberDirectory {
  dir: string;
  manifest: DescriberManifest;
  id: string;
  encoderPath: string;
  decoderPath: string;
  tokenizerPath: string;
}

/** Reads and validates a describer's `<dir>/model.json`; throws ModelManifestError naming the problem. */
export function loadDescriberDirectory(dir: string): LoadedDescriberDirectory {
  const manifest = readManifest(dir, describerManifestSchema);
  const files = resolveModelFiles(dir, {
    encoderPath: manifest.files.imageEncoder,
    decoderPath: manifest.files.decoder,
    tokenizerPath: manifest.files.tokenizer,
  });
  return { dir: path.resolve(dir), manifest, id: modelId(manifest), ...files };
}

/** The bundled describer (trained by training/describer, see models/README.md). */
export const BUNDLED_DESCRIBER_DIR = path.resolve(__dirname, '../../../models/describer-mini');
