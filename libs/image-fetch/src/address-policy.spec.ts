import { AddressAllowList, isMetadataHostname, refusedAddressReason } from './address-policy';

describe('refusedAddressReason', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['169.254.169.254', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fd00:ec2::254', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'linkLocal'],
    ['64:ff9b::7f00:1', 'rfc6052'],
  ])('refuses %s (%s)', (address, range) => {
    expect(refusedAddressReason(address)).toBe(`${range} address`);
  });

  it.each(['8.8.8.8', '151.101.1.1', '2607:f8b0:4005:80a::200e', '::ffff:8.8.8.8'])('accepts the public address %s', (address) => {
    expect(refusedAddressReason(address)).toBeNull();
  });

  it('refuses what is not an address', () => {
    expect(refusedAddressReason('example.com')).toBe('not an IP address');
  });
});

describe('isMetadataHostname', () => {
  it('knows the cloud metadata names', () => {
    expect(isMetadataHostname('metadata.google.internal')).toBe(true);
    expect(isMetadataHostname('METADATA.google.internal.')).toBe(true);
    expect(isMetadataHostname('images.example.com')).toBe(false);
  });
});

describe(AddressAllowList.name, () => {
  const list = AddressAllowList.parse('images.local:8080, 127.0.0.1:9000 ,10.0.0.0/8,[::1]:7000,cdn.internal');

  it('allows a listed host only on its listed port', () => {
    expect(list.allows('images.local', 8080)).toBe(true);
    expect(list.allows('images.local', 8081)).toBe(false);
    expect(list.allows('IMAGES.LOCAL', 8080)).toBe(true);
  });

  it('allows a host listed without a port on any port', () => {
    expect(list.allows('cdn.internal', 443)).toBe(true);
  });

  it('allows a listed IP by the resolved address too', () => {
    expect(list.allows('127.0.0.1', 9000)).toBe(true);
    expect(list.allows('some.name', 9000, '127.0.0.1')).toBe(true);
    expect(list.allows('some.name', 9001, '127.0.0.1')).toBe(false);
  });

  it('allows addresses inside a listed CIDR, also IPv4-mapped', () => {
    expect(list.allows('x', 80, '10.20.30.40')).toBe(true);
    expect(list.allows('x', 80, '::ffff:10.20.30.40')).toBe(true);
    expect(list.allows('x', 80, '11.0.0.1')).toBe(false);
  });

  it('parses bracketed IPv6 entries', () => {
    expect(list.allows('[::1]', 7000)).toBe(true);
    expect(list.allows('::1', 7000)).toBe(true);
    expect(list.allows('::1', 7001)).toBe(false);
  });

  it('is empty when nothing is configured', () => {
    expect(AddressAllowList.parse(undefined).isEmpty).toBe(true);
    expect(AddressAllowList.parse('').isEmpty).toBe(true);
  });

  it('rejects a malformed CIDR', () => {
    expect(() => AddressAllowList.parse('10.0.0.0/99')).toThrow(/CIDR/);
  });

  describe('path-limited entries (http://host:port/path/)', () => {
    const catalogOnly = AddressAllowList.parse('http://127.0.0.1:8080/catalog-images/');
    const at = (pathname: string, protocol = 'http:') => ({ protocol, pathname });

    it('allows only URLs under the path, on that scheme, host and port', () => {
      expect(catalogOnly.allows('127.0.0.1', 8080, '127.0.0.1', at('/catalog-images/p1/a.jpg'))).toBe(true);
      expect(catalogOnly.allows('127.0.0.1', 8080, '127.0.0.1', at('/metrics'))).toBe(false);
      expect(catalogOnly.allows('127.0.0.1', 8080, '127.0.0.1', at('/v1/search'))).toBe(false);
      expect(catalogOnly.allows('127.0.0.1', 8081, '127.0.0.1', at('/catalog-images/a.jpg'))).toBe(false);
      expect(catalogOnly.allows('127.0.0.1', 8080, '127.0.0.1', at('/catalog-images/a.jpg', 'https:'))).toBe(false);
    });

    it('matches on a segment boundary, with or without the trailing slash in the entry', () => {
      const withoutSlash = AddressAllowList.parse('http://127.0.0.1:8080/catalog-images');
      expect(withoutSlash.allows('127.0.0.1', 8080, undefined, at('/catalog-images/a.jpg'))).toBe(true);
      expect(withoutSlash.allows('127.0.0.1', 8080, undefined, at('/catalog-images-private/a.jpg'))).toBe(false);
      expect(withoutSlash.allows('127.0.0.1', 8080, undefined, at('/catalog-images'))).toBe(false);
    });

    it('refuses encoded separators under the prefix, and matches nothing when the path is not given', () => {
      expect(catalogOnly.allows('127.0.0.1', 8080, undefined, at('/catalog-images/..%2Fmetrics'))).toBe(false);
      expect(catalogOnly.allows('127.0.0.1', 8080, undefined, at('/catalog-images/..%5cmetrics'))).toBe(false);
      expect(catalogOnly.allows('127.0.0.1', 8080, '127.0.0.1')).toBe(false);
    });

    it('keeps the path case-sensitive and the host case-insensitive, by name or by the resolved IP', () => {
      const byName = AddressAllowList.parse('http://Images.Local:9000/Catalog/');
      expect(byName.allows('images.local', 9000, undefined, at('/Catalog/a.png'))).toBe(true);
      expect(byName.allows('images.local', 9000, undefined, at('/catalog/a.png'))).toBe(false);
      expect(catalogOnly.allows('localhost.test', 8080, '127.0.0.1', at('/catalog-images/a.png'))).toBe(true);
    });

    it('takes the scheme default port and bracketed IPv6 hosts', () => {
      expect(AddressAllowList.parse('https://cdn.internal/img/').allows('cdn.internal', 443, undefined, at('/img/a.jpg', 'https:'))).toBe(true);
      expect(AddressAllowList.parse('http://[::1]:7000/img/').allows('[::1]', 7000, undefined, at('/img/a.jpg'))).toBe(true);
    });

    it.each([
      ['ftp://127.0.0.1/images/', /not an http or https URL/],
      ['http://127.0.0.1:8080/', /allows every path/],
      ['http://127.0.0.1:8080/img/?x=1', /query or a fragment/],
      ['http://user:pw@127.0.0.1:8080/img/', /credentials/],
      ['http://127.0.0.1:8080/img%2f/', /encoded/],
      ['http://:8080/img/', /not a valid URL/],
    ])('rejects the entry %s with a message naming it', (entry, why) => {
      expect(() => AddressAllowList.parse(entry)).toThrow(why);
      expect(() => AddressAllowList.parse(entry)).toThrow(entry);
    });
  });
});
