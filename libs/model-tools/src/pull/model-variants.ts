/**
 * Precision variants of a Transformers.js CLIP export: which tower files a
 * `--dtype` names, and which variants a repository actually publishes.
 */
import { MODEL_DTYPES, type ModelDtype } from '@vsearch/model';
import { ModelPullError } from './errors';

/**
 * File-name suffix per dtype, as Transformers.js loads them: `DEFAULT_DTYPE_SUFFIX_MAPPING` in
 * its `src/utils/dtypes.js` (fp32 '', fp16 '_fp16', int8 '_int8', uint8 '_uint8', q8 '_quantized',
 * q4 '_q4', q4f16 '_q4f16', bnb4 '_bnb4'), appended to `onnx/<tower>_model` before `.onnx`.
 * Repositories such as Xenova/clip-vit-base-patch32 publish their files under exactly these names.
 */
export const DTYPE_FILE_SUFFIX: Readonly<Record<ModelDtype, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

export const DEFAULT_DTYPE: ModelDtype = 'fp32';

export interface TowerFiles {
  vision: string;
  text: string;
}

/** Repository paths of the two towers at one precision. */
export function towerFilesFor(dtype: ModelDtype): TowerFiles {
  const suffix = DTYPE_FILE_SUFFIX[dtype];
  return { vision: `onnx/vision_model${suffix}.onnx`, text: `onnx/text_model${suffix}.onnx` };
}

/** A dtype name from the command line; throws naming the accepted ones. */
export function parseModelDtype(value: string): ModelDtype {
  const dtype = value.trim().toLowerCase();
  if ((MODEL_DTYPES as readonly string[]).includes(dtype)) return dtype as ModelDtype;
  throw new ModelPullError('invalid', `unknown dtype "${value}": expected one of ${MODEL_DTYPES.join(', ')}`);
}

/**
 * The dtypes whose two tower files the repository has, asking `exists` about each file. Used only
 * to explain a missing variant, so it costs a few HEAD requests and no listing API (the hub's tree
 * API is not part of the file protocol mirrors and the test hub serve).
 */
export async function availableVariants(exists: (file: string) => Promise<boolean>): Promise<ModelDtype[]> {
  const found = await Promise.all(
    MODEL_DTYPES.map(async (dtype) => {
      const files = towerFilesFor(dtype);
      const [vision, text] = await Promise.all([exists(files.vision), exists(files.text)]);
      return vision && text ? dtype : undefined;
    }),
  );
  return found.filter((dtype): dtype is ModelDtype => dtype !== undefined);
}

/** The message for a variant the repository lacks: what is missing and what it has instead. */
export function missingVariantMessage(repo: string, dtype: ModelDtype, cause: string, available: readonly ModelDtype[]): string {
  const files = towerFilesFor(dtype);
  const has = available.length > 0 ? `variants it has: ${available.join(', ')} (pass --dtype)` : `it has none of the variants ${MODEL_DTYPES.join(', ')}`;
  return `${repo} has no ${dtype} variant (${files.vision} and ${files.text}): ${cause}; ${has}`;
}
