import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IpRangeSet, ipv6Network, parseClientAddress } from '../../src/http/ipRange.js';
import { propertyRuns } from '../setup/propertyRuns.js';

/** An IPv6 address as a 128-bit BigInt, read by the reference code below (not by sluice). */
const toBig = (groups: readonly number[]) => groups.reduce((sum, group) => (sum << 16n) | BigInt(group), 0n);
const fromBig = (value: bigint) => Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
const text = (groups: readonly number[]) => groups.map((group) => group.toString(16)).join(':');
/** The reference: `address` is in `network`/`prefix` iff their top `prefix` bits agree. */
const inside = (address: bigint, network: bigint, prefix: number) =>
  prefix === 0 || address >> BigInt(128 - prefix) === network >> BigInt(128 - prefix);
/** Flips bit `bit` counted from the top (0 = the first bit of the first group). */
const flip = (value: bigint, bit: number) => value ^ (1n << BigInt(127 - bit));

// Not a v4-mapped address (those are stored as IPv4), with every group non-zero so each bit can be seen.
const groupsArb = fc.tuple(
  fc.integer({ min: 0x2000, max: 0x3fff }),
  ...Array.from({ length: 7 }, () => fc.integer({ min: 1, max: 0xffff })),
);

describe('IPv6 allow-list ranges whose prefix is not a multiple of 16', () => {
  it('/57, /63 and /127: the last bit inside the prefix matters, the first bit after it does not', () => {
    const base = parseClientAddress('2001:db8:abcd:12ff:ffff:ffff:ffff:ffff') as number[];
    for (const prefix of [57, 63, 127]) {
      const set = new IpRangeSet([`${text(base)}/${prefix}`], 'allowList');
      const value = toBig(base);
      expect(set.has(text(base))).toBe(true);
      expect(set.has(text(fromBig(flip(value, prefix - 1)))), `bit ${prefix - 1} of /${prefix}`).toBe(false);
      if (prefix < 128) expect(set.has(text(fromBig(flip(value, prefix)))), `bit ${prefix} of /${prefix}`).toBe(true);
      expect(set.has(text(fromBig(flip(value, 127)))), `last bit of /${prefix}`).toBe(prefix < 128);
    }
    const net57 = new IpRangeSet(['2001:db8:0:8000::/57'], 'allowList');
    expect(net57.has('2001:db8:0:807f:ffff:ffff:ffff:ffff')).toBe(true);
    expect(net57.has('2001:db8:0:8080::')).toBe(false);
    expect(net57.has('2001:db8:0:7fff:ffff:ffff:ffff:ffff')).toBe(false);
    const net63 = new IpRangeSet(['2001:db8:0:2::/63'], 'allowList');
    expect([
      net63.has('2001:db8:0:2::1'),
      net63.has('2001:db8:0:3:ffff::'),
      net63.has('2001:db8:0:4::'),
      net63.has('2001:db8:0:1::'),
    ]).toEqual([true, true, false, false]);
    const net127 = new IpRangeSet(['2001:db8::10/127'], 'allowList');
    expect(['2001:db8::f', '2001:db8::10', '2001:db8::11', '2001:db8::12'].map((ip) => net127.has(ip))).toEqual([false, true, true, false]);
  });

  it('agrees with the bitwise reference at every prefix length, on each side of the boundary', () => {
    fc.assert(
      fc.property(groupsArb, fc.integer({ min: 1, max: 128 }), fc.integer({ min: 0, max: 127 }), (groups, prefix, bit) => {
        const network = toBig(groups);
        const set = new IpRangeSet([`${text(groups)}/${prefix}`], 'allowList');
        const address = flip(network, bit);
        expect(set.has(text(fromBig(address)))).toBe(inside(address, network, prefix));
        expect(set.has(text(groups))).toBe(true);
      }),
      { numRuns: propertyRuns(3_000) },
    );
  });

  it('the IPv4-mapped range at /96 holds every IPv4 address, in either notation', () => {
    const set = new IpRangeSet(['::ffff:0.0.0.0/96'], 'allowList');
    expect(['0.0.0.0', '203.0.113.7', '255.255.255.255', '::ffff:203.0.113.7', '::ffff:cb00:7107'].map((ip) => set.has(ip))).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(set.has('2001:db8::1')).toBe(false);
  });

  it('IPv4-mapped ranges at /97 … /127 match the IPv4 addresses they hold', () => {
    const set = new IpRangeSet(['::ffff:10.20.128.0/113', '::ffff:192.0.2.6/127'], 'allowList');
    expect(
      ['10.20.128.0', '10.20.255.255', '10.20.127.255', '192.0.2.6', '192.0.2.7', '192.0.2.5', '192.0.2.8'].map((ip) => set.has(ip)),
    ).toEqual([true, true, false, true, true, false, false]);
  });
});

describe('IPv6 subnet keys (ipv6Network) at prefixes that are not a multiple of 16', () => {
  it('addresses share a key exactly when their top `prefix` bits agree', () => {
    fc.assert(
      fc.property(groupsArb, fc.integer({ min: 1, max: 127 }), fc.integer({ min: 0, max: 127 }), (groups, prefix, bit) => {
        const other = fromBig(flip(toBig(groups), bit));
        expect(ipv6Network(other, prefix) === ipv6Network(groups, prefix)).toBe(bit >= prefix);
      }),
      { numRuns: propertyRuns(3_000) },
    );
  });

  it('names the network canonically: /57 and /63 and /127', () => {
    const groups = parseClientAddress('2001:db8:abcd:12ff:ffff:ffff:ffff:ffff') as number[];
    expect(ipv6Network(groups, 57)).toBe('2001:db8:abcd:1280::/57');
    expect(ipv6Network(groups, 63)).toBe('2001:db8:abcd:12fe::/63');
    expect(ipv6Network(groups, 127)).toBe('2001:db8:abcd:12ff:ffff:ffff:ffff:fffe::/127');
  });
});
