/**
 * The `allowList` option read: which entries are addresses or ranges (matched against the client IP) and which are
 * keys (matched against the request's key), and what an address-like entry that is no valid address does.
 */
import { describe, expect, it, vi } from 'vitest';
import { FRAMEWORK_TARGETS } from './frameworkTargets.js';

/**
 * allowList.ts as imported now. Its pattern of address-like entries is built when the module loads: importing it
 * inside the test builds it while the test runs (mutation testing changes code only then).
 */
async function freshAllowList() {
  vi.resetModules();
  return import('../../src/http/allowList.js');
}

const ADDRESSES = [
  '10.0.0.1',
  '192.168.100.200',
  '10.0.0.0/8',
  '10.0.0.0/16',
  ' 10.0.0.1',
  '10.0.0.1 ',
  '\t10.0.0.0/8\t',
  '10.0.0.0 /8',
  '10.0.0.0/ 8',
  '2001:db8::1',
  '2001:DB8:0:0:0:0:0:1',
  '2001:db8::/32',
  ' 2001:db8::/32 ',
  '::1',
  '::',
  '::ffff:10.0.0.1',
  '::ffff:10.0.0.0/104',
  'FE80::1%eth0',
  'fe80::1%en0.5/64',
  'fe80::1%eth0 /64',
  // As a client IP is read: a port and brackets are dropped.
  '10.0.0.1:80',
  '10.0.0.1:8080',
  '[::1]',
  '[fe80::1]',
  '[2001:db8::1]:443',
  '[fe80::1%eth0]',
  '[::ffff:10.0.0.1]',
];

/** Address-like but no valid address or range: an error, never a key that silently allows nothing. */
const INVALID_ADDRESSES = [
  '10.0.0.300',
  '10.0.0',
  '10.0.0.1.',
  '10.0.0.0.',
  '1.',
  '10.0.0.0/',
  '10.0.0.0/33',
  '10.0.0.0/8/8',
  '2001:db8:::1',
  '2001:db8::/129',
  'fe80::1%',
  '[::1',
  '10.0.0.1:99999',
  'a:b:c',
];

const KEYS = [
  'api-key',
  '1234',
  'v1.2',
  'release-2.0',
  '1.2-beta',
  '10.0.0.1x',
  '10.0.0.1 primary',
  'x10.0.0.1',
  'user:42',
  'user:1:2',
  'tenant/10.0.0.1',
  '.1',
  'localhost',
];

describe('allowList: addresses and keys', () => {
  it('reads IPs and ranges as addresses: any case, a zone, a prefix, whitespace around the address or the prefix', async () => {
    const { isAddressEntry, readAllowList } = await freshAllowList();
    for (const entry of ADDRESSES) expect(isAddressEntry(entry), entry).toBe(true);
    const read = readAllowList(ADDRESSES, 'allowList');
    expect(read.keys).toBeUndefined();
    expect(read.ranges?.has('10.200.0.1')).toBe(true);
    expect(read.ranges?.has('2001:db8:ffff::1')).toBe(true);
    expect(read.ranges?.has('fe80::1')).toBe(true);
    expect(read.ranges?.has('11.0.0.1')).toBe(false);
  });

  it('refuses an entry that looks like an address but is none, naming it', async () => {
    const { isAddressEntry, readAllowList } = await freshAllowList();
    for (const entry of INVALID_ADDRESSES) {
      expect(isAddressEntry(entry), entry).toBe(true);
      expect(() => readAllowList(['api-key', entry], 'allowList'), entry).toThrow(/`allowList\[1\]`/);
    }
  });

  it('reads everything else as a key: numbers without dots, versions, addresses with a word around them', async () => {
    const { isAddressEntry, readAllowList } = await freshAllowList();
    for (const entry of KEYS) expect(isAddressEntry(entry), entry).toBe(false);
    const read = readAllowList(KEYS, 'allowList');
    expect(read.ranges).toBeUndefined();
    expect([...(read.keys ?? [])]).toEqual(KEYS);
  });

  it('splits a mixed list into ranges and keys', async () => {
    const { readAllowList } = await freshAllowList();
    const read = readAllowList(['10.0.0.0/8', 'api-key', '::1'], 'allowList');
    expect(['10.1.2.3', '::1', '::2'].map((ip) => read.ranges?.has(ip))).toEqual([true, true, false]);
    expect([...(read.keys ?? [])]).toEqual(['api-key']);
    expect(read.allows).toBeUndefined();
    expect(readAllowList([], 'allowList')).toEqual({ ranges: undefined, keys: undefined, allows: undefined });
  });
});

describe.each(FRAMEWORK_TARGETS)('allowList on $name', (target) => {
  it('lets through a client in a range written with whitespace, and a listed key; limits the rest', async () => {
    const open = await target.start({ capacity: 1, refillRate: 1, interval: '1m', allowList: [' 127.0.0.0 / 8 '] });
    expect((await open.get()).status).toBe(200);
    expect((await open.get()).status).toBe(200);
    const byKey = await target.start({
      capacity: 1,
      refillRate: 1,
      interval: '1m',
      key: (req: { headers: Record<string, string | undefined> }) => req.headers['x-user'] ?? 'anonymous',
      allowList: ['v1.2', '10.0.0.0/8'],
    });
    const as = (user: string) => ({ headers: { 'x-user': user } });
    expect([(await byKey.get('/', as('v1.2'))).status, (await byKey.get('/', as('v1.2'))).status]).toEqual([200, 200]);
    expect([(await byKey.get('/', as('v1.3'))).status, (await byKey.get('/', as('v1.3'))).status]).toEqual([200, 429]);
  });
});
