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
});
