/**
 * Fetches product and query images from untrusted URLs without becoming an SSRF proxy:
 * http(s) only, DNS resolved here and every resolved address checked (again after every
 * redirect, followed by hand), the connection pinned to the checked address (no DNS
 * rebinding), and caps on bytes, pixels, redirects and total time. The body must be a
 * JPEG, PNG, WebP or GIF and agree with the declared content type. A conditional fetch
 * (`fetchIfModified`) sends the validators the host gave before (`If-None-Match`,
 * `If-Modified-Since`) on every hop, under the same address checks and limits; a 304 is
 * "unchanged" and nothing is downloaded.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { inSpan, SpanKind } from '@vsearch/observability';
import { AddressAllowList, isMetadataHostname, refusedAddressReason } from './address-policy';
import { ImageFetchError, isRetryableStatus } from './errors';
import { sniffImageDimensions, sniffImageType, type ImageContentType } from './image-sniff';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export type HostResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface SafeImageFetcherOptions {
  /**
   * `host[:port]`, CIDR or `http(s)://host[:port]/path/` entries (`IMAGE_FETCH_ALLOW_HOSTS`) that may be
   * reached although private or loopback; a path entry allows only URLs under that path (checked on every redirect hop).
   */
  allowHosts?: string | readonly string[];
  /** Largest body accepted, in bytes (default 15 MiB). */
  maxBytes?: number;
  /** Largest image accepted, in pixels (width × height from the header; default 40 MP). */
  maxPixels?: number;
  /** Time for the whole fetch including redirects, in ms (default 10 s). */
  timeoutMs?: number;
  /** Redirects followed at most (default 3). */
  maxRedirects?: number;
  /** DNS resolution; defaults to the system resolver (all addresses). Tests inject names. */
  resolve?: HostResolver;
  /** Sockets kept per image host (default 16). */
  maxSocketsPerHost?: number;
  userAgent?: string;
}

export interface FetchedImage {
  bytes: Buffer;
  /** The type found in the bytes (magic numbers), not merely the declared header. */
  contentType: ImageContentType;
  /** The URL the bytes came from, after redirects. */
  finalUrl: string;
  width?: number;
  height?: number;
  /** The host's `ETag` for these bytes, when it gave a usable one (printable ASCII, at most 256 characters). */
  etag?: string;
  /** The host's `Last-Modified` for these bytes, when it gave a usable one. */
  lastModified?: string;
}

/** Validators a host gave for bytes fetched before, to ask whether they changed. */
export interface ImageValidators {
  etag?: string;
  lastModified?: string;
}

/** The host answered 304 Not Modified to a conditional fetch: the bytes are those the validators name. */
export interface ImageNotModified {
  notModified: true;
  /** The URL that answered, after redirects. */
  finalUrl: string;
}

/** Header values we send back: what a host gave, if it is printable ASCII and not absurdly long. */
const USABLE_VALIDATOR = /^[\x20-\x7e]{1,256}$/;

const DEFAULTS = {
  maxBytes: 15 * 1024 * 1024,
  maxPixels: 40_000_000,
  timeoutMs: 10_000,
  maxRedirects: 3,
  maxSocketsPerHost: 16,
  userAgent: 'vsearch-image-fetch/1.0',
};

const NEUTRAL_CONTENT_TYPES = new Set(['', 'application/octet-stream', 'binary/octet-stream']);
const CONTENT_TYPE_ALIASES: Record<string, ImageContentType> = { 'image/jpg': 'image/jpeg', 'image/pjpeg': 'image/jpeg', 'image/x-png': 'image/png' };

const systemResolver: HostResolver = async (hostname) => {
  const answers = await dnsLookup(hostname, { all: true, verbatim: true });
  return answers.map((answer) => ({ address: answer.address, family: answer.family === 6 ? 6 : 4 }));
};

type HopResult = { kind: 'redirect'; location: string } | { kind: 'image'; image: FetchedImage } | { kind: 'not_modified'; finalUrl: string };

export class SafeImageFetcher {
  private readonly allowList: AddressAllowList;
  private readonly options: typeof DEFAULTS;
  private readonly resolve: HostResolver;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(options: SafeImageFetcherOptions = {}) {
    this.allowList = AddressAllowList.parse(options.allowHosts);
    this.options = {
      maxBytes: options.maxBytes ?? DEFAULTS.maxBytes,
      maxPixels: options.maxPixels ?? DEFAULTS.maxPixels,
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      maxRedirects: options.maxRedirects ?? DEFAULTS.maxRedirects,
      maxSocketsPerHost: options.maxSocketsPerHost ?? DEFAULTS.maxSocketsPerHost,
      userAgent: options.userAgent ?? DEFAULTS.userAgent,
    };
    this.resolve = options.resolve ?? systemResolver;
    const agentOptions = { keepAlive: true, maxSockets: this.options.maxSocketsPerHost, maxFreeSockets: 4, timeout: this.options.timeoutMs };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
  }

  /**
   * Fetches one image; throws `ImageFetchError` with a code and a `retryable` flag. The fetch is
   * a CLIENT span (the URL without its query, which may hold a signature); no trace context is
   * sent to image hosts: they are outside the platform.
   */
  async fetch(url: string, options: { signal?: AbortSignal } = {}): Promise<FetchedImage> {
    const result = await this.fetchTraced(url, {}, options.signal);
    if ('notModified' in result) throw new ImageFetchError('http_status', 'image host answered 304 to an unconditional request', url, { status: 304 });
    return result;
  }

  /**
   * Fetches one image unless the host says it is unchanged since the validators were given
   * (a 304 to `If-None-Match` / `If-Modified-Since`); without usable validators this is `fetch`.
   */
  async fetchIfModified(url: string, validators: ImageValidators, options: { signal?: AbortSignal } = {}): Promise<FetchedImage | ImageNotModified> {
    return this.fetchTraced(url, validators, options.signal);
  }

  private fetchTraced(url: string, validators: ImageValidators, callerSignal: AbortSignal | undefined): Promise<FetchedImage | ImageNotModified> {
    return inSpan('GET', { kind: SpanKind.CLIENT, attributes: imageRequestAttributes(url) }, () => this.fetchFollowingRedirects(url, validators, callerSignal));
  }

  private async fetchFollowingRedirects(
    url: string,
    validators: ImageValidators,
    callerSignal: AbortSignal | undefined,
  ): Promise<FetchedImage | ImageNotModified> {
    const conditions = conditionalHeaders(validators);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.options.timeoutMs);
    const signal = callerSignal ? AbortSignal.any([deadline.signal, callerSignal]) : deadline.signal;
    try {
      let current = url;
      for (let redirects = 0; ; redirects++) {
        const result = await this.fetchHop(current, conditions, signal, () => deadline.signal.aborted);
        if (result.kind === 'image') return result.image;
        if (result.kind === 'not_modified') return { notModified: true, finalUrl: result.finalUrl };
        if (redirects >= this.options.maxRedirects) {
          throw new ImageFetchError('too_many_redirects', `more than ${this.options.maxRedirects} redirects`, url);
        }
        current = result.location;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** Releases kept-alive sockets. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async fetchHop(rawUrl: string, conditions: Record<string, string>, signal: AbortSignal, timedOut: () => boolean): Promise<HopResult> {
    const url = parseUrl(rawUrl);
    const target = await this.checkedTarget(url, rawUrl);
    if (signal.aborted) throw abortError(rawUrl, timedOut());
    const isHttps = url.protocol === 'https:';
    const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
      if ((lookupOptions as { all?: boolean }).all) {
        (callback as unknown as (error: null, addresses: ResolvedAddress[]) => void)(null, [target]);
      } else {
        callback(null, target.address, target.family);
      }
    };
    return new Promise<HopResult>((resolve, reject) => {
      const request = (isHttps ? https : http).request(
        {
          protocol: url.protocol,
          host: target.hostname,
          port: target.port,
          path: `${url.pathname}${url.search}`,
          method: 'GET',
          agent: isHttps ? this.httpsAgent : this.httpAgent,
          lookup: pinned,
          signal,
          headers: { 'user-agent': this.options.userAgent, accept: 'image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1', ...conditions },
        },
        (response) => {
          this.readResponse(response, url, rawUrl, Object.keys(conditions).length > 0).then(resolve, (error: unknown) => {
            response.destroy();
            if (error instanceof ImageFetchError) reject(error);
            else if (signal.aborted) reject(abortError(rawUrl, timedOut()));
            else reject(new ImageFetchError('network', `reading the body failed: ${(error as Error).message}`, rawUrl, { cause: error }));
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        if (signal.aborted || error.name === 'AbortError') reject(abortError(rawUrl, timedOut()));
        else if (error instanceof ImageFetchError) reject(error);
        else reject(new ImageFetchError('network', `${error.code ?? 'error'}: ${error.message}`, rawUrl, { cause: error }));
      });
      request.end();
    });
  }

  private async checkedTarget(url: URL, rawUrl: string): Promise<{ hostname: string; port: number } & ResolvedAddress> {
    const hostname = url.hostname.replace(/^\[|\]$/g, '');
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
    const literalFamily = isIP(hostname);
    let addresses: ResolvedAddress[];
    if (literalFamily !== 0) {
      addresses = [{ address: hostname, family: literalFamily as 4 | 6 }];
    } else {
      if (isMetadataHostname(hostname) && !this.allowList.allows(hostname, port, undefined, url)) {
        throw new ImageFetchError('refused_address', `refused: ${hostname} is a cloud metadata host`, rawUrl);
      }
      try {
        addresses = await this.resolve(hostname);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        throw new ImageFetchError('network', `cannot resolve ${hostname}: ${code ?? (error as Error).message}`, rawUrl, {
          retryable: code !== 'ENOTFOUND',
          cause: error,
        });
      }
      if (addresses.length === 0) throw new ImageFetchError('network', `cannot resolve ${hostname}: no addresses`, rawUrl, { retryable: false });
    }
    // Every answer is checked: a name that resolves to one public and one private address is refused.
    for (const candidate of addresses) {
      if (this.allowList.allows(hostname, port, candidate.address, url)) continue;
      const reason = refusedAddressReason(candidate.address);
      if (reason !== null) {
        throw new ImageFetchError('refused_address', `refused: ${hostname} resolves to ${candidate.address} (${reason})`, rawUrl);
      }
    }
    return { hostname, port, ...addresses[0] };
  }

  private async readResponse(response: IncomingMessage, url: URL, rawUrl: string, conditional: boolean): Promise<HopResult> {
    const status = response.statusCode ?? 0;
    if (status === 304 && conditional) {
      response.resume();
      return { kind: 'not_modified', finalUrl: url.toString() };
    }
    if (status >= 300 && status < 400 && status !== 304) {
      response.resume();
      const location = response.headers.location;
      if (!location) throw new ImageFetchError('http_status', `redirect ${status} without a Location`, rawUrl, { status, retryable: false });
      return { kind: 'redirect', location: new URL(location, url).toString() };
    }
    if (status < 200 || status >= 300) {
      response.resume();
      throw new ImageFetchError('http_status', `image host answered ${status}`, rawUrl, { status, retryable: isRetryableStatus(status) });
    }
    const declaredLength = Number(response.headers['content-length']);
    if (Number.isFinite(declaredLength) && declaredLength > this.options.maxBytes) {
      throw new ImageFetchError('too_large', `image is ${declaredLength} bytes, more than ${this.options.maxBytes}`, rawUrl);
    }
    const declaredType = (response.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const chunks: Buffer[] = [];
    let received = 0;
    for await (const chunk of response as AsyncIterable<Buffer>) {
      received += chunk.length;
      if (received > this.options.maxBytes) {
        throw new ImageFetchError('too_large', `image is more than ${this.options.maxBytes} bytes`, rawUrl);
      }
      chunks.push(chunk);
    }
    const bytes = Buffer.concat(chunks, received);
    const contentType = sniffImageType(bytes);
    if (contentType === null) {
      throw new ImageFetchError('content_mismatch', `body is not a JPEG, PNG, WebP or GIF image (declared "${declaredType || 'none'}")`, rawUrl);
    }
    const declared = CONTENT_TYPE_ALIASES[declaredType] ?? declaredType;
    if (!NEUTRAL_CONTENT_TYPES.has(declared) && declared !== contentType) {
      throw new ImageFetchError('content_mismatch', `declared ${declaredType} but the bytes are ${contentType}`, rawUrl);
    }
    const dimensions = sniffImageDimensions(bytes, contentType);
    if (dimensions && dimensions.width * dimensions.height > this.options.maxPixels) {
      throw new ImageFetchError('too_large', `image is ${dimensions.width}x${dimensions.height} pixels, more than ${this.options.maxPixels}`, rawUrl);
    }
    const etag = usableValidator(response.headers.etag);
    const lastModified = usableValidator(response.headers['last-modified']);
    return {
      kind: 'image',
      image: { bytes, contentType, finalUrl: url.toString(), ...(dimensions ?? {}), ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) },
    };
  }
}

function usableValidator(value: string | undefined): string | undefined {
  return value !== undefined && USABLE_VALIDATOR.test(value) ? value : undefined;
}

function conditionalHeaders(validators: ImageValidators): Record<string, string> {
  const etag = usableValidator(validators.etag);
  const lastModified = usableValidator(validators.lastModified);
  return { ...(etag ? { 'if-none-match': etag } : {}), ...(lastModified ? { 'if-modified-since': lastModified } : {}) };
}

function parseUrl(rawUrl: string): URL {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw new ImageFetchError('bad_url', 'not a valid URL', rawUrl);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ImageFetchError('bad_scheme', `scheme ${url.protocol} is not allowed (http and https only)`, rawUrl);
  }
  if (url.username || url.password) throw new ImageFetchError('bad_url', 'URLs with credentials are not fetched', rawUrl);
  return url;
}

function abortError(url: string, timedOut: boolean): ImageFetchError {
  return timedOut
    ? new ImageFetchError('timeout', 'image fetch timed out', url)
    : new ImageFetchError('aborted', 'image fetch aborted', url, { retryable: false });
}

/** Span attributes of an image request: method, host and path (never the query string). */
function imageRequestAttributes(rawUrl: string): Record<string, string | number> {
  try {
    const url = new URL(rawUrl);
    return { 'http.request.method': 'GET', 'server.address': url.hostname, 'url.scheme': url.protocol.replace(':', ''), 'url.path': url.pathname };
  } catch {
    return { 'http.request.method': 'GET' };
  }
}
