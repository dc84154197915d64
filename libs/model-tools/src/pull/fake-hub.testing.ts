/**
 * A local stand-in for the Hugging Face hub's file API, for tests only:
 * `/{org}/{repo}/resolve/{revision}/{path}`, LFS files answered with a
 * redirect carrying `X-Linked-Etag` / `X-Linked-Size` to a CDN path that
 * honours Range, small files with a git-style ETag, plus faults to inject
 * (a transfer cut off half-way, a wrong published digest, a missing file).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeHubFile {
  body: Buffer;
  /** Served like a Git LFS file (redirect + X-Linked-Etag), as the hub does for .onnx files. */
  lfs: boolean;
}

export interface FakeHubRequest {
  method: string;
  url: string;
  range?: string;
}

export const FAKE_COMMIT = '0123456789abcdef0123456789abcdef01234567';

export class FakeHub {
  readonly files = new Map<string, FakeHubFile>();
  readonly requests: FakeHubRequest[] = [];
  /** Repository paths whose next content transfer is cut off after half the bytes. */
  readonly truncateNext = new Set<string>();
  /** Repository paths whose published sha256 is wrong. */
  readonly wrongDigest = new Set<string>();
  private server?: Server;
  endpoint = '';

  constructor(readonly repo: string) {}

  static clipFixtures(repo: string): FakeHub {
    const hub = new FakeHub(repo);
    hub.files.set('onnx/vision_model.onnx', { body: randomBytes(300_000), lfs: true });
    hub.files.set('onnx/text_model.onnx', { body: randomBytes(200_000), lfs: true });
    const tokenizer = {
      version: '1.0',
      added_tokens: [
        { id: 49406, content: '<|startoftext|>', special: true },
        { id: 49407, content: '<|endoftext|>', special: true },
      ],
      model: { type: 'BPE', vocab: {}, merges: [] },
    };
    hub.files.set('tokenizer.json', { body: Buffer.from(JSON.stringify(tokenizer)), lfs: false });
    const config = { projection_dim: 512, text_config: { max_position_embeddings: 77, pad_token_id: 1 }, vision_config: { image_size: 224, patch_size: 32 } };
    hub.files.set('config.json', { body: Buffer.from(JSON.stringify(config)), lfs: false });
    const preprocessor = {
      crop_size: { height: 224, width: 224 },
      size: { shortest_edge: 224 },
      image_mean: [0.48145466, 0.4578275, 0.40821073],
      image_std: [0.26862954, 0.26130258, 0.27577711],
    };
    hub.files.set('preprocessor_config.json', { body: Buffer.from(JSON.stringify(preprocessor)), lfs: false });
    return hub;
  }

  sha256(file: string): string {
    return createHash('sha256').update(this.files.get(file)!.body).digest('hex');
  }

  async start(): Promise<string> {
    this.server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.endpoint = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.endpoint;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  contentRequests(file: string): FakeHubRequest[] {
    const file_ = this.files.get(file);
    const cdn = file_?.lfs ? `/cdn/${this.sha256(file)}` : undefined;
    return this.requests.filter(
      (request) => request.method === 'GET' && (request.url === cdn || (!file_?.lfs && request.url.endsWith(`/resolve/main/${file}`))),
    );
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const url = request.url ?? '/';
    this.requests.push({ method: request.method ?? 'GET', url, range: request.headers.range });
    const cdn = /^\/cdn\/([0-9a-f]{64})$/.exec(url);
    if (cdn) {
      const entry = [...this.files.entries()].find(([name]) => this.sha256(name) === cdn[1]);
      if (!entry) return this.notFound(response);
      return this.sendContent(entry[0], entry[1].body, request, response, {});
    }
    const prefix = `/${this.repo}/resolve/main/`;
    if (!url.startsWith(prefix)) return this.notFound(response);
    const file = decodeURIComponent(url.slice(prefix.length));
    const entry = this.files.get(file);
    if (!entry) return this.notFound(response);
    const digest = this.wrongDigest.has(file) ? 'f'.repeat(64) : this.sha256(file);
    if (entry.lfs) {
      response.writeHead(302, {
        location: `/cdn/${this.sha256(file)}`,
        'x-linked-etag': `"${digest}"`,
        'x-linked-size': String(entry.body.length),
        'x-repo-commit': FAKE_COMMIT,
        etag: `"${digest}"`,
      });
      response.end();
      return;
    }
    // Small files: the ETag is a git blob id, not a sha256.
    const gitEtag = createHash('sha1').update(entry.body).digest('hex');
    this.sendContent(file, entry.body, request, response, { etag: `"${gitEtag}"`, 'x-repo-commit': FAKE_COMMIT });
  }

  private sendContent(file: string, body: Buffer, request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): void {
    let start = 0;
    let status = 200;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (start >= body.length) {
        response.writeHead(416, { 'content-range': `bytes */${body.length}` });
        response.end();
        return;
      }
      status = 206;
      headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    }
    const slice = body.subarray(start);
    response.writeHead(status, { ...headers, 'content-length': String(slice.length), 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    if (this.truncateNext.has(file)) {
      this.truncateNext.delete(file);
      response.write(slice.subarray(0, Math.floor(slice.length / 2)), () => setTimeout(() => response.socket?.destroy(), 20));
      return;
    }
    response.end(slice);
  }

  private notFound(response: ServerResponse): void {
    response.writeHead(404, { 'content-type': 'text/plain' });
    response.end('Entry not found');
  }
}
