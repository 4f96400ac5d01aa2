/**
 * The default client key: the IP address the framework resolved (`req.ip`, which honours trust proxy),
 * normalised so that one client has one key whatever form the address came in: a port, brackets or a
 * zone id are dropped, IPv4-mapped IPv6 (`::ffff:1.2.3.4`, in any spelling) is unwrapped so it shares a
 * bucket with `1.2.3.4`, and IPv6 is grouped by its `/ipv6Subnet` network so one host cannot rotate
 * through the addresses it owns. A value that is not an address has no key: a port or a proxy's
 * placeholder (`unknown`) must never become a bucket of its own.
 */
import { formatIpv4, ipv6Network, parseClientAddress, parseIpv4 } from './ipRange.js';

/**
 * The key of client address `ip`, or undefined when `ip` is missing or not an IP address.
 * `ipv6Subnet` is the prefix length IPv6 addresses are grouped by, or false to key on the full address.
 */
export function clientKey(ip: string | undefined, ipv6Subnet: number | false): string | undefined {
  if (typeof ip !== 'string') return undefined;
  // Stryker disable next-line ConditionalExpression: `false` is an equivalent fast path (parseClientAddress reads the same number and formatIpv4 prints it back as `ip`: parseIpv4 takes only the canonical dotted quad); `true`, disabled with it, fails test/http/clientKey.test.ts
  if (parseIpv4(ip) !== undefined) return ip;
  // A dual-stack server (listening on ::) sees every IPv4 client this way: skip the IPv6 parse.
  // Stryker disable next-line MethodExpression,BlockStatement: equivalent fast path; without it the IPv6 parse unwraps the same address (and no string ending in `::ffff:` has a dotted quad after its 7th character)
  if (ip.startsWith('::ffff:')) {
    // Stryker disable next-line MethodExpression: equivalent; the whole `ip` has colons, so parseIpv4 refuses it and the IPv6 parse below answers
    const dotted = ip.slice(7);
    // Stryker disable next-line ConditionalExpression: `false` is an equivalent fast path (the IPv6 parse unwraps `::ffff:` + a canonical dotted quad to the same text); `true`, disabled with it, fails test/http/clientKey.test.ts
    if (parseIpv4(dotted) !== undefined) return dotted;
  }
  const address = parseClientAddress(ip);
  if (address === undefined) return undefined;
  if (typeof address === 'number') return formatIpv4(address);
  return ipv6Network(address, ipv6Subnet === false ? 128 : ipv6Subnet);
}
