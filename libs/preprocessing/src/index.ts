/**
 * @vsearch/preprocessing: decode and preprocess images exactly as the model
 * expects (see preprocess.ts), with typed errors for bad inputs. sharp does
 * the work on libuv's thread pool, off the JavaScript event loop.
 */
export { ImagePreprocessError, type ImagePreprocessErrorCode } from './errors';
export { detectImageFormat, type AcceptedImageFormat } from './format';
export { DEFAULT_PREPROCESS_LIMITS, preprocessImage, resizeGeometry, type PreprocessLimits, type PreprocessSpec, type PreprocessedImage } from './preprocess';
export { toNormalizedChw } from './normalize';
