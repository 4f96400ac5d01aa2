import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientKey } from '../../src/http/clientKey.js';
import { formatIpv4, ipv6Network, mappedIpv4, parseIpv4, parseIpv6 } from '../../src/http/ipRange.js';
import { propertyRuns } from '../setup/propertyRuns.js';

const ipv4 = fc.integer({ min: 0, max: 0xffffffff });
const port = fc.integer({ min: 0, max: 65535 });
const group = fc.integer({ min: 0, max: 0xffff });
/** Eight IPv6 groups that are not an IPv4-mapped address. */
const ipv6Groups = fc.array(group, { minLength: 8, maxLength: 8 }).filter((groups) => mappedIpv4(groups) === undefined);

/** One group as a proxy may write it: any case, with or without leading zeros. */
function spellGroup(value: number, upper: boolean, padded: boolean): string {
  const hex = value.toString(16);
  const text = padded ? hex.padStart(4, '0') : hex;
  return upper ? text.toUpperCase() : text;
}

/** IPv6 groups in one of their spellings: full, or with the longest run of zero groups (or any run) as `::`. */
const ipv6Spelling = (groups: readonly number[]) =>
  fc
    .record({ upper: fc.boolean(), padded: fc.boolean(), cut: fc.option(fc.tuple(fc.nat(7), fc.nat(8)), { nil: undefined }) })
    .map(({ upper, padded, cut }) => {
      const parts = groups.map((value) => spellGroup(value, upper, padded));
      if (cut === undefined) return parts.join(':');
      // `::` may stand for any run of one or more zero groups.
      const [start, length] = cut;
      let end = start;
      while (end < 8 && end - start < length && groups[end] === 0) end++;
      if (end === start) return parts.join(':');
      return `${parts.slice(0, start).join(':')}::${parts.slice(end).join(':')}`;
    });

/** The IPv4-mapped spellings of an IPv4 address. */
const mappedSpelling = (value: number) =>
  fc.constantFrom(
    `::ffff:${formatIpv4(value)}`,
    `::FFFF:${formatIpv4(value)}`,
    `0:0:0:0:0:ffff:${formatIpv4(value)}`,
    `0000:0000:0000:0000:0000:FFFF:${formatIpv4(value)}`,
    `::ffff:${(value >>> 16).toString(16)}:${(value & 0xffff).toString(16)}`,
    `::ffff:${(value >>> 16).toString(16).padStart(4, '0').toUpperCase()}:${(value & 0xffff).toString(16).padStart(4, '0')}`,
  );

describe('clientKey', () => {
  it('passes IPv4 through untouched', () => {
    expect(clientKey('203.0.113.7', 56)).toBe('203.0.113.7');
  });
  it('unwraps IPv4-mapped IPv6', () => {
    expect(clientKey('::ffff:203.0.113.7', 56)).toBe('203.0.113.7');
  });
  it('unwraps only what starts with `::ffff:`: a dotted quad after any other seven characters is not the client', () => {
    expect(clientKey('unknown1.2.3.4', 56)).toBeUndefined();
    expect(clientKey('::fffe:1.2.3.4', false)).toBe('0:0:0:0:0:fffe:102:304');
    expect(clientKey('::fffe:1.2.3.4', 56)).toBe(clientKey('::fffe:102:304', 56));
  });
  it('unwraps an IPv4-mapped address by its short path exactly as the IPv6 parse does', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom('00', '01', '256', '999', ''));
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), (octets) => {
        const ip = `::ffff:${octets.join('.')}`;
        const groups = parseIpv6(ip);
        expect(clientKey(ip, 56)).toBe(groups === undefined ? undefined : mappedIpv4(groups));
      }),
      { numRuns: propertyRuns(2000) },
    );
  });
  it('groups IPv6 by /56 so one host cannot rotate through its /64s', () => {
    const a = clientKey('2001:db8:aa:bb01::1', 56);
    expect(a).toBe('2001:db8:aa:bb00::/56');
    expect(clientKey('2001:db8:aa:bbff:ffff:ffff:ffff:ffff', 56)).toBe(a);
    expect(clientKey('2001:0DB8:00aa:bb00:0::9', 56)).toBe(a);
    expect(clientKey('2001:db8:aa:bc00::1', 56)).not.toBe(a);
  });
  it('honours another subnet, or none', () => {
    expect(clientKey('2001:db8:aa:bb01::1', 64)).toBe('2001:db8:aa:bb01::/64');
    expect(clientKey('2001:db8:aa:bb01::1', false)).toBe('2001:db8:aa:bb01:0:0:0:1');
    expect(clientKey('2001:db8:aa:bb01::1', false)).not.toBe(clientKey('2001:db8:aa:bb01::2', false));
  });
  it('has no key for a request without an IP', () => {
    expect(clientKey(undefined, 56)).toBeUndefined();
    expect(clientKey('', 56)).toBeUndefined();
  });

  it.each([
    ['203.0.113.7:50001', '203.0.113.7'],
    ['203.0.113.7:0', '203.0.113.7'],
    ['[2001:db8:1:2::7]:443', '2001:db8:1:0::/56'],
    ['[2001:db8:1:2::7]', '2001:db8:1:0::/56'],
    ['[fe80::1%eth0]:8080', 'fe80:0:0:0::/56'],
    ['fe80::1%eth0', 'fe80:0:0:0::/56'],
    ['::ffff:203.0.113.7:50001', '203.0.113.7'],
    ['[::ffff:203.0.113.7]:50001', '203.0.113.7'],
    ['::ffff:cb00:7107', '203.0.113.7'],
    ['::FFFF:CB00:7107', '203.0.113.7'],
    ['[203.0.113.7]:80', '203.0.113.7'],
    [' 203.0.113.7 ', '203.0.113.7'],
  ])('keys %j as %j', (ip, key) => {
    expect(clientKey(ip, 56)).toBe(key);
  });

  it.each([
    'unknown',
    'localhost',
    '_hidden',
    '203.0.113.7, 198.51.100.1',
    '203.0.113.7:',
    '203.0.113.7:65536',
    '203.0.113.7:123456',
    '203.0.113.7:50x',
    '203.0.113',
    '010.0.0.1',
    '203.0.113.7.',
    '[2001:db8::1',
    '[2001:db8::1]x',
    '[2001:db8::1]:',
    '[2001:db8::1]:99999',
    '2001:db8::1]',
    'fe80::1%',
    'fe80::1%eth0%1',
    '[]',
    ':80',
    '::ffff:203.0.113.7.1',
    '[2001:db8::1]x80',
    '[2001:db8::1]-80',
    '[::ffff:203.0.113.7]x80',
    '203.0.113.7:000080',
    '[2001:db8::1]:000443',
    '::ffff:203.0.113.7:000080',
    '1.2.3.4::',
    '1:1.2.3.4::1',
  ])('has no key for %j, which is not an address', (ip) => {
    expect(clientKey(ip, 56)).toBeUndefined();
  });

  it('gives an IPv4 address one key in every form: with a port, mapped in any spelling, bracketed', () => {
    fc.assert(
      fc.property(
        ipv4.chain((value) => fc.tuple(fc.constant(value), mappedSpelling(value), port)),
        ([value, mapped, p]) => {
          const expected = formatIpv4(value);
          for (const form of [expected, `${expected}:${p}`, mapped, `[${mapped}]`, `[${mapped}]:${p}`, `[${expected}]:${p}`]) {
            expect(clientKey(form, 56)).toBe(expected);
            expect(clientKey(form, false)).toBe(expected);
          }
          if (mapped.endsWith(expected)) expect(clientKey(`${mapped}:${p}`, 56)).toBe(expected);
        },
      ),
      { numRuns: propertyRuns(1000) },
    );
  });

  it('gives an IPv6 address one key in every spelling, with a zone, in brackets, with a port; grouped by its subnet', () => {
    fc.assert(
      fc.property(
        ipv6Groups.chain((groups) =>
          fc.tuple(fc.constant(groups), ipv6Spelling(groups), port, fc.constantFrom('', '%eth0', '%1', '%en0.5')),
        ),
        fc.constantFrom<number | false>(56, 64, 48, 1, 128, false),
        ([groups, spelling, p, zone], subnet) => {
          const expected = ipv6Network(groups, subnet === false ? 128 : subnet);
          expect(parseIpv6(spelling)).toEqual(groups);
          for (const form of [spelling, `${spelling}${zone}`, `[${spelling}${zone}]`, `[${spelling}${zone}]:${p}`]) {
            expect(clientKey(form, subnet)).toBe(expected);
          }
        },
      ),
      { numRuns: propertyRuns(1000) },
    );
  });

  it('gives two IPv6 addresses the same key exactly when they are in one /56', () => {
    const hex = (groups: readonly number[]) => groups.map((g) => g.toString(16)).join(':');
    fc.assert(
      fc.property(ipv6Groups, ipv6Groups, fc.boolean(), (a, other, near) => {
        // Near: the first 56 bits of `a`, the rest of `other`.
        const b = near ? [a[0], a[1], a[2], ((a[3] as number) & 0xff00) | ((other[3] as number) & 0xff), ...other.slice(4)] : other;
        fc.pre(mappedIpv4(b as number[]) === undefined);
        const same = a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && (a[3] as number) >>> 8 === (b[3] as number) >>> 8;
        expect(clientKey(`[${hex(a)}]:443`, 56) === clientKey(hex(b as number[]), 56)).toBe(same);
      }),
      { numRuns: propertyRuns(1000) },
    );
  });

  it('accepts exactly what Node accepts as an IP address, where no port or brackets are involved', () => {
    const alphabet = fc.constantFrom(...'0123456789abcdefABCDEF.:%z'.split(''));
    const mutated = fc
      .tuple(
        fc.oneof(ipv4.map(formatIpv4), ipv6Groups.chain(ipv6Spelling), ipv4.chain(mappedSpelling)),
        fc.array(fc.tuple(fc.nat(40), fc.constantFrom('insert', 'delete', 'replace'), alphabet), { maxLength: 2 }),
      )
      .map(([text, edits]) => {
        for (const [at, kind, char] of edits) {
          const i = at % (text.length + 1);
          text =
            kind === 'insert'
              ? text.slice(0, i) + char + text.slice(i)
              : text.slice(0, i) + (kind === 'replace' ? char : '') + text.slice(i + 1);
        }
        return text;
      });
    fc.assert(
      fc.property(fc.oneof(mutated, fc.string({ unit: alphabet, maxLength: 20 })), (text) => {
        const dot = text.lastIndexOf('.');
        fc.pre(!(dot !== -1 && text.lastIndexOf(':') > dot));
        // A field that cannot be a group after a complete address is a port (five digits, or a ninth field).
        fc.pre(!/[^:]:\d{5}$/.test(text) && !(text.split(':').length === 9 && !text.includes('::')));
        expect(clientKey(text, 56) !== undefined).toBe(isIP(text) !== 0);
      }),
      { numRuns: propertyRuns(5000) },
    );
  });

  it('never turns a string into anything but a canonical address or network', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: fc.constantFrom(...'0123456789.:[]%ef '.split('')) })), (text) => {
        const key = clientKey(text, 56);
        if (key === undefined) return;
        const v4 = parseIpv4(key);
        if (v4 !== undefined) expect(formatIpv4(v4)).toBe(key);
        else expect(key).toMatch(/^([0-9a-f]{1,4}:){1,4}:\/56$/);
      }),
      { numRuns: propertyRuns(5000) },
    );
  });
});

describe('clientKey: an unbracketed IPv6 address with a port that cannot be a group', () => {
  it('drops a five-digit port and a ninth field, keying on the address alone', () => {
    expect(clientKey('2001:db8::7:40000', 56)).toBe(clientKey('2001:db8::7', 56));
    expect(clientKey('2001:db8::7:40000', false)).toBe(clientKey('2001:db8::7', false));
    expect(clientKey('2001:db8:1:2:3:4:5:6:443', false)).toBe(clientKey('2001:db8:1:2:3:4:5:6', false));
    expect(clientKey('2001:DB8:1:2:3:4:5:6:65535', 64)).toBe(clientKey('2001:db8:1:2::', 64));
  });

  it('still refuses what is no address with a port (a ninth field after `::`, a bad port, junk)', () => {
    for (const text of [
      '2001:db8:::40000',
      '2001:db8::7:99999',
      'abcd:40000',
      '1:2:3:4:5:6:7:8:9:443',
      '2001:db8::7:',
      // With `::`, a short last field may be a group: the address is then one group too long, not an address and a port.
      '1:2:3:4:5:6::8:443',
      '1::3:4:5:6:7:8:443',
      // Seven fields (an IPv4 tail) and two ports.
      '1:2:3:4:5:6:1.2.3.4:443:80',
      ':40000',
      ':443',
    ]) {
      expect(clientKey(text, 56), text).toBeUndefined();
    }
  });

  it('every eight groups with any port of five digits key as the groups (property)', () => {
    fc.assert(
      fc.property(ipv6Groups, fc.integer({ min: 10000, max: 65535 }), (groups, portNumber) => {
        const address = groups.map((value) => value.toString(16)).join(':');
        expect(clientKey(`${address}:${portNumber}`, false)).toBe(clientKey(address, false));
      }),
    );
  });
});
