/**
 * The committed tiny random-weight CLIP (libs/model-tools/fixtures/tiny-clip-random, built by
 * training/random-clip/build_random_clip.py) for tests: its reference outputs from Hugging Face
 * `transformers`, and a FakeHub serving its repository files as the hub serves a Transformers.js
 * CLIP export (the ONNX files as LFS: redirect to a content path with X-Linked-Etag; the rest with
 * git ETags).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
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
