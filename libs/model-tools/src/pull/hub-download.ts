/**
 * Downloads one file of a Hugging Face hub repository
 * (`{endpoint}/{repo}/resolve/{revision}/{path}`) into `<dest>.part`,
 * resuming with HTTP Range after an interruption (also across runs), then
 * checks its size and sha256 and renames it into place. A checksum or size
 * mismatch deletes the partial file.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, statSync, type WriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelPullError } from './errors';

export const DEFAULT_HF_ENDPOINT = 'https://huggingface.co';

export interface HubLocation {
  endpoint: string;
  repo: string;
  revision: string;
  /** Sent as a bearer token when set (private or gated repositories). */
  token?: string;
}

export interface RemoteFileInfo {
  url: string;
  /** sha256 published by the hub (`X-Linked-Etag` of LFS files, or a 64-hex `ETag`). */
  sha256?: string;
  bytes?: number;
  /** The commit the revision resolved to (`X-Repo-Commit`). */
  commit?: string;
}

export interface DownloadProgress {
  file: string;
  receivedBytes: number;
  totalBytes?: number;
  bytesPerSecond: number;
}

export interface DownloadOptions {
  /** Repository path, for messages. */
  file: string;
  url: string;
  dest: string;
  expectedSha256?: string;
  expectedBytes?: number;
  token?: string;
  /** Attempts after interruptions or 5xx answers (default 4). */
  maxAttempts?: number;
  retryDelayMs?: number;
  onProgress?: (progress: DownloadProgress) => void;
  onRetry?: (attempt: number, reason: string, resumeFrom: number) => void;
}

export interface DownloadResult {
  sha256: string;
  bytes: number;
  /** Bytes that were already on disk from an earlier, interrupted transfer. */
  resumedFrom: number;
}

export function resolveUrl(location: HubLocation, file: string): string {
  const encoded = file.split('/').map(encodeURIComponent).join('/');
  return `${location.endpoint.replace(/\/+$/, '')}/${location.repo}/resolve/${encodeURIComponent(location.revision)}/${encoded}`;
}

function authHeaders(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}

function unquote(value: string | null): string | undefined {
  if (!value) return undefined;
  return value.replace(/^W\//, '').replace(/^"|"$/g, '');
}

function statusError(status: number, file: string, url: string): ModelPullError {
  if (status === 404) return new ModelPullError('not_found', `${file} was not found: ${url} answered HTTP 404 (check --repo, --revision and the file name)`);
  if (status === 401 || status === 403) {
    return new ModelPullError('unauthorized', `${file}: ${url} answered HTTP ${status}; a private or gated repository needs HF_TOKEN`);
  }
  return new ModelPullError('http', `${file}: ${url} answered HTTP ${status}`);
}

/**
 * Asks the hub about a file without downloading it. LFS files answer with a
 * redirect that carries `X-Linked-Etag` (the sha256) and `X-Linked-Size`;
 * the redirect is not followed. Returns undefined for a 404 when `optional`.
 */
export async function headRemoteFile(location: HubLocation, file: string, optional = false): Promise<RemoteFileInfo | undefined> {
  const url = resolveUrl(location, file);
  let response: Response;
  try {
    response = await fetch(url, { method: 'HEAD', redirect: 'manual', headers: authHeaders(location.token) });
  } catch (error) {
    throw new ModelPullError('http', `${file}: cannot reach ${url}: ${(error as Error).message}`);
  }
  if (response.status === 404 && optional) return undefined;
  if (response.status >= 400) throw statusError(response.status, file, url);
  const linkedEtag = unquote(response.headers.get('x-linked-etag'));
  const etag = unquote(response.headers.get('etag'));
  const sha256 = [linkedEtag, etag].find((value) => value && /^[0-9a-f]{64}$/.test(value));
  const sizeHeader = response.headers.get('x-linked-size') ?? (response.status < 300 ? response.headers.get('content-length') : null);
  const bytes = sizeHeader !== null && /^\d+$/.test(sizeHeader) ? Number(sizeHeader) : undefined;
  return { url, sha256, bytes, commit: response.headers.get('x-repo-commit') ?? undefined };
}

export async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function sizeOf(file: string): number {
  return existsSync(file) ? statSync(file).size : 0;
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

/**
 * Writes one chunk, waiting for 'drain' when the stream pushes back. Both listeners come off
 * whichever event fires first: a leftover 'error' listener per back-pressured write piled up
 * on a large file (MaxListenersExceededWarning after ten).
 */
function write(stream: WriteStream, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (stream.write(chunk)) {
      resolve();
      return;
    }
    const onDrain = () => {
      stream.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      stream.off('drain', onDrain);
      reject(error);
    };
    stream.once('drain', onDrain).once('error', onError);
  });
}

/** One GET into the .part file, from its current size. Throws ModelPullError('interrupted') when the transfer breaks off. */
async function transferOnce(options: DownloadOptions, part: string): Promise<void> {
  let offset = sizeOf(part);
  if (options.expectedBytes !== undefined && offset > options.expectedBytes) {
    await rm(part, { force: true });
    offset = 0;
  }
  if (options.expectedBytes !== undefined && offset === options.expectedBytes) return;
  const headers: Record<string, string> = { ...authHeaders(options.token), ...(offset > 0 ? { range: `bytes=${offset}-` } : {}) };
  let response: Response;
  try {
    response = await fetch(options.url, { headers, redirect: 'follow' });
  } catch (error) {
    throw new ModelPullError('interrupted', `cannot reach ${options.url}: ${(error as Error).message}`);
  }
  if (response.status === 416 && offset > 0) {
    // The server has nothing past our bytes: the part is complete (verified by the caller), or wrong and restarted.
    await response.body?.cancel();
    return;
  }
  if (response.status >= 500) {
    await response.body?.cancel();
    throw new ModelPullError('interrupted', `${options.file}: ${options.url} answered HTTP ${response.status}`);
  }
  if (response.status >= 400) {
    await response.body?.cancel();
    throw statusError(response.status, options.file, options.url);
  }
  let append = false;
  if (response.status === 206) {
    const range = /^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
    if (!range || Number(range[1]) !== offset) {
      await response.body?.cancel();
      await rm(part, { force: true });
      throw new ModelPullError('interrupted', `${options.file}: the server answered a range that does not start at byte ${offset}`);
    }
    append = true;
  }
  const contentLength = Number(response.headers.get('content-length') ?? Number.NaN);
  const totalBytes = options.expectedBytes ?? (Number.isFinite(contentLength) ? contentLength + (append ? offset : 0) : undefined);
  const stream = createWriteStream(part, { flags: append ? 'a' : 'w' });
  let received = append ? offset : 0;
  const firstByte = received;
  const transferStarted = performance.now();
  let failure: unknown;
  try {
    if (!response.body) throw new Error('empty response body');
    for await (const chunk of Readable.fromWeb(response.body as WebReadableStream<Uint8Array>) as AsyncIterable<Buffer>) {
      await write(stream, chunk);
      received += chunk.length;
      const seconds = Math.max(0.001, (performance.now() - transferStarted) / 1000);
      options.onProgress?.({ file: options.file, receivedBytes: received, totalBytes, bytesPerSecond: (received - firstByte) / seconds });
    }
  } catch (error) {
    failure = error;
  } finally {
    await closeStream(stream);
  }
  if (failure) {
    const cause = failure instanceof Error ? ((failure.cause as Error | undefined)?.message ?? failure.message) : String(failure);
    throw new ModelPullError('interrupted', `${options.file}: the transfer broke off after ${received} bytes (${cause})`);
  }
  if (Number.isFinite(contentLength) && received - (append ? offset : 0) !== contentLength) {
    throw new ModelPullError('interrupted', `${options.file}: got ${received - (append ? offset : 0)} of ${contentLength} bytes`);
  }
}

/** Downloads (or resumes) one file, verifies it, and moves it to `dest`. */
export async function downloadFile(options: DownloadOptions): Promise<DownloadResult> {
  const part = `${options.dest}.part`;
  const resumedFrom = sizeOf(part);
  const maxAttempts = options.maxAttempts ?? 4;
  for (let attempt = 1; ; attempt++) {
    try {
      await transferOnce(options, part);
      break;
    } catch (error) {
      if (!(error instanceof ModelPullError) || error.code !== 'interrupted' || attempt >= maxAttempts) throw error;
      options.onRetry?.(attempt, error.message, sizeOf(part));
      await sleep((options.retryDelayMs ?? 500) * attempt);
    }
  }
  const bytes = sizeOf(part);
  if (options.expectedBytes !== undefined && bytes !== options.expectedBytes) {
    await rm(part, { force: true });
    throw new ModelPullError('size', `${options.file}: downloaded ${bytes} bytes, the hub says ${options.expectedBytes}; the partial file was removed`);
  }
  const sha256 = await sha256OfFile(part);
  if (options.expectedSha256 && sha256 !== options.expectedSha256.toLowerCase()) {
    await rm(part, { force: true });
    throw new ModelPullError('checksum', `${options.file}: sha256 is ${sha256}, expected ${options.expectedSha256}; the partial file was removed`);
  }
  await rename(part, options.dest);
  return { sha256, bytes, resumedFrom };
}
