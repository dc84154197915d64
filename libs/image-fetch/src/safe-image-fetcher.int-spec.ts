/**
 * real: local HTTP servers on loopback (one allow-listed image host, one that is not), sharp-made images.
 * mock: DNS for made-up host names (an injected resolver), so no test depends on the network.
 */
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sharp from 'sharp';
import { ImageFetchError } from './errors';
import { SafeImageFetcher, type HostResolver } from './safe-image-fetcher';

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void;

async function listen(handler: Handler): Promise<{ server: Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

async function expectFetchError(promise: Promise<unknown>, code: string, retryable?: boolean): Promise<ImageFetchError> {
  const error = await promise.then(
    () => {
      throw new Error(`expected ImageFetchError ${code}, got a success`);
    },
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ImageFetchError);
  expect((error as ImageFetchError).code).toBe(code);
  if (retryable !== undefined) expect((error as ImageFetchError).retryable).toBe(retryable);
  return error as ImageFetchError;
}

describe(SafeImageFetcher.name, () => {
  let jpeg: Buffer;
  let png: Buffer;
  let hits: string[];
  let allowed: { server: Server; port: number };
  let private_: { server: Server; port: number };
  let failuresBeforeSuccess = 0;
  let imageVersion = 1;
  let conditionalHits: string[] = [];

  beforeAll(async () => {
    jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: '#2a6' } })
      .jpeg()
      .toBuffer();
    png = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#26a' } })
      .png()
      .toBuffer();
    private_ = await listen((request, response) => {
      hits.push(`private ${request.url}`);
      response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
    });
    allowed = await listen((request, response) => {
      hits.push(`allowed ${request.url}`);
      const url = new URL(request.url ?? '/', 'http://x');
      switch (url.pathname) {
        case '/a.jpg':
          response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
          return;
        case '/no-type.png':
          response.writeHead(200).end(png);
          return;
        case '/lying.png':
          response.writeHead(200, { 'content-type': 'image/png' }).end(jpeg);
          return;
        case '/page.html':
          response.writeHead(200, { 'content-type': 'text/html' }).end('<html>not an image</html>');
          return;
        case '/huge':
          response.writeHead(200, { 'content-type': 'image/jpeg' });
          response.write(jpeg);
          response.end(Buffer.alloc(200_000));
          return;
        case '/slow':
          response.writeHead(200, { 'content-type': 'image/jpeg' });
          // The rest never comes (afterAll closes the connection): only the fetcher's
          // time cap or the caller's abort can end this fetch, whatever the machine's speed.
          response.write(jpeg.subarray(0, 10));
          return;
        case '/missing':
          response.writeHead(404).end();
          return;
        case '/flaky':
          if (failuresBeforeSuccess-- > 0) response.writeHead(503).end();
          else response.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg);
          return;
        case '/redirect':
          response.writeHead(302, { location: url.searchParams.get('to') ?? '/a.jpg' }).end();
          return;
        case '/versioned.jpg': {
          // A host with validators: 304 when the request names the current ETag or a date not before the last change.
          const etag = `"v${imageVersion}"`;
          const lastModified = new Date(Date.UTC(2026, 0, imageVersion)).toUTCString();
          const sinceMs = Date.parse(request.headers['if-modified-since'] ?? '');
          const unchanged = request.headers['if-none-match'] !== undefined ? request.headers['if-none-match'] === etag : sinceMs >= Date.parse(lastModified);
          conditionalHits.push(`${request.headers['if-none-match'] ?? '-'} ${request.headers['if-modified-since'] ?? '-'} → ${unchanged ? 304 : 200}`);
          if (unchanged) response.writeHead(304, { etag }).end();
          else
            response
              .writeHead(200, { 'content-type': imageVersion === 1 ? 'image/jpeg' : 'image/png', etag, 'last-modified': lastModified })
              .end(imageVersion === 1 ? jpeg : png);
          return;
        }
        case '/unusable-validators.jpg':
          response.writeHead(200, { 'content-type': 'image/jpeg', etag: `"${'x'.repeat(300)}"` }).end(jpeg);
          return;
        case '/always-304':
          response.writeHead(304).end();
          return;
        case '/loop':
          response.writeHead(301, { location: '/loop' }).end();
          return;
        default:
          response.writeHead(404).end();
      }
    });
  });

  beforeEach(() => {
    hits = [];
    conditionalHits = [];
    imageVersion = 1;
  });

  afterAll(async () => {
    allowed.server.closeAllConnections();
    await new Promise((resolve) => allowed.server.close(resolve));
    await new Promise((resolve) => private_.server.close(resolve));
  });

  function fetcher(options: ConstructorParameters<typeof SafeImageFetcher>[0] = {}): SafeImageFetcher {
    // The production time cap: a local answer never nears it, and the caller-abort test must end by the abort.
    return new SafeImageFetcher({ allowHosts: `127.0.0.1:${allowed.port}`, timeoutMs: 10_000, ...options });
  }

  describe('with only a path of the host allow-listed (the one-process stack: its own /catalog-images/)', () => {
    const pathOnly = () => fetcher({ allowHosts: `http://127.0.0.1:${allowed.port}/catalog-images/` });

    it('fetches under the path and refuses every other route of that host without contacting it', async () => {
      // /catalog-images/../a.jpg is /a.jpg once the URL is parsed: outside the prefix.
      for (const route of ['/a.jpg', '/catalog-images/../a.jpg', '/catalog-images/..%2fa.jpg', '/metrics']) {
        await expectFetchError(pathOnly().fetch(`http://127.0.0.1:${allowed.port}${route}`), 'refused_address', false);
      }
      expect(hits).toEqual([]);
      await expectFetchError(pathOnly().fetch(`http://127.0.0.1:${allowed.port}/catalog-images/p1.jpg`), 'http_status');
      expect(hits).toEqual(['allowed /catalog-images/p1.jpg']);
    });

    it('checks the path again after a redirect', async () => {
      const server = await listen((request, response) => {
        hits.push(`catalog ${request.url}`);
        response.writeHead(302, { location: '/a.jpg' }).end();
      });
      try {
        const own = new SafeImageFetcher({ allowHosts: `http://127.0.0.1:${server.port}/catalog-images/`, timeoutMs: 10_000 });
        await expectFetchError(own.fetch(`http://127.0.0.1:${server.port}/catalog-images/x.jpg`), 'refused_address');
        own.close();
        expect(hits).toEqual(['catalog /catalog-images/x.jpg']);
      } finally {
        server.server.closeAllConnections();
        await new Promise((resolve) => server.server.close(resolve));
      }
    });
  });

  it('fetches an image from an allow-listed host and reports the type found in the bytes', async () => {
    const f = fetcher();
    const image = await f.fetch(`http://127.0.0.1:${allowed.port}/a.jpg`);
    f.close();
    expect(image.contentType).toBe('image/jpeg');
    expect(image.bytes.equals(jpeg)).toBe(true);
    expect(image.finalUrl).toBe(`http://127.0.0.1:${allowed.port}/a.jpg`);
    expect({ width: image.width, height: image.height }).toEqual({ width: 64, height: 48 });
  });

  it('accepts a body without a declared type when the bytes are an image', async () => {
    const image = await fetcher().fetch(`http://127.0.0.1:${allowed.port}/no-type.png`);
    expect(image.contentType).toBe('image/png');
  });

  it.each([
    ['http://127.0.0.1/', 'loopback'],
    ['http://169.254.169.254/latest/meta-data/', 'link-local metadata'],
    ['http://[::1]/', 'IPv6 loopback'],
    ['http://[::ffff:127.0.0.1]/', 'IPv4-mapped loopback'],
    ['http://2130706433/', 'decimal IPv4 for 127.0.0.1'],
    ['http://0x7f.1/', 'hex IPv4 for 127.0.0.1'],
    ['http://0177.0.0.1/', 'octal IPv4 for 127.0.0.1'],
    ['http://10.0.0.1/', 'RFC 1918'],
    ['http://100.100.100.200/', 'CGNAT (Alibaba metadata)'],
    ['http://[fd00:ec2::254]/', 'AWS IPv6 metadata'],
    ['http://0.0.0.0/', 'unspecified'],
    ['http://metadata.google.internal/computeMetadata/v1/', 'GCP metadata name'],
  ])('refuses %s (%s) before connecting', async (url) => {
    await expectFetchError(fetcher().fetch(url), 'refused_address', false);
  });

  it('refuses a loopback port that is not allow-listed, without contacting it', async () => {
    await expectFetchError(fetcher().fetch(`http://127.0.0.1:${private_.port}/secret`), 'refused_address');
    expect(hits).toEqual([]);
  });

  it.each(['file:///etc/passwd', 'ftp://example.com/a.jpg', 'gopher://127.0.0.1/', 'data:image/png;base64,AAAA'])('refuses the scheme of %s', async (url) => {
    await expectFetchError(fetcher().fetch(url), 'bad_scheme', false);
  });

  it('refuses a host name that resolves to a private address (checked on the resolved address)', async () => {
    const resolve: HostResolver = async () => [{ address: '127.0.0.1', family: 4 }];
    await expectFetchError(fetcher({ resolve }).fetch(`http://images.example.test:${private_.port}/a.jpg`), 'refused_address');
    expect(hits).toEqual([]);
  });

  it('refuses a name with one public and one private answer', async () => {
    const resolve: HostResolver = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ];
    await expectFetchError(fetcher({ resolve }).fetch('http://mixed.example.test/a.jpg'), 'refused_address');
  });

  it('connects to the address it checked (pinned), for an allow-listed name', async () => {
    const resolve: HostResolver = async (name) => (name === 'images.example.test' ? [{ address: '127.0.0.1', family: 4 }] : []);
    const image = await fetcher({ resolve, allowHosts: `images.example.test:${allowed.port}` }).fetch(`http://images.example.test:${allowed.port}/a.jpg`);
    expect(image.contentType).toBe('image/jpeg');
    expect(hits).toEqual(['allowed /a.jpg']);
  });

  it('follows a redirect within allowed hosts', async () => {
    const image = await fetcher().fetch(`http://127.0.0.1:${allowed.port}/redirect?to=/a.jpg`);
    expect(image.finalUrl).toBe(`http://127.0.0.1:${allowed.port}/a.jpg`);
  });

  it('refuses a redirect to a private address and never contacts it', async () => {
    const to = encodeURIComponent(`http://127.0.0.1:${private_.port}/secret`);
    await expectFetchError(fetcher().fetch(`http://127.0.0.1:${allowed.port}/redirect?to=${to}`), 'refused_address');
    expect(hits).toEqual(['allowed /redirect?to=' + to]);
  });

  it('refuses a redirect to the metadata address and to file:', async () => {
    await expectFetchError(fetcher().fetch(`http://127.0.0.1:${allowed.port}/redirect?to=${encodeURIComponent('http://169.254.169.254/')}`), 'refused_address');
    await expectFetchError(fetcher().fetch(`http://127.0.0.1:${allowed.port}/redirect?to=${encodeURIComponent('file:///etc/passwd')}`), 'bad_scheme');
  });

  describe('conditional fetches', () => {
    const versioned = () => `http://127.0.0.1:${allowed.port}/versioned.jpg`;

    it('returns the host validators with the bytes, and "not modified" without a body when they still match', async () => {
      const first = await fetcher().fetch(versioned());
      expect(first).toMatchObject({ etag: '"v1"', lastModified: 'Thu, 01 Jan 2026 00:00:00 GMT', contentType: 'image/jpeg' });
      expect(await fetcher().fetchIfModified(versioned(), { etag: first.etag })).toEqual({ notModified: true, finalUrl: versioned() });
      expect(await fetcher().fetchIfModified(versioned(), { lastModified: first.lastModified })).toEqual({ notModified: true, finalUrl: versioned() });
      expect(conditionalHits).toEqual(['- - → 200', '"v1" - → 304', '- Thu, 01 Jan 2026 00:00:00 GMT → 304']);
    });

    it('fetches the new bytes and validators once the image behind the URL changed', async () => {
      const first = await fetcher().fetch(versioned());
      imageVersion = 2;
      const second = await fetcher().fetchIfModified(versioned(), { etag: first.etag, lastModified: first.lastModified });
      expect(second).toMatchObject({ contentType: 'image/png', etag: '"v2"', lastModified: 'Fri, 02 Jan 2026 00:00:00 GMT' });
      expect((second as { bytes: Buffer }).bytes.equals(png)).toBe(true);
    });

    it('is a plain fetch without validators, and drops validators too long to send back', async () => {
      const image = await fetcher().fetchIfModified(`http://127.0.0.1:${allowed.port}/unusable-validators.jpg`, {});
      expect(image).toMatchObject({ contentType: 'image/jpeg' });
      expect(image).not.toHaveProperty('etag');
      await fetcher().fetchIfModified(versioned(), { etag: 'x'.repeat(300) });
      expect(conditionalHits).toEqual(['- - → 200']);
    });

    it('keeps the address checks on every redirect hop: a conditional fetch redirected to a private address is refused before contacting it', async () => {
      const to = encodeURIComponent(`http://127.0.0.1:${private_.port}/secret`);
      await expectFetchError(fetcher().fetchIfModified(`http://127.0.0.1:${allowed.port}/redirect?to=${to}`, { etag: '"v1"' }), 'refused_address');
      expect(hits).toEqual(['allowed /redirect?to=' + to]);
    });

    it('takes a 304 to an unconditional request as the host failing, not as "unchanged"', async () => {
      const error = await expectFetchError(fetcher().fetch(`http://127.0.0.1:${allowed.port}/always-304`), 'http_status', false);
      expect(error.status).toBe(304);
    });
  });

  it('stops after the redirect cap', async () => {
    await expectFetchError(fetcher({ maxRedirects: 2 }).fetch(`http://127.0.0.1:${allowed.port}/loop`), 'too_many_redirects', false);
    expect(hits).toHaveLength(3);
  });

  it('aborts a body over the byte cap', async () => {
    await expectFetchError(fetcher({ maxBytes: 50_000 }).fetch(`http://127.0.0.1:${allowed.port}/huge`), 'too_large', false);
  });

  it('refuses an image over the pixel cap', async () => {
    await expectFetchError(fetcher({ maxPixels: 1000 }).fetch(`http://127.0.0.1:${allowed.port}/a.jpg`), 'too_large');
  });

  it('gives up after the total time cap, as a retryable timeout', async () => {
    await expectFetchError(fetcher({ timeoutMs: 300 }).fetch(`http://127.0.0.1:${allowed.port}/slow`), 'timeout', true);
  });

  it('stops when the caller aborts', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expectFetchError(fetcher().fetch(`http://127.0.0.1:${allowed.port}/slow`, { signal: controller.signal }), 'aborted', false);
  });

  it('checks the bytes against the declared type', async () => {
    await expectFetchError(fetcher().fetch(`http://127.0.0.1:${allowed.port}/lying.png`), 'content_mismatch', false);
    await expectFetchError(fetcher().fetch(`http://127.0.0.1:${allowed.port}/page.html`), 'content_mismatch', false);
  });

  it('reports HTTP statuses, retryable for 5xx only', async () => {
    const missing = await expectFetchError(fetcher().fetch(`http://127.0.0.1:${allowed.port}/missing`), 'http_status', false);
    expect(missing.status).toBe(404);
    failuresBeforeSuccess = 1;
    const flaky = await expectFetchError(fetcher().fetch(`http://127.0.0.1:${allowed.port}/flaky`), 'http_status', true);
    expect(flaky.status).toBe(503);
  });

  it('reports a refused connection as a retryable network error', async () => {
    const closed = await listen(() => undefined);
    const port = closed.port;
    await new Promise((resolve) => closed.server.close(resolve));
    await expectFetchError(fetcher({ allowHosts: `127.0.0.1:${port}` }).fetch(`http://127.0.0.1:${port}/a.jpg`), 'network', true);
  });
});
