/**
 * The active zero-shot tagging as points of the store's metadata collection (`vsearch_meta`, see
 * the adapter's header): one *head* point per taxonomy version, id = the version, holding the
 * taxonomy, model id and logit scale, and the label vectors in *chunk* points beside it, so no
 * request comes near Qdrant's request size limit (32 MB by default; 10,000 labels of 768 floats
 * are 30 MB). Chunk ids name the writer, so two replicas racing for one version never overwrite
 * each other's vectors: the head is written last with `insert_only`, and the loser drops its chunks.
 * Vectors travel as base64 float32 inside a JSON string: exact, a third of the size of JSON
 * numbers, and opaque to Qdrant's payload storage, which has nothing to index in them.
 */
import type { Schemas } from '@qdrant/js-client-rest';
import type { ActiveTagging, LabelVector, Taxonomy } from '@vsearch/contracts';
import type { RetagProgress } from '../types';
import { uuidV5 } from './point-ids';

/** Name of the metadata collection (stored under the adapter's prefix, like every collection). */
export const META_COLLECTION = 'vsearch_meta';

export const TAGGING_KIND = Object.freeze({ head: 'tagging', vectors: 'tagging_vectors' });

/** Label vectors per chunk point: 500 × 768 float32 in base64 are about 2 MB. */
export const LABELS_PER_CHUNK = 500;

type Point = Schemas['PointStruct'];

/** The payload of a head point. */
export interface TaggingHead {
  kind: typeof TAGGING_KIND.head;
  version: number;
  /** Random per save: names the chunk points and tells a replica whether its claim of `version` won. */
  writer: string;
  chunks: number;
  /** JSON of { taxonomy, modelId, logitScale }. */
  tagging: string;
}

export function chunkPointId(writer: string, index: number): string {
  return uuidV5(`tagging-vectors\u0000${writer}\u0000${index}`);
}

/** The head and chunk points of a tagging saved by `writer`. */
export function taggingPoints(tagging: ActiveTagging, writer: string): { head: Point; chunks: Point[] } {
  const version = tagging.taxonomy.version;
  const chunks: Point[] = [];
  for (let start = 0, index = 0; start < tagging.labelVectors.length || index === 0; start += LABELS_PER_CHUNK, index++) {
    const labels = tagging.labelVectors.slice(start, start + LABELS_PER_CHUNK).map(({ attribute, label, vector }) => ({
      attribute,
      label,
      vector: Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64'),
    }));
    chunks.push({
      id: chunkPointId(writer, index),
      vector: {},
      payload: { kind: TAGGING_KIND.vectors, version, writer, index, labels: JSON.stringify(labels) },
    });
  }
  const { taxonomy, modelId, logitScale } = tagging;
  const head: TaggingHead = { kind: TAGGING_KIND.head, version, writer, chunks: chunks.length, tagging: JSON.stringify({ taxonomy, modelId, logitScale }) };
  return { head: { id: version, vector: {}, payload: { ...head } }, chunks };
}

/** The tagging of a head and its chunk payloads (in index order), or undefined when a chunk is missing (pruned meanwhile). */
export function taggingFrom(head: TaggingHead, chunks: ReadonlyArray<Record<string, unknown> | undefined>): ActiveTagging | undefined {
  if (chunks.length !== head.chunks || chunks.some((chunk) => typeof chunk?.labels !== 'string')) return undefined;
  const { taxonomy, modelId, logitScale } = JSON.parse(head.tagging) as { taxonomy: Taxonomy; modelId: string; logitScale: number };
  const labelVectors: LabelVector[] = chunks.flatMap((chunk) =>
    (JSON.parse(chunk?.labels as string) as Array<{ attribute: string; label: string; vector: string }>).map(({ attribute, label, vector }) => {
      const bytes = Buffer.from(vector, 'base64');
      const floats = new Float32Array(bytes.length / 4);
      new Uint8Array(floats.buffer).set(bytes);
      return { attribute, label, vector: floats };
    }),
  );
  return { taxonomy, modelId, logitScale, labelVectors };
}

export function isTaggingHead(payload: Record<string, unknown> | null | undefined): payload is TaggingHead & Record<string, unknown> {
  return payload?.kind === TAGGING_KIND.head && typeof payload.writer === 'string' && typeof payload.tagging === 'string';
}

/**
 * The re-tag's progress: one point of the metadata collection at a fixed id, its payload the
 * RetagProgress fields plus `kind` and `writeId` (random per write). Its fields are named apart
 * from the tagging points' `version`, which the prune of old taxonomy versions filters on.
 */
export const RETAG_KIND = 'retag';
export const RETAG_POINT_ID = uuidV5('retag-progress');

export function retagPayload(progress: RetagProgress, writeId: string): Record<string, unknown> {
  return { ...progress, kind: RETAG_KIND, writeId };
}

export function retagFrom(payload: Record<string, unknown> | null | undefined): (RetagProgress & { writeId: string }) | undefined {
  if (payload?.kind !== RETAG_KIND || typeof payload.writeId !== 'string') return undefined;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- `kind` is the point's, not the record's
  const { kind, ...record } = payload;
  return record as unknown as RetagProgress & { writeId: string };
}
