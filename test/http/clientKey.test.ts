import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SluiceArgumentError } from '../../src/errors.js';
import { clientKey } from '../../src/http/clientKey.js';
import { mappedIpv4, parseIpv6 } from '../../src/http/ipRange.js';

describe('clientKey', () => {
  it('passes IPv4 through untouched', () => {
    expect(clientKey('203.0.113.7', 56)).toBe('203.0.113.7');
  });
  it('unwraps IPv4-mapped IPv6', () => {
    expect(clientKey('::ffff:203.0.113.7', 56)).toBe('203.0.113.7');
  });
  it('unwraps an IPv4-mapped address by its short path exactly as the IPv6 parse does', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 255 }).map(String), fc.constantFrom('00', '01', '256', '999', ''));
    fc.assert(
      fc.property(fc.tuple(octet, octet, octet, octet), (octets) => {
        const ip = `::ffff:${octets.join('.')}`;
        const groups = parseIpv6(ip);
        const parsed = groups === undefined ? ip : (mappedIpv4(groups) ?? ip);
        expect(clientKey(ip, 56)).toBe(parsed);
      }),
      { numRuns: 2000 },
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
  it('refuses a request without an IP rather than sharing one bucket', () => {
    expect(() => clientKey(undefined, 56)).toThrow(SluiceArgumentError);
    expect(() => clientKey('', 56)).toThrow(/req\.ip.*pass a `key` function/);
  });
});
