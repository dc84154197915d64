/**
 * Renders one product image: an SVG scene (background, drop shadow, patterned
 * silhouette, lighting gradient) rasterised by sharp (librsvg), with sensor
 * noise, encoded as JPEG (sometimes stored rotated with an EXIF orientation
 * tag), PNG (sometimes transparent) or WebP. Pure function of (spec, renderSeed).
 * sharp runs the rasterising and encoding on libuv's thread pool, so several
 * renders in flight use every core.
 */
import sharp, { type Sharp } from 'sharp';
import { hsl, mix, scale } from './colour';
import { createRng, type Rng } from './rng';
import { SILHOUETTES } from './silhouettes';
import type { ProductSpec } from './spec';

export type ImageFormat = 'jpeg' | 'png' | 'webp';

export interface RenderedImage {
  bytes: Buffer;
  format: ImageFormat;
  /** Stored pixel size (before EXIF orientation is applied). */
  width: number;
  height: number;
  /** EXIF orientation written into the file (1 = none). Applying it gives the upright product. */
  orientation: 1 | 3 | 6 | 8;
  /** True when the background is transparent (PNG or WebP with alpha). */
  transparent: boolean;
  /** What the photo shows besides the product (for generated descriptions). */
  view: SceneView;
}

/**
 * The visible scene around the product, recorded for descriptions ("on a plain background, tilted"):
 * `background` is `none` when transparent (flattened onto white by preprocessing), `surface` a table or
 * floor behind the product, `tilt` the product's rotation in degrees (positive = clockwise).
 */
export interface SceneView {
  background: 'none' | 'plain' | 'gradient';
  surface: boolean;
  tilt: number;
}

export const FILE_EXTENSIONS: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', webp: 'webp' };

const NOISE_TILE = 128;
let noiseTiles: { data: Buffer; sigma: number }[] | undefined;

/** A few tiles of Gaussian colour noise around mid-grey, drawn once from a fixed seed. */
function getNoiseTiles(): { data: Buffer; sigma: number }[] {
  if (noiseTiles) return noiseTiles;
  const rng = createRng('noise-tiles');
  noiseTiles = [4, 7, 10, 14, 18, 24].map((sigma) => {
    const data = Buffer.alloc(NOISE_TILE * NOISE_TILE * 3);
    for (let i = 0; i < data.length; i++) {
      // Irwin–Hall approximation of a normal variate: cheap and deterministic.
      const normal = rng.next() + rng.next() + rng.next() + rng.next() - 2;
      data[i] = Math.max(0, Math.min(255, Math.round(128 + normal * sigma * 1.73)));
    }
    return { data, sigma };
  });
  return noiseTiles;
}

function lightBackground(rng: Rng, brightness: number): string {
  return scale(hsl(rng.range(0, 360), rng.range(0.04, 0.32), rng.range(0.8, 0.95)), brightness);
}

function patternDef(spec: ProductSpec, base: string, tone: string): string {
  const { look } = spec;
  const transform = `rotate(${look.patternAngle.toFixed(2)})`;
  switch (spec.pattern) {
    case 'solid':
      return '';
    case 'striped': {
      const period = 13 * look.patternScale;
      return (
        `<pattern id="pat" patternUnits="userSpaceOnUse" width="${period.toFixed(2)}" height="${period.toFixed(2)}" patternTransform="${transform}">` +
        `<rect width="${period.toFixed(2)}" height="${period.toFixed(2)}" fill="${base}"/><rect width="${(period * 0.45).toFixed(2)}" height="${period.toFixed(2)}" fill="${tone}"/></pattern>`
      );
    }
    case 'dotted': {
      const period = 12 * look.patternScale;
      const half = period / 2;
      const radius = period * 0.2;
      return (
        `<pattern id="pat" patternUnits="userSpaceOnUse" width="${period.toFixed(2)}" height="${period.toFixed(2)}" patternTransform="${transform}">` +
        `<rect width="${period.toFixed(2)}" height="${period.toFixed(2)}" fill="${base}"/>` +
        `<circle cx="${(half / 2).toFixed(2)}" cy="${(half / 2).toFixed(2)}" r="${radius.toFixed(2)}" fill="${tone}"/>` +
        `<circle cx="${(half * 1.5).toFixed(2)}" cy="${(half * 1.5).toFixed(2)}" r="${radius.toFixed(2)}" fill="${tone}"/></pattern>`
      );
    }
    case 'checked': {
      const period = 16 * look.patternScale;
      const half = (period / 2).toFixed(2);
      return (
        `<pattern id="pat" patternUnits="userSpaceOnUse" width="${period.toFixed(2)}" height="${period.toFixed(2)}" patternTransform="${transform}">` +
        `<rect width="${period.toFixed(2)}" height="${period.toFixed(2)}" fill="${base}"/>` +
        `<rect width="${half}" height="${half}" fill="${tone}"/><rect x="${half}" y="${half}" width="${half}" height="${half}" fill="${tone}"/></pattern>`
      );
    }
  }
}

export interface Scene {
  svg: string;
  width: number;
  height: number;
  transparent: boolean;
  view: SceneView;
}

/** Builds the SVG for one render: everything random about the photo, nothing about the product. */
export function buildScene(spec: ProductSpec, rng: Rng, allowTransparent: boolean, forceTransparent?: boolean): Scene {
  const long = rng.int(256, 800);
  const square = rng.chance(0.3);
  const short = square ? long : Math.max(256, Math.round(long * rng.range(0.68, 0.96)));
  const [width, height] = square || rng.chance(0.5) ? [long, short] : [short, long];
  const brightness = rng.range(0.92, 1.08);
  const transparent = forceTransparent ?? (allowTransparent && rng.chance(0.5));

  const minSide = Math.min(width, height);
  const stretch = spec.look.stretch;
  const size = minSide * Math.min(rng.range(0.58, 0.86), 0.92 / Math.max(1, stretch));
  const slackX = Math.max(0, (width - size * stretch) / 2) * 0.85;
  const slackY = Math.max(0, (height - size) / 2) * 0.85;
  const cx = width / 2 + rng.range(-1, 1) * slackX;
  const cy = height / 2 + rng.range(-1, 1) * slackY;
  const rotation = rng.range(-14, 14);
  const mirror = rng.chance(0.5) ? -1 : 1;
  const sx = (size / 100) * stretch * mirror;
  const sy = size / 100;

  const base = scale(spec.look.baseHex, brightness);
  const tone = scale(spec.look.toneHex, brightness);
  const accent = scale(spec.look.accentHex, brightness);
  const line = scale(spec.look.lineHex, brightness);
  const silhouette = SILHOUETTES[spec.category];

  const defs: string[] = [`<g id="body">${silhouette.body.map((d) => `<path d="${d}"/>`).join('')}</g>`, patternDef(spec, base, tone)];
  const layers: string[] = [];
  const view: SceneView = { background: 'none', surface: false, tilt: Math.round(rotation) };

  if (!transparent) {
    const bg1 = lightBackground(rng, brightness);
    view.background = 'plain';
    if (rng.chance(0.45)) {
      view.background = 'gradient';
      const bg2 = lightBackground(rng, brightness);
      const angle = rng.range(0, Math.PI * 2);
      const [x1, y1, x2, y2] = [0.5 - Math.cos(angle) / 2, 0.5 - Math.sin(angle) / 2, 0.5 + Math.cos(angle) / 2, 0.5 + Math.sin(angle) / 2];
      defs.push(
        `<linearGradient id="bg" x1="${x1.toFixed(3)}" y1="${y1.toFixed(3)}" x2="${x2.toFixed(3)}" y2="${y2.toFixed(3)}"><stop offset="0" stop-color="${bg1}"/><stop offset="1" stop-color="${bg2}"/></linearGradient>`,
      );
      layers.push(`<rect width="${width}" height="${height}" fill="url(#bg)"/>`);
    } else {
      layers.push(`<rect width="${width}" height="${height}" fill="${bg1}"/>`);
    }
    if (rng.chance(0.3)) {
      // A table or floor surface behind the product.
      view.surface = true;
      const floorY = Math.round(cy + size * rng.range(0.1, 0.35));
      layers.push(`<rect y="${floorY}" width="${width}" height="${height - floorY}" fill="${mix(bg1, '#000000', rng.range(0.06, 0.14))}"/>`);
    }
  }

  const lightAngle = rng.range(0, Math.PI * 2);
  const [lx1, ly1, lx2, ly2] = [0.5 - Math.cos(lightAngle) / 2, 0.5 - Math.sin(lightAngle) / 2, 0.5 + Math.cos(lightAngle) / 2, 0.5 + Math.sin(lightAngle) / 2];
  defs.push(
    `<linearGradient id="light" x1="${lx1.toFixed(3)}" y1="${ly1.toFixed(3)}" x2="${lx2.toFixed(3)}" y2="${ly2.toFixed(3)}">` +
      `<stop offset="0" stop-color="#ffffff" stop-opacity="${rng.range(0, 0.24).toFixed(3)}"/>` +
      `<stop offset="0.5" stop-color="#808080" stop-opacity="0"/>` +
      `<stop offset="1" stop-color="#000000" stop-opacity="${rng.range(0.05, 0.26).toFixed(3)}"/></linearGradient>`,
  );

  const product: string[] = [];
  if (rng.chance(0.6)) {
    const dx = rng.range(-4, 4).toFixed(2);
    const dy = rng.range(1.5, 5).toFixed(2);
    product.push(`<use href="#body" fill="#000000" fill-opacity="${rng.range(0.12, 0.25).toFixed(3)}" transform="translate(${dx} ${dy})"/>`);
  }
  product.push(`<use href="#body" fill="${spec.pattern === 'solid' ? base : 'url(#pat)'}"/>`);
  product.push(silhouette.details({ accent, line }));
  product.push(`<use href="#body" fill="url(#light)"/>`);
  product.push(`<use href="#body" fill="none" stroke="${line}" stroke-width="${rng.range(0.6, 1.4).toFixed(2)}" stroke-opacity="0.7"/>`);

  const transform = `translate(${cx.toFixed(2)} ${cy.toFixed(2)}) rotate(${rotation.toFixed(2)}) scale(${sx.toFixed(4)} ${sy.toFixed(4)}) translate(-50 -50)`;
  layers.push(`<g transform="${transform}">${product.join('')}</g>`);

  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<defs>${defs.join('')}</defs>${layers.join('')}</svg>`;
  return { svg, width, height, transparent, view };
}

/** Angle that stores upright pixels so that applying the EXIF orientation restores them. */
const STORED_ROTATION: Record<3 | 6 | 8, number> = { 3: 180, 6: 270, 8: 90 };

/** Every random choice of one render, drawn up front (exported for tests). */
export interface RenderPlan {
  format: ImageFormat;
  scene: Scene;
  /** Index into the noise tiles, or undefined for a clean image. */
  noiseTile?: number;
  orientation: RenderedImage['orientation'];
  quality: number;
}

export interface RenderOverrides {
  format?: ImageFormat;
  transparent?: boolean;
}

export function planRender(spec: ProductSpec, renderSeed: number | string, overrides: RenderOverrides = {}): RenderPlan {
  const rng = createRng(`render:${renderSeed}`);
  const drawnFormat = rng.weighted<ImageFormat>([
    ['jpeg', 0.62],
    ['png', 0.2],
    ['webp', 0.18],
  ]);
  const format = overrides.format ?? drawnFormat;
  const allowTransparent = overrides.transparent ?? (format === 'png' || (format === 'webp' && rng.chance(0.4)));
  const scene = buildScene(spec, rng, allowTransparent, overrides.transparent);
  // Sensor noise on the "photos"; PNGs stay clean like studio cut-outs (and small on disk).
  const noiseTile = format !== 'png' && !scene.transparent ? rng.int(0, getNoiseTiles().length - 1) : undefined;
  const orientation = format === 'jpeg' && rng.chance(0.3) ? rng.pick([3, 6, 6, 8] as const) : 1;
  const quality = format === 'jpeg' ? rng.int(74, 92) : rng.int(75, 90);
  return { format, scene, noiseTile, orientation, quality };
}

/** The upright scene before encoding (RGBA when transparent): what applying EXIF orientation to the file gives back. */
export function rasteriseUpright(plan: RenderPlan): Sharp {
  const pipeline = sharp(Buffer.from(plan.scene.svg), { density: 72 });
  if (plan.noiseTile === undefined) return pipeline;
  const tile = getNoiseTiles()[plan.noiseTile];
  return pipeline.composite([{ input: tile.data, raw: { width: NOISE_TILE, height: NOISE_TILE, channels: 3 }, tile: true, blend: 'soft-light' }]);
}

/** Renders and encodes one image of the product. Same (spec, renderSeed) ⇒ same bytes. */
export async function renderProductImage(spec: ProductSpec, renderSeed: number | string, overrides?: RenderOverrides): Promise<RenderedImage> {
  const plan = planRender(spec, renderSeed, overrides);
  const { format, scene, orientation, quality } = plan;
  const pipeline = rasteriseUpright(plan);
  let width = scene.width;
  let height = scene.height;
  let bytes: Buffer;
  if (format === 'jpeg') {
    const flat = pipeline.flatten({ background: '#ffffff' });
    if (orientation !== 1) {
      // sharp rotates before compositing, so the upright scene is rasterised first and rotated in a second pass.
      const upright = await flat.png({ compressionLevel: 0 }).toBuffer();
      bytes = await sharp(upright).rotate(STORED_ROTATION[orientation]).jpeg({ quality }).withMetadata({ orientation }).toBuffer();
      if (orientation !== 3) [width, height] = [height, width];
    } else {
      bytes = await flat.jpeg({ quality }).toBuffer();
    }
  } else if (format === 'png') {
    bytes = await (scene.transparent ? pipeline : pipeline.removeAlpha()).png({ compressionLevel: 6, adaptiveFiltering: false }).toBuffer();
  } else {
    bytes = await (scene.transparent ? pipeline : pipeline.removeAlpha()).webp({ quality, effort: 2 }).toBuffer();
  }
  return { bytes, format, width, height, orientation, transparent: scene.transparent, view: scene.view };
}
