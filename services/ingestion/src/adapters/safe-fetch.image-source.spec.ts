/**
 * real: the SSRF-safe fetcher, a local HTTP image host. mock: nothing.
 */
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ImageUnavailableError, NOT_MODIFIED } from '../ports';
import { SafeFetchImageSource } from './safe-fetch.image-source';

const PNG_1X1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');

describe(SafeFetchImageSource.name, () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer((request, response) => {
      if (request.url === '/busy.jpg') response.writeHead(503).end();
      else if (request.url === '/tagged.png' && request.headers['if-none-match'] === '"v1"') response.writeHead(304).end();
      else if (request.url === '/tagged.png') response.writeHead(200, { 'content-type': 'image/png', etag: '"v1"' }).end(PNG_1X1);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function failureOf(source: SafeFetchImageSource, url: string): Promise<ImageUnavailableError> {
    try {
      await source.fetchImage(url);
    } catch (error) {
      return error as ImageUnavailableError;
    } finally {
      source.close();
    }
    throw new Error(`${url} was fetched`);
  }

  it('reports a refused address as a fetch failure that no retry can help', async () => {
    const failure = await failureOf(new SafeFetchImageSource({}), `${base}/any.jpg`);
    expect(failure).toBeInstanceOf(ImageUnavailableError);
    expect(failure).toMatchObject({ stage: 'fetch', errorCode: 'refused_address', retryable: false });
  });

  it("reports an image host's 5xx as a retryable fetch failure, and a 404 as a final one", async () => {
    const allowed = { allowHosts: ['127.0.0.1'] };
    expect(await failureOf(new SafeFetchImageSource(allowed), `${base}/busy.jpg`)).toMatchObject({ stage: 'fetch', errorCode: 'http_status', retryable: true });
    const missing = await failureOf(new SafeFetchImageSource(allowed), `${base}/missing.jpg`);
    expect(missing).toMatchObject({ stage: 'fetch', errorCode: 'http_status', retryable: false });
    expect(missing.reason).toContain('404');
  });

  it('passes the host validators on and answers NOT_MODIFIED to a conditional fetch the host says is unchanged', async () => {
    const source = new SafeFetchImageSource({ allowHosts: ['127.0.0.1'] });
    try {
      const image = await source.fetchImage(`${base}/tagged.png`);
      expect(image).toMatchObject({ contentType: 'image/png', etag: '"v1"' });
      expect(await source.fetchImageIfModified(`${base}/tagged.png`, { etag: image.etag })).toBe(NOT_MODIFIED);
      expect(await source.fetchImageIfModified(`${base}/tagged.png`, { etag: '"v0"' })).toMatchObject({ etag: '"v1"' });
    } finally {
      source.close();
    }
  });
});
