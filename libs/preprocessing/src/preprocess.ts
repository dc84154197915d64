/**
 * Image preprocessing that matches the model (`model.json` `image`): decode,
 * apply EXIF orientation, convert to 8-bit sRGB (CMYK, 16-bit, greyscale),
 * flatten alpha on white, resize the SHORTEST side to `size` with bicubic,
 * crop the centre `size` × `size`. Animated images give their first frame.
 *
 * sharp (libvips) runs decoding and resizing on libuv's thread pool, not on
 * the JavaScript event loop: many calls in flight use every core while the
 * event loop keeps serving requests (set UV_THREADPOOL_SIZE to the core count
 * on CPU pods). That thread pool is the "worker pool" of the services.
 */
import sharp, { type Metadata, type OutputInfo, type Sharp, type SharpOptions } from 'sharp';
import { ImagePreprocessError } from './errors';
import { detectImageFormat, type AcceptedImageFormat } from './format';

export interface PreprocessSpec {
  /** Square output side, `model.json` `image.size`. */
  size: number;
}

export interface PreprocessLimits {
  /** Encoded bytes (default 20 MB). */
  maxBytes?: number;
  /** Decoded width × height (default 40 Mpx); checked from the header before decoding. */
  maxPixels?: number;
}

/** What the header says, known before any pixel is decoded. */
export interface ImageHeader {
  format: AcceptedImageFormat;
  /** Stored size (the first frame of an animated image), before EXIF orientation. */
  width: number;
  height: number;
}

export interface PreprocessHooks {
  /**
   * Called once the header is read and within the limits, before decoding: the moment the cost
   * of the decode is known and nothing costly is spent yet. What it throws is thrown unchanged
   * (a caller charges rate-limit tokens by the pixels here, and refuses a client out of them).
   */
  beforeDecode?: (header: ImageHeader) => void | Promise<void>;
}

export const DEFAULT_PREPROCESS_LIMITS: Required<PreprocessLimits> = { maxBytes: 20 * 1024 * 1024, maxPixels: 40_000_000 };

export interface PreprocessedImage {
  /** RGB, HWC, size × size × 3, uint8. */
  pixels: Uint8Array;
  /** Upright size of the source (after EXIF orientation). */
  sourceWidth: number;
  sourceHeight: number;
  format: AcceptedImageFormat;
}

/**
 * The geometry of the rule, shared with tools/preprocessing-reference/reference.py:
 * the shortest side becomes `size`, the other `floor(size * long / short)`
 * (torchvision and Hugging Face CLIP), then the crop starts at `floor((side - size) / 2)`.
 */
export function resizeGeometry(width: number, height: number, size: number): { width: number; height: number; left: number; top: number } {
  const resized =
    width <= height
      ? { width: size, height: Math.max(size, Math.floor((size * height) / width)) }
      : { width: Math.max(size, Math.floor((size * width) / height)), height: size };
  return { ...resized, left: Math.floor((resized.width - size) / 2), top: Math.floor((resized.height - size) / 2) };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message.split('\n')[0] : String(error);
}

type Geometry = ReturnType<typeof resizeGeometry>;

/** Decode, orient, 8-bit sRGB, alpha on white: the same first steps for both paths. */
function normalised(image: Sharp): Sharp {
  return (
    image
      .autoOrient()
      // 8-bit sRGB whatever came in: CMYK (through an ICC transform), 16-bit, greyscale.
      .toColourspace('srgb')
      .flatten({ background: '#ffffff' })
  );
}

function checkedPixels(data: Buffer, info: OutputInfo, size: number): Uint8Array {
  if (info.channels !== 3 || info.width !== size || info.height !== size || data.length !== size * size * 3) {
    throw new Error(`unexpected decoder output ${info.width}×${info.height}×${info.channels}`);
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Shrinking (the usual case): libvips' reduce with a cubic kernel, antialiased and centre-sampled like PIL. */
async function downsampleAndCrop(image: Sharp, geometry: Geometry, size: number): Promise<Uint8Array> {
  const { data, info } = await normalised(image)
    // No JPEG shrink-on-load: its DCT scaling would not match the rule.
    .resize(geometry.width, geometry.height, { fit: 'fill', kernel: 'cubic', fastShrinkOnLoad: false })
    .extract({ left: geometry.left, top: geometry.top, width: size, height: size })
    .removeAlpha()
    .raw({ depth: 'uchar' })
    .toBuffer({ resolveWithObject: true });
  return checkedPixels(data, info, size);
}

const UPSAMPLE_PAD = 3;

/**
 * Enlarging (sources smaller than the model input): libvips' resize samples
 * corners there, PIL and torchvision sample pixel centres, so this path runs
 * a bicubic affine transform with the centre-sampling offset on a copy-padded
 * source (PIL clamps at the borders instead of reading black).
 */
async function upsampleAndCrop(image: Sharp, geometry: Geometry, size: number): Promise<Uint8Array> {
  const upright = await normalised(image).removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  const pad = UPSAMPLE_PAD;
  const padded = await sharp(upright.data, { raw: { width: upright.info.width, height: upright.info.height, channels: 3 } })
    .extend({ top: pad, bottom: pad, left: pad, right: pad, extendWith: 'copy' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const sx = geometry.width / upright.info.width;
  const sy = geometry.height / upright.info.height;
  // Output pixel X reads source x = (X + 0.5) / s - 0.5, shifted by the padding.
  const { data, info } = await sharp(padded.data, { raw: { width: padded.info.width, height: padded.info.height, channels: 3 } })
    .affine(
      [
        [sx, 0],
        [0, sy],
      ],
      { idx: 0.5 - 0.5 / sx - pad, idy: 0.5 - 0.5 / sy - pad, interpolator: sharp.interpolators.bicubic },
    )
    .raw()
    .toBuffer({ resolveWithObject: true });
  const cropped = await sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } })
    .extract({ left: geometry.left, top: geometry.top, width: size, height: size })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return checkedPixels(cropped.data, cropped.info, size);
}

/** Decodes and preprocesses one encoded image; throws ImagePreprocessError for every bad input. */
export async function preprocessImage(
  bytes: Uint8Array,
  spec: PreprocessSpec,
  limits: PreprocessLimits = {},
  hooks: PreprocessHooks = {},
): Promise<PreprocessedImage> {
  const { maxBytes, maxPixels } = { ...DEFAULT_PREPROCESS_LIMITS, ...limits };
  if (!Number.isInteger(spec.size) || spec.size < 1) throw new RangeError(`size must be a positive integer, got ${spec.size}`);
  if (bytes.length === 0) throw new ImagePreprocessError('empty', 'the image is empty (0 bytes)');
  if (bytes.length > maxBytes) throw new ImagePreprocessError('too_large', `the image has ${bytes.length} bytes, more than the limit of ${maxBytes}`);
  const format = detectImageFormat(bytes);
  if (!format) throw new ImagePreprocessError('unsupported_format', 'not a JPEG, PNG, WebP or GIF image (recognised from its first bytes)');

  // pages: 1 = the first frame of an animated image; failOn 'error' refuses truncated data instead of returning grey.
  const input = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const options: SharpOptions = { limitInputPixels: maxPixels, failOn: 'error', pages: 1, sequentialRead: true };
  let metadata: Metadata;
  try {
    // Header only: reading it decodes no pixels, so the bomb check below can name the size.
    metadata = await sharp(input, { ...options, limitInputPixels: false }).metadata();
  } catch (error) {
    throw new ImagePreprocessError('corrupt', `cannot read the ${format} header: ${describe(error)}`);
  }
  const storedWidth = metadata.width;
  const storedHeight = metadata.pageHeight ?? metadata.height;
  if (!storedWidth || !storedHeight) throw new ImagePreprocessError('corrupt', `the ${format} header gives no size`);
  if (storedWidth * storedHeight > maxPixels) {
    throw new ImagePreprocessError('too_many_pixels', `the image is ${storedWidth}×${storedHeight}, more than the limit of ${maxPixels} pixels`);
  }
  await hooks.beforeDecode?.({ format, width: storedWidth, height: storedHeight });
  const swapped = (metadata.orientation ?? 1) >= 5;
  const sourceWidth = swapped ? storedHeight : storedWidth;
  const sourceHeight = swapped ? storedWidth : storedHeight;
  const geometry = resizeGeometry(sourceWidth, sourceHeight, spec.size);

  try {
    const pixels =
      geometry.width > sourceWidth || geometry.height > sourceHeight
        ? await upsampleAndCrop(sharp(input, options), geometry, spec.size)
        : await downsampleAndCrop(sharp(input, options), geometry, spec.size);
    return { pixels, sourceWidth, sourceHeight, format };
  } catch (error) {
    const message = describe(error);
    if (/pixel limit/i.test(message)) throw new ImagePreprocessError('too_many_pixels', `the image exceeds the limit of ${maxPixels} pixels`);
    throw new ImagePreprocessError('corrupt', `cannot decode the ${format} image: ${message}`);
  }
}
