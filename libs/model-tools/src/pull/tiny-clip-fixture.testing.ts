/**
 * The committed tiny random-weight CLIP (libs/model-tools/fixtures/tiny-clip-random, built by
 * training/random-clip/build_random_clip.py) for tests: its reference outputs from Hugging Face
 * `transformers`, and a FakeHub serving its repository files as the hub serves a Transformers.js
 * CLIP export (the ONNX files as LFS: redirect to a content path with X-Linked-Etag; the rest with
 * git ETags).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { FakeHub } from './fake-hub.testing';

export const TINY_CLIP_FIXTURE_DIR = path.resolve(__dirname, '../../fixtures/tiny-clip-random');

/** What PyTorch computed for one reference text: the tokenizer's padded ids and the unit embedding. */
export interface ReferenceText {
  text: string;
  inputIds: number[];
  attentionMask: number[];
  /** Whether the text had more tokens than the context holds. */
  truncated: boolean;
  embedding: number[];
}

/** One reference image: a file of the fixture, how a test sends it, and its unit embedding. */
export interface ReferenceImage {
  /** Relative to the fixture directory. */
  file: string;
  /** `pixels`: exactly the model's size, sent as raw RGB; `encoded`: sent as the file, preprocessed by the embedder. */
  sentAs: 'pixels' | 'encoded';
  embedding: number[];
}

export interface ReferenceOutputs {
  generator: string;
  embeddingDimension: number;
  contextLength: number;
  texts: ReferenceText[];
  images: ReferenceImage[];
}

export function readReferenceOutputs(fixtureDir = TINY_CLIP_FIXTURE_DIR): ReferenceOutputs {
  return JSON.parse(readFileSync(path.join(fixtureDir, 'reference-outputs.json'), 'utf8')) as ReferenceOutputs;
}

/** The repository files of the fixture (what the hub would list), reference inputs and outputs left out. */
export function hubFilesOf(fixtureDir = TINY_CLIP_FIXTURE_DIR): string[] {
  const files = readdirSync(fixtureDir).filter((name) => name.endsWith('.json') && name !== 'reference-outputs.json');
  const onnx = readdirSync(path.join(fixtureDir, 'onnx')).map((name) => `onnx/${name}`);
  return [...files, ...onnx].sort();
}

/** A FakeHub serving the fixture as `repo`, ONNX files the way the hub serves LFS files. */
export function tinyClipHub(repo: string, fixtureDir = TINY_CLIP_FIXTURE_DIR): FakeHub {
  const hub = new FakeHub(repo);
  for (const file of hubFilesOf(fixtureDir)) hub.files.set(file, { body: readFileSync(path.join(fixtureDir, file)), lfs: file.endsWith('.onnx') });
  return hub;
}

/** Cosine similarity of two vectors of the same length. */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    normA += a[i] * a[i];
    normB += b[i] * b[i];
  }
  return dot / Math.sqrt(normA * normB);
}

/** The largest cosine between two different reference embeddings: how close a wrong answer can come. */
export function closestDistinctPair(embeddings: number[][]): number {
  let closest = -1;
  embeddings.forEach((a, i) => embeddings.forEach((b, j) => i < j && (closest = Math.max(closest, cosine(a, b)))));
  return closest;
}

/** A reference image's raw 224×224 RGB pixels, as the embedder's pixel path takes them; throws when the fixture file is not that size. */
export async function rawPixels(image: ReferenceImage): Promise<Uint8Array> {
  const { data, info } = await sharp(path.join(TINY_CLIP_FIXTURE_DIR, image.file)).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== 224 || info.height !== 224 || info.channels !== 3) {
    throw new Error(`${image.file} is ${info.width}×${info.height}×${info.channels}, not 224×224×3`);
  }
  return new Uint8Array(data);
}
