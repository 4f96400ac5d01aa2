import { describe, expect, it, vi } from 'vitest';
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
    '1.2.3.4::',
    '1:1.2.3.4::1',
    '::1.2.3.4:1',
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

describe('parseIpv6: zone ids', () => {
  /** ipRange.ts as imported now: its zone-id pattern is built when the module loads, so the test builds it while it runs. */
  async function freshIpRange() {
    vi.resetModules();
    return import('../../src/http/ipRange.js');
  }

  it('accepts a zone id of letters, digits, `.`, `:` and `-`, and ignores it', async () => {
    const fresh = await freshIpRange();
    for (const zone of ['eth0', 'en0.5', '1', 'a-b', 'A:b', 'x']) {
      expect(fresh.parseIpv6(`fe80::1%${zone}`), zone).toEqual([0xfe80, 0, 0, 0, 0, 0, 0, 1]);
    }
  });
  it('refuses an empty zone id, or one with any other character before, inside or after it', async () => {
    const fresh = await freshIpRange();
    for (const zone of ['', ' eth0', 'eth0 ', 'eth 0', 'eth/0', '/eth0', 'eth0/', 'é', 'eth0%1', '_']) {
      expect(fresh.parseIpv6(`fe80::1%${zone}`), zone).toBeUndefined();
      expect(fresh.parseClientAddress(`[fe80::1%${zone}]:80`), zone).toBeUndefined();
    }
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
  // Built inside each test, not when the file is collected: a fault in reading the list then fails the tests that
  // use it, where a collection error would fail none (and mutation testing would count the fault as unseen).
  let built: IpRangeSet | undefined;
  const listed = () => {
    built ??= new IpRangeSet(['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::1', '::ffff:172.16.0.0/108', '0.0.0.0/32'], 'allowList');
    return built;
  };

  it('matches IPv4 addresses and ranges', () => {
    expect(listed().has('10.255.0.1')).toBe(true);
    expect(listed().has('11.0.0.1')).toBe(false);
    expect(listed().has('192.168.1.7')).toBe(true);
    expect(listed().has('192.168.1.8')).toBe(false);
    expect(listed().has('0.0.0.0')).toBe(true);
    // A mapped entry is stored as IPv4: 172.16.0.0/12.
    expect(listed().has('172.31.255.255')).toBe(true);
    expect(listed().has('172.32.0.0')).toBe(false);
  });
  it('matches IPv4-mapped IPv6 addresses against IPv4 entries', () => {
    expect(listed().has('::ffff:10.1.2.3')).toBe(true);
    expect(listed().has('::FFFF:192.168.1.7')).toBe(true);
    expect(listed().has('::ffff:11.1.2.3')).toBe(false);
  });
  it('matches IPv6 addresses and ranges', () => {
    expect(listed().has('2001:db8:ffff::1')).toBe(true);
    expect(listed().has('2001:db9::1')).toBe(false);
    expect(listed().has('::1')).toBe(true);
    expect(listed().has('::2')).toBe(false);
  });
  it('reads client addresses as the key does: with a port, in brackets, with a zone', () => {
    expect(listed().has('10.1.2.3:50001')).toBe(true);
    expect(listed().has('[::ffff:10.1.2.3]:443')).toBe(true);
    expect(listed().has('::ffff:a01:203')).toBe(true);
    expect(listed().has('[2001:db8:ffff::1]:443')).toBe(true);
    expect(listed().has('[::1]')).toBe(true);
    expect(listed().has('::1%lo')).toBe(true);
    expect(listed().has('11.1.2.3:50001')).toBe(false);
    expect(listed().has('10.1.2.3:99999')).toBe(false);
  });
  it('refuses a bracketed address followed by anything but a port, and a port of more than five characters', () => {
    for (const ip of ['[::1]x80', '[::1]-1', '[::ffff:10.1.2.3]x443', '10.1.2.3:000080', '[::1]:000080', '[::1]:123456']) {
      expect(listed().has(ip), ip).toBe(false);
    }
    // A port is digits only: a character above '9' or below '0' anywhere in it (which arithmetic alone would accept).
    for (const ip of ['10.1.2.3:80a', '10.1.2.3:8/', '10.1.2.3:+80', '10.1.2.3: 80', '[::1]:8a', '[::1]:44.3']) {
      expect(listed().has(ip), ip).toBe(false);
    }
    expect(listed().has('[::1]:00080')).toBe(true);
    expect(listed().has('10.1.2.3:00080')).toBe(true);
  });
  it('treats anything unparsable as not listed', () => {
    expect(listed().has('')).toBe(false);
    expect(listed().has('localhost')).toBe(false);
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
    // Ranges that are not addresses are refused as such; only an address with a port gets the port message.
    ['not-an-ip/8', /allowList\[0\].*must be an IP or a CIDR range/],
    ['[::1/64', /allowList\[0\].*must be an IP or a CIDR range/],
    ['10.0.0.0:80/8', /allowList\[0\].*is a CIDR range with a port/],
    ['[2001:db8::]:443/32', /allowList\[0\].*is a CIDR range with a port/],
    // Brackets come in pairs: one alone is not stripped (and what it leaves would parse as another address).
    ['[2001:db8::1/64', /allowList\[0\].*must be an IP or a CIDR range/],
    ['2001:db8::1]/64', /allowList\[0\].*must be an IP or a CIDR range/],
    ['10.0.0.256', /allowList\[0\]/],
  ])('rejects %j naming the entry', (entry, message) => {
    expect(() => new IpRangeSet([entry], 'allowList')).toThrow(SluiceConfigError);
    expect(() => new IpRangeSet([entry], 'allowList')).toThrow(message);
  });
  it('rejects a non-string entry', () => {
    expect(() => new IpRangeSet(['10.0.0.1', 7 as unknown as string], 'allowList')).toThrow(
      /`allowList\[1\]` must be an IP or a CIDR range such as '10\.0\.0\.0\/8'/,
    );
  });
  it('reads an entry with whitespace around the address or the prefix length', () => {
    const spaced = new IpRangeSet([' 10.0.0.0 / 8 ', '\t192.168.1.7\t', '2001:db8:: /32', ' ::1 ', '::ffff:172.16.0.0/ 108'], 'allowList');
    expect(
      ['10.9.9.9', '11.0.0.1', '192.168.1.7', '2001:db8:9::1', '2001:db9::1', '::1', '172.17.0.1', '172.32.0.1'].map((ip) =>
        spaced.has(ip),
      ),
    ).toEqual([true, false, true, true, false, true, true, false]);
  });
  it('keeps an IPv4-mapped entry below /96 as an IPv6 range, which holds the neighbouring IPv6 addresses', () => {
    // ::fffe:0:0/95 holds ::fffe:* and ::ffff:*; as IPv4 it would be a meaningless mask.
    const below = new IpRangeSet(['::ffff:10.0.0.0/95'], 'allowList');
    expect(['::fffe:1:2', '::fffe:ffff:ffff', '::fffd:1:2', '2001:db8::1'].map((ip) => below.has(ip))).toEqual([true, true, false, false]);
    const at80 = new IpRangeSet(['::ffff:10.0.0.0/80'], 'allowList');
    expect(['::1:2:3', '::1', '0:0:0:0:1::'].map((ip) => at80.has(ip))).toEqual([true, true, false]);
  });
  it.each([
    ['10.0.0.0/-1', 32],
    ['10.0.0.0/8.0', 32],
    ['10.0.0.0/0x8', 32],
    ['10.0.0.0/0008', 32],
    ['10.0.0.0/', 32],
    ['10.0.0.0/NaN', 32],
    ['::/-0', 128],
    ['::/1e2', 128],
    ['::/', 128],
  ])('rejects the prefix length of %j, naming the range of whole numbers', (entry, max) => {
    expect(() => new IpRangeSet([entry], 'allowList')).toThrow(`has a prefix length that is not a whole number from 0 to ${max}`);
  });
  it('accepts every prefix length from 0 to the address size, and none beyond', () => {
    for (let prefix = 0; prefix <= 32; prefix++) expect(() => new IpRangeSet([`10.0.0.0/${prefix}`], 'allowList')).not.toThrow();
    for (let prefix = 0; prefix <= 128; prefix++) expect(() => new IpRangeSet([`2001:db8::/${prefix}`], 'allowList')).not.toThrow();
    expect(() => new IpRangeSet(['10.0.0.0/33'], 'allowList')).toThrow(/prefix length/);
    expect(() => new IpRangeSet(['2001:db8::/129'], 'allowList')).toThrow(/prefix length/);
    expect(new IpRangeSet(['10.0.0.0/032'], 'allowList').has('10.0.0.0')).toBe(true);
  });
});
