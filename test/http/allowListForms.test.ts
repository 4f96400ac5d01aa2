/**
 * `allowList` addresses in the forms a client IP comes in (a port, brackets, a zone id, IPv4-mapped IPv6, whitespace)
 * name those addresses, as the client IP is read; a range with a port is refused, naming the entry. Read directly,
 * and through real Express 4/5 and Fastify 4/5 apps with clients on 127.0.0.1 and ::1.
 */
import express5 from 'express';
import express4 from 'express4';
import fastify5, { type FastifyInstance } from 'fastify';
import fastify4 from 'fastify4';
import { afterEach, describe, expect, it } from 'vitest';
import { rateLimit } from '../../adapters/express.js';
import sluice from '../../adapters/fastify.js';
import { readAllowList } from '../../src/http/allowList.js';
import { SluiceConfigError } from '../../src/index.js';
import { listenExpress } from './adapterTestSupport.js';
import { configError } from './configError.js';
import { FRAMEWORK_TARGETS } from './frameworkTargets.js';

/** Each entry, and client IPs (as frameworks give them) it must match and must not. */
const FORMS: [string, string[], string[]][] = [
  ['1.2.3.4:80', ['1.2.3.4', '::ffff:1.2.3.4', '1.2.3.4:5000'], ['1.2.3.5', '1.2.3.40']],
  [' 1.2.3.4:80 ', ['1.2.3.4'], ['1.2.3.5']],
  ['[::1]:80', ['::1', '0:0:0:0:0:0:0:1', '[::1]:443'], ['::2', '127.0.0.1']],
  ['[::1]', ['::1'], ['::2']],
  ['\t[::1]\t', ['::1'], ['::2']],
  ['[fe80::1%eth0]', ['fe80::1', 'fe80::1%eth1'], ['fe80::2']],
  ['[fe80::1%eth0]:443', ['fe80::1'], ['fe80::2']],
  ['[::ffff:1.2.3.4]', ['1.2.3.4', '::ffff:1.2.3.4', '::ffff:102:304'], ['1.2.3.5']],
  ['[::ffff:1.2.3.4]:80', ['1.2.3.4'], ['1.2.3.5']],
  ['::ffff:1.2.3.4:80', ['1.2.3.4'], ['1.2.3.5']],
  ['[2001:db8::7]:443', ['2001:db8::7'], ['2001:db8::8']],
  ['[2001:db8::]/32', ['2001:db8:ffff::1'], ['2001:db9::1']],
  [' [2001:db8::] / 32 ', ['2001:db8::1'], ['2001:db9::1']],
];

/** Ranges with a port: a client range has no port, so these are refused rather than read without it. */
const RANGES_WITH_A_PORT = ['10.0.0.0:80/8', '[2001:db8::]:443/32', '::ffff:10.0.0.0:80/104', ' 10.0.0.0:80 / 8 '];

/** Address-like entries in these forms that name no address: refused, never kept as a key. */
const UNREADABLE = ['1.2.3.4:', '1.2.3.4:99999', '1.2.3.4:80:80', '[::1]:', '[::1', '[::1]:65536', '[1::2::3]', '[fe80::1%]'];

describe('allowList entries in the forms client IPs come in', () => {
  it.each(FORMS)('%j names the address it holds', (entry, matching, other) => {
    const read = readAllowList(['api-key', entry], 'allowList');
    expect([...(read.keys ?? [])]).toEqual(['api-key']);
    for (const ip of matching) expect(read.ranges?.has(ip), ip).toBe(true);
    for (const ip of other) expect(read.ranges?.has(ip), ip).toBe(false);
  });

  it.each(RANGES_WITH_A_PORT)('a range with a port, %j, is refused naming the entry', (entry) => {
    const error = configError(() => readAllowList(['api-key', entry], 'allowList'));
    expect(error.option).toBe('allowList[1]');
    expect(error.message).toBe(
      `sluice: option \`allowList[1]\` is a CIDR range with a port; a range takes none (write '10.0.0.0/8', '[2001:db8::]/32'); got ${JSON.stringify(entry)}`,
    );
  });

  it.each(UNREADABLE)('%j is no address: refused naming the entry', (entry) => {
    const error = configError(() => readAllowList(['api-key', entry], 'allowList'));
    expect(error.option).toBe('allowList[1]');
    expect(error.message).toBe(
      `sluice: option \`allowList[1]\` must be an IP or a CIDR range such as '10.0.0.0/8' or '2001:db8::/32'; got ${JSON.stringify(entry)}`,
    );
  });

  it.each(FRAMEWORK_TARGETS)('$name refuses a range with a port when the middleware or plugin is made', async (target) => {
    const started = target.start({ capacity: 1, refillRate: 1, interval: '1m', allowList: ['10.0.0.0:80/8'] });
    await expect(started).rejects.toThrow(SluiceConfigError);
    await expect(started).rejects.toThrow(/`allowList\[0\]` is a CIDR range with a port; .*got "10\.0\.0\.0:80\/8"/);
  });
});

describe.each(FRAMEWORK_TARGETS)('$name: a client on 127.0.0.1', (target) => {
  it.each(['127.0.0.1:80', ' 127.0.0.1:8080 ', '[::ffff:127.0.0.1]', '[::ffff:127.0.0.1]:80'])(
    'is allowed by %j (not counted)',
    async (entry) => {
      const app = await target.start({ capacity: 1, refillRate: 1, interval: '1m', allowList: [entry] });
      const statuses = [(await app.get()).status, (await app.get()).status, (await app.get()).status];
      expect(statuses).toEqual([200, 200, 200]);
      expect(app.handled()).toBe(3);
    },
  );

  it('is still counted beside an entry naming another address with a port', async () => {
    const app = await target.start({ capacity: 1, refillRate: 1, interval: '1m', allowList: ['127.0.0.2:80', '[::1]:80'] });
    expect([(await app.get()).status, (await app.get()).status]).toEqual([200, 429]);
  });
});

/** Real apps on ::1, one per framework: a client on IPv6 loopback. */
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

type Ipv6App = (allowList: string[]) => Promise<string>;

function expressOnIpv6(factory: typeof express5): Ipv6App {
  return (allowList) => {
    const app = factory();
    app.use(rateLimit({ capacity: 1, refillRate: 1, interval: '1m', allowList }));
    app.get('/', (_req, res) => {
      res.send('handled');
    });
    return listenExpress(app, closers, '::1');
  };
}

function fastifyOnIpv6(factory: typeof fastify5): Ipv6App {
  return async (allowList) => {
    const app = (factory as unknown as (options: object) => FastifyInstance)({ forceCloseConnections: true });
    closers.push(() => app.close());
    await app.register(sluice, { capacity: 1, refillRate: 1, interval: '1m', allowList });
    app.get('/', async () => 'handled');
    return app.listen({ port: 0, host: '::1' });
  };
}

const IPV6_APPS: [string, Ipv6App][] = [
  ['Express 4', expressOnIpv6(express4 as unknown as typeof express5)],
  ['Express 5', expressOnIpv6(express5)],
  ['Fastify 4', fastifyOnIpv6(fastify4 as unknown as typeof fastify5)],
  ['Fastify 5', fastifyOnIpv6(fastify5)],
];

describe.each(IPV6_APPS)('%s: a client on ::1', (_name, start) => {
  const statuses = async (url: string) => [(await fetch(url)).status, (await fetch(url)).status, (await fetch(url)).status];

  it.each(['[::1]', '[::1]:80', ' [::1]:443 ', '[::1%lo]', '[0:0:0:0:0:0:0:1]:8080'])('is allowed by %j (not counted)', async (entry) => {
    expect(await statuses(await start([entry]))).toEqual([200, 200, 200]);
  });

  it('is still counted beside an entry naming another address in brackets', async () => {
    expect(await statuses(await start(['[::2]:80', '127.0.0.1:80']))).toEqual([200, 429, 429]);
  });
});
