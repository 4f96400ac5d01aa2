/**
 * The default client key: the IP address the framework resolved (`req.ip`, which honours trust proxy).
 * IPv4 passes through untouched (the hot path: one `indexOf`); IPv6 is grouped by its `/ipv6Subnet`
 * network so one host cannot rotate through the addresses it owns, and IPv4-mapped IPv6 is unwrapped so
 * `::ffff:1.2.3.4` and `1.2.3.4` share a bucket.
 */
import { SluiceArgumentError } from '../errors.js';
import { ipv6Network, mappedIpv4, parseIpv6 } from './ipRange.js';

const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
/** A dotted quad as Node writes one (no leading zeros), so slicing gives what mappedIpv4 would. */
const CANONICAL_IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

/** `ipv6Subnet` is the prefix length IPv6 addresses are grouped by, or false to key on the full address. */
export function clientKey(ip: string | undefined, ipv6Subnet: number | false): string {
  if (typeof ip !== 'string' || ip.length === 0) {
    throw new SluiceArgumentError(
      'req.ip',
      ip,
      'must be the client IP address, but the request has none (its socket may have closed already); pass a `key` function to key on something else',
    );
  }
  if (ip.indexOf(':') === -1) return ip;
  // A dual-stack server (listening on ::) sees every IPv4 client this way: skip the IPv6 parse.
  if (ip.startsWith('::ffff:')) {
    const dotted = ip.slice(7);
    if (CANONICAL_IPV4.test(dotted)) return dotted;
  }
  const groups = parseIpv6(ip);
  // Not an address at all (a custom `ip` getter): still a per-client value, so use it as it is.
  if (groups === undefined) return ip;
  const v4 = mappedIpv4(groups);
  if (v4 !== undefined) return v4;
  return ipv6Network(groups, ipv6Subnet === false ? 128 : ipv6Subnet);
}
