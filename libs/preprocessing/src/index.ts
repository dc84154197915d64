/**
 * @vsearch/preprocessing: decode and preprocess images exactly as the model
 * expects (see preprocess.ts), with typed errors for bad inputs, and admission
 * control for the decoding (decode-admission.ts, thread-pool.ts). sharp does
 * the work on libuv's thread pool, off the JavaScript event loop.
 */
export { ImagePreprocessError, type ImagePreprocessErrorCode } from './errors';
export { detectImageFormat, type AcceptedImageFormat } from './format';
export {
  DEFAULT_PREPROCESS_LIMITS,
  preprocessImage,
  resizeGeometry,
  type ImageHeader,
  type PreprocessHooks,
  type PreprocessLimits,
  type PreprocessSpec,
  type PreprocessedImage,
} from './preprocess';
export { toNormalizedChw } from './normalize';
export { DecodeAdmissionGate, DecodeRefusedError, defaultDecodeConcurrency, type DecodeAdmissionOptions } from './decode-admission';
export { sizeThreadPoolForDecoding, threadPoolSizeFor, THREAD_POOL_RESERVE, type ThreadPoolSizing } from './thread-pool';
