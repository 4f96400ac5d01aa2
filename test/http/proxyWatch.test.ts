/**
 * ProxyWatch: which requests it looks at (every one of the first 1024, then one in 64, none once it warned) and
 * when it warns, against a framework that only reports what the requests carry. The warnings' texts and the real
 * frameworks' trust proxy settings are tested through Express and Fastify (test/express.test.ts, test/fastify.test.ts).
 */
import { describe, expect, it } from 'vitest';
import type { HttpFramework } from '../../src/http/httpFramework.js';
import { ProxyWatch } from '../../src/http/proxyWatch.js';
import { takeWarnings } from '../setup/warningGuard.js';

/** What a request shows the watch: its X-Forwarded-For, its socket's address, whether trust proxy trusts every hop. */
interface Seen {
  readonly forwarded?: string;
  readonly socket?: string;
  readonly trustAll?: boolean;
}

/** A framework that reports a request's fields and counts how often the watch read the header (one read a check). */
function framework() {
  const counts = { checks: 0, trustReads: 0 };
  const unused = (): never => {
    throw new Error('not read by ProxyWatch');
  };
  const fake: HttpFramework<Seen, never> = {
    ip: unused,
    directIp: unused,
    responded: unused,
    setHeader: unused,
    send: unused,
    nodeResponse: unused,
    socketAddress: (req) => req.socket,
    forwardedFor: (req) => {
      counts.checks++;
      return req.forwarded;
    },
    trustsEveryProxy: (req) => {
      counts.trustReads++;
      return req.trustAll;
    },
  };
  return { fake, counts };
}

const direct: Seen = { socket: '203.0.113.7' };
/** Forwarded by a proxy whose hop is not trusted: the client IP is the proxy's. */
const untrustedProxy: Seen = { forwarded: '198.51.100.1', socket: '10.0.0.2' };

/** The numbers (1-based) of the requests, from `from` to `to`, that the watch checked. */
function checkedRequests(watch: ProxyWatch<Seen, never>, counts: { checks: number }, from: number, to: number, req: Seen, ip?: string) {
  const checked: number[] = [];
  for (let n = from; n <= to; n++) {
    const before = counts.checks;
    watch.see(req, ip ?? req.socket);
    if (counts.checks !== before) checked.push(n);
  }
  return checked;
}

describe('ProxyWatch', () => {
  it('checks each of the first 1024 requests, then every 64th', () => {
    const { fake, counts } = framework();
    const watch = new ProxyWatch(fake, true);
    expect(checkedRequests(watch, counts, 1, 1024, direct)).toHaveLength(1024);
    expect(checkedRequests(watch, counts, 1025, 1300, direct)).toEqual([1088, 1152, 1216, 1280]);
    expect(takeWarnings()).toEqual([]);
  });

  it('finds a proxy that appears after the first 1024 requests at the next sampled request, then stops looking', () => {
    const { fake, counts } = framework();
    const watch = new ProxyWatch(fake, true);
    checkedRequests(watch, counts, 1, 1024, direct);
    expect(checkedRequests(watch, counts, 1025, 1087, untrustedProxy, '10.0.0.2')).toEqual([]);
    expect(takeWarnings()).toEqual([]);
    expect(checkedRequests(watch, counts, 1088, 1088, untrustedProxy, '10.0.0.2')).toEqual([1088]);
    expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_TRUST_PROXY_OFF']);
    expect(checkedRequests(watch, counts, 1089, 3000, untrustedProxy, '10.0.0.2')).toEqual([]);
  });

  it('stops looking once it warned within the first 1024 requests', () => {
    const { fake, counts } = framework();
    const watch = new ProxyWatch(fake, true);
    expect(checkedRequests(watch, counts, 1, 10, untrustedProxy, '10.0.0.2')).toEqual([1]);
    expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_TRUST_PROXY_OFF']);
  });

  it('does not warn when the header is honoured, absent, or the client IP is unknown', () => {
    const { fake, counts } = framework();
    const watch = new ProxyWatch(fake, true);
    // Trusted: the client IP is the forwarded one, not the socket's.
    checkedRequests(watch, counts, 1, 3, untrustedProxy, '198.51.100.1');
    // No header.
    checkedRequests(watch, counts, 4, 6, direct);
    // Neither the client IP nor the socket's address is known (a socket already closed).
    checkedRequests(watch, counts, 7, 9, { forwarded: '198.51.100.1' }, undefined);
    expect(counts.checks).toBe(9);
    expect(takeWarnings()).toEqual([]);
  });

  it('asks once whether trust proxy trusts every hop, warning if so, and keeps watching for the other misconfiguration', () => {
    const { fake, counts } = framework();
    const watch = new ProxyWatch(fake, true);
    checkedRequests(watch, counts, 1, 5, { ...direct, trustAll: true });
    expect(counts.trustReads).toBe(1);
    expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_TRUST_PROXY_ALL']);
    expect(checkedRequests(watch, counts, 6, 7, untrustedProxy, '10.0.0.2')).toEqual([6]);
    expect(takeWarnings().map((w) => w.code)).toEqual(['SLUICE_TRUST_PROXY_OFF']);
  });

  it('looks at nothing when disabled', () => {
    const { fake, counts } = framework();
    const watch = new ProxyWatch(fake, false);
    expect(checkedRequests(watch, counts, 1, 100, untrustedProxy, '10.0.0.2')).toEqual([]);
    expect(counts.trustReads).toBe(0);
    expect(takeWarnings()).toEqual([]);
  });
});
