/**
 * Which network destinations an image URL may reach: refuses loopback, private (RFC 1918,
 * CGNAT, ULA), link-local, cloud metadata, multicast, unspecified and reserved addresses,
 * IPv4 hidden in IPv6 forms, unless an operator allow-lists the host (`host[:port]`), a CIDR,
 * or only a path of a host (`http://host:port/path/`: that scheme, host, port and path prefix).
 */
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/** Host names that point at cloud metadata services whatever they resolve to. */
const METADATA_HOSTNAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal']);

/** Returns why an IP address must not be contacted, or null when it is a public unicast address. */
export function refusedAddressReason(address: string): string | null {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  let parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    const v6 = parsed as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) parsed = v6.toIPv4Address();
  }
  const range = parsed.range();
  if (range === 'unicast') return null;
  return `${range} address`;
}

export function isMetadataHostname(hostname: string): boolean {
  return METADATA_HOSTNAMES.has(hostname.toLowerCase().replace(/\.$/, ''));
}

interface HostEntry {
  host: string;
  port?: number;
  /** Only URLs of this scheme whose path starts with `pathPrefix` (which ends with "/"). */
  only?: { protocol: string; pathPrefix: string };
}

/** Where a URL goes beyond its host: what a path-limited entry checks. */
export interface UrlLocation {
  /** `http:` or `https:`, as URL.protocol gives it. */
  protocol: string;
  /** URL.pathname: dot segments already resolved, percent-encoding kept. */
  pathname: string;
}

/** Encoded "/" and "\" are refused under a path-limited entry: a server that decodes them before routing would see another path. */
const ENCODED_SEPARATOR = /%2f|%5c/i;

/** Parsed `IMAGE_FETCH_ALLOW_HOSTS`: comma-separated `host[:port]`, `[v6]:port`, IPs, CIDRs and `http(s)://host[:port]/path/` prefixes. */
export class AddressAllowList {
  private readonly hosts: HostEntry[] = [];
  private readonly cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];

  constructor(entries: readonly string[] = []) {
    for (const raw of entries) {
      if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim())) {
        this.hosts.push(parseUrlEntry(raw));
        continue;
      }
      const entry = raw.trim().toLowerCase();
      if (!entry) continue;
      if (entry.includes('/')) {
        try {
          this.cidrs.push(ipaddr.parseCIDR(entry));
        } catch {
          throw new Error(`IMAGE_FETCH_ALLOW_HOSTS: "${raw}" is not a valid CIDR`);
        }
        continue;
      }
      const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
      if (bracketed) {
        this.hosts.push({ host: bracketed[1], port: bracketed[2] ? Number(bracketed[2]) : undefined });
        continue;
      }
      if (isIP(entry) === 6) {
        this.hosts.push({ host: entry });
        continue;
      }
      const match = /^([^:]+)(?::(\d+))?$/.exec(entry);
      if (!match) throw new Error(`IMAGE_FETCH_ALLOW_HOSTS: "${raw}" is not host[:port] or a CIDR`);
      this.hosts.push({ host: match[1], port: match[2] ? Number(match[2]) : undefined });
    }
  }

  static parse(value: string | readonly string[] | undefined): AddressAllowList {
    if (value === undefined) return new AddressAllowList();
    return new AddressAllowList(typeof value === 'string' ? value.split(',') : value);
  }

  get isEmpty(): boolean {
    return this.hosts.length === 0 && this.cidrs.length === 0;
  }

  /**
   * True when the URL's host name (or literal IP) and port are listed, or the resolved address lies
   * in a listed CIDR or IP. A path-limited entry matches only when `location` is given and its
   * scheme and path fall under the entry.
   */
  allows(hostname: string, port: number, resolvedAddress?: string, location?: UrlLocation): boolean {
    const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
    for (const entry of this.hosts) {
      const hostMatches = entry.host === host || (resolvedAddress !== undefined && isIP(entry.host) !== 0 && sameAddress(entry.host, resolvedAddress));
      if (hostMatches && (entry.port === undefined || entry.port === port) && withinPath(entry, location)) return true;
    }
    if (resolvedAddress !== undefined && ipaddr.isValid(resolvedAddress)) {
      const address = normalise(ipaddr.parse(resolvedAddress));
      for (const [range, bits] of this.cidrs) {
        if (address.kind() === range.kind() && address.match(range, bits)) return true;
      }
    }
    return false;
  }
}

function withinPath(entry: HostEntry, location: UrlLocation | undefined): boolean {
  if (!entry.only) return true;
  if (!location || location.protocol !== entry.only.protocol) return false;
  return location.pathname.startsWith(entry.only.pathPrefix) && !ENCODED_SEPARATOR.test(location.pathname);
}

/** `http(s)://host[:port]/path/`: the path is a prefix on a segment boundary (a trailing "/" is implied). */
function parseUrlEntry(raw: string): HostEntry {
  const problem = (why: string) => new Error(`IMAGE_FETCH_ALLOW_HOSTS: "${raw}" ${why}`);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw problem('is not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw problem('is not an http or https URL');
  if (url.username || url.password || url.search || url.hash) throw problem('may not have credentials, a query or a fragment');
  if (url.pathname === '/') throw problem('allows every path: list the host as host:port instead, or give the path prefix to allow');
  if (ENCODED_SEPARATOR.test(url.pathname)) throw problem('has an encoded "/" or "\\" in its path');
  return {
    host: url.hostname.toLowerCase().replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80,
    only: { protocol: url.protocol, pathPrefix: url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/` },
  };
}

function normalise(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) return (address as ipaddr.IPv6).toIPv4Address();
  return address;
}

function sameAddress(a: string, b: string): boolean {
  if (!ipaddr.isValid(a) || !ipaddr.isValid(b)) return false;
  return normalise(ipaddr.parse(a)).toString() === normalise(ipaddr.parse(b)).toString();
}
