import { describe, expect, it } from 'vitest';
import { SluiceConfigError } from '../../src/core/errors.js';
import { IpRangeSet, ipv6Network, mappedIpv4, parseIpv4, parseIpv6 } from '../../src/http/ipRange.js';

describe('parseIpv4', () => {
  it('parses dotted quads', () => {
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('1.2.3.4')).toBe(0x01020304);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
  });
  it.each(['', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1..2.3', '01.2.3.4', '1.2.3.4 ', 'a.b.c.d', '::1'])('rejects %j', (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });
});

describe('parseIpv6', () => {
  it('expands :: and reads an IPv4 tail and a zone', () => {
    expect(parseIpv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6('2001:DB8::8:800:200c:417a')).toEqual([0x2001, 0xdb8, 0, 0, 0x8, 0x800, 0x200c, 0x417a]);
    expect(parseIpv6('1:2:3:4:5:6:7:8')).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(parseIpv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIpv6('fe80::1%eth0')).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
  });
  it.each([
    '',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    'g::1',
    '1:2:3:4:5:6:7::8:9',
    '1.2.3.4',
    '::1.2.3',
    'fe80::1%',
    'fe80::1%a b',
  ])('rejects %j', (text) => {
    expect(parseIpv6(text)).toBeUndefined();
  });
});

describe('mappedIpv4 and ipv6Network', () => {
  it('unwraps only ::ffff:0:0/96', () => {
    expect(mappedIpv4(parseIpv6('::ffff:10.0.0.1') as number[])).toBe('10.0.0.1');
    expect(mappedIpv4(parseIpv6('::ffff:a00:1') as number[])).toBe('10.0.0.1');
    expect(mappedIpv4(parseIpv6('64:ff9b::10.0.0.1') as number[])).toBeUndefined();
    expect(mappedIpv4(parseIpv6('::1') as number[])).toBeUndefined();
  });
  it('masks to the prefix and prints one canonical form', () => {
    const groups = parseIpv6('2001:0db8:0001:02ff:aaaa:bbbb:cccc:dddd') as number[];
    expect(ipv6Network(groups, 56)).toBe('2001:db8:1:200::/56');
    expect(ipv6Network(groups, 64)).toBe('2001:db8:1:2ff::/64');
    expect(ipv6Network(groups, 48)).toBe('2001:db8:1::/48');
    expect(ipv6Network(groups, 1)).toBe('0::/1');
    expect(ipv6Network(groups, 128)).toBe('2001:db8:1:2ff:aaaa:bbbb:cccc:dddd');
  });
});

describe('IpRangeSet', () => {
  const set = new IpRangeSet(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '::ffff:172.16.0.0/108', '0.0.0.0/32'], 'allowList');

  it('matches IPv4 addresses and ranges', () => {
    expect(set.has('10.255.0.1')).toBe(true);
    expect(set.has('11.0.0.1')).toBe(false);
    expect(set.has('192.168.1.7')).toBe(true);
    expect(set.has('192.168.1.8')).toBe(false);
    expect(set.has('0.0.0.0')).toBe(true);
    // A mapped entry is stored as IPv4: 172.16.0.0/12.
    expect(set.has('172.31.255.255')).toBe(true);
    expect(set.has('172.32.0.0')).toBe(false);
  });
  it('matches IPv4-mapped IPv6 addresses against IPv4 entries', () => {
    expect(set.has('::ffff:10.1.2.3')).toBe(true);
    expect(set.has('::FFFF:192.168.1.7')).toBe(true);
    expect(set.has('::ffff:11.1.2.3')).toBe(false);
  });
  it('matches IPv6 addresses and ranges', () => {
    expect(set.has('2001:db8:ffff::1')).toBe(true);
    expect(set.has('2001:db9::1')).toBe(false);
    expect(set.has('::1')).toBe(true);
    expect(set.has('::2')).toBe(false);
  });
  it('reads client addresses as the key does: with a port, in brackets, with a zone', () => {
    expect(set.has('10.1.2.3:50001')).toBe(true);
    expect(set.has('[::ffff:10.1.2.3]:443')).toBe(true);
    expect(set.has('::ffff:a01:203')).toBe(true);
    expect(set.has('[2001:db8:ffff::1]:443')).toBe(true);
    expect(set.has('[::1]')).toBe(true);
    expect(set.has('::1%lo')).toBe(true);
    expect(set.has('11.1.2.3:50001')).toBe(false);
    expect(set.has('10.1.2.3:99999')).toBe(false);
  });
  it('treats anything unparsable as not listed', () => {
    expect(set.has('')).toBe(false);
    expect(set.has('localhost')).toBe(false);
  });
  it('matches everything with /0', () => {
    const all = new IpRangeSet(['0.0.0.0/0', '::/0'], 'allowList');
    expect(all.has('203.0.113.9')).toBe(true);
    expect(all.has('2001:db8::1')).toBe(true);
  });
  it.each([
    ['10.0.0.0/33', /allowList\[0\].*prefix length/],
    ['10.0.0.0/x', /allowList\[0\].*prefix length/],
    ['::/129', /allowList\[0\].*prefix length/],
    ['not-an-ip', /allowList\[0\].*must be an IP or a CIDR range/],
    ['10.0.0.256', /allowList\[0\]/],
  ])('rejects %j naming the entry', (entry, message) => {
    expect(() => new IpRangeSet([entry], 'allowList')).toThrow(SluiceConfigError);
    expect(() => new IpRangeSet([entry], 'allowList')).toThrow(message);
  });
  it('rejects a non-string entry', () => {
    expect(() => new IpRangeSet(['10.0.0.1', 7 as unknown as string], 'allowList')).toThrow(/allowList\[1\]/);
  });
});
