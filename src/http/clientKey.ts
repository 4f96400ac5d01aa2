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
  if (parseIpv4(ip) !== undefined) return ip;
  // A dual-stack server (listening on ::) sees every IPv4 client this way: skip the IPv6 parse.
  if (ip.startsWith('::ffff:')) {
    const dotted = ip.slice(7);
    if (parseIpv4(dotted) !== undefined) return dotted;
  }
  const address = parseClientAddress(ip);
  if (address === undefined) return undefined;
  if (typeof address === 'number') return formatIpv4(address);
  return ipv6Network(address, ipv6Subnet === false ? 128 : ipv6Subnet);
}
