import { MODEL_DTYPES } from '@vsearch/model';
import { ModelPullError } from './errors';
import { availableVariants, missingVariantMessage, parseModelDtype, towerFilesFor } from './model-variants';

describe(towerFilesFor.name, () => {
  it('names the towers as Transformers.js repositories publish them', () => {
    expect(towerFilesFor('fp32')).toEqual({ vision: 'onnx/vision_model.onnx', text: 'onnx/text_model.onnx' });
    expect(towerFilesFor('q8')).toEqual({ vision: 'onnx/vision_model_quantized.onnx', text: 'onnx/text_model_quantized.onnx' });
    expect(towerFilesFor('fp16').text).toBe('onnx/text_model_fp16.onnx');
    expect(towerFilesFor('int8').vision).toBe('onnx/vision_model_int8.onnx');
    expect(towerFilesFor('uint8').vision).toBe('onnx/vision_model_uint8.onnx');
    expect(towerFilesFor('q4').vision).toBe('onnx/vision_model_q4.onnx');
    expect(towerFilesFor('q4f16').vision).toBe('onnx/vision_model_q4f16.onnx');
    expect(towerFilesFor('bnb4').vision).toBe('onnx/vision_model_bnb4.onnx');
  });

  it('gives every dtype its own files', () => {
    const visionFiles = new Set(MODEL_DTYPES.map((dtype) => towerFilesFor(dtype).vision));
    expect(visionFiles.size).toBe(MODEL_DTYPES.length);
  });
});

describe(parseModelDtype.name, () => {
  it('accepts the Transformers.js names in any case', () => {
    expect(parseModelDtype('q8')).toBe('q8');
    expect(parseModelDtype(' INT8 ')).toBe('int8');
  });

  it('refuses other names, listing the accepted ones', () => {
    expect(() => parseModelDtype('quantized')).toThrow(ModelPullError);
    expect(() => parseModelDtype('quantized')).toThrow('unknown dtype "quantized": expected one of fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4');
  });
});

describe(availableVariants.name, () => {
  it('lists the dtypes whose two towers both exist, in the documented order', async () => {
    const files = new Set([
      'onnx/vision_model.onnx',
      'onnx/text_model.onnx',
      'onnx/vision_model_int8.onnx',
      'onnx/text_model_int8.onnx',
      'onnx/vision_model_fp16.onnx',
    ]);
    const asked: string[] = [];
    const available = await availableVariants(async (file) => {
      asked.push(file);
      return files.has(file);
    });
    // fp16 has a vision tower only: not a usable variant.
    expect(available).toEqual(['fp32', 'int8']);
    expect(asked).toHaveLength(2 * MODEL_DTYPES.length);
  });
});

describe(missingVariantMessage.name, () => {
  it('says what is missing and which variants to pick instead', () => {
    expect(missingVariantMessage('org/clip', 'q8', 'onnx/vision_model_quantized.onnx was not found', ['fp32', 'fp16'])).toBe(
      'org/clip has no q8 variant (onnx/vision_model_quantized.onnx and onnx/text_model_quantized.onnx): onnx/vision_model_quantized.onnx was not found; variants it has: fp32, fp16 (pass --dtype)',
    );
    expect(missingVariantMessage('org/clip', 'fp32', 'HTTP 404', [])).toContain('it has none of the variants fp32, fp16, q8');
  });
});
