/**
 * The `allowList` option: requests it matches are not limited. Each entry is either an IP address or CIDR
 * range, matched against the client IP (whatever the key), or any other string, matched against the
 * request's key exactly (as the peers' allow lists match keys: a user id, an API key). An address is read as
 * a client IP is (`'203.0.113.7:80'`, `'[::1]'` name those addresses). An entry that looks like an address but
 * is not a valid one (`'10.0.0.300'`, `'10.0.0.0/33'`, a range with a port) is a SluiceConfigError rather
 * than a key, so a typo cannot silently allow nothing.
 */
import { SluiceConfigError } from '../core/errors.js';
import { IpRangeSet } from './ipRange.js';

/** The allow list after reading: ranges of client IPs, exact keys, or a function of the request. */
export interface ReadAllowList<Req> {
  readonly ranges: IpRangeSet | undefined;
  readonly keys: ReadonlySet<string> | undefined;
  readonly allows: ((req: Req) => unknown) | undefined;
}

/**
 * Digits with dots (IPv4, maybe with a `:port`), hex digits and colons with at least two colons (IPv6, maybe with a
 * `%zone`), or IPv6 after a `[` (a `]` and a `:port` may follow); then an optional `/prefix`. Such an entry must be a valid
 * address, as a client IP is read (ports and brackets dropped), or range.
 */
const ADDRESS_LIKE =
  /^\s*(?:[0-9]+(?:\.[0-9]*)+(?::[0-9]*)?|[0-9a-f.]*:[0-9a-f.]*:[0-9a-f:.]*(?:%[^/\s]*)?|\[[0-9a-f.]*:[0-9a-f:.]*(?:%[^\]/\s]*)?\]?(?::[0-9]*)?)\s*(?:\/.*)?$/i;

/** Whether an allow-list entry is meant as an IP or CIDR range (and must then be a valid one). */
export function isAddressEntry(entry: string): boolean {
  return ADDRESS_LIKE.test(entry);
}

const NOTHING = { ranges: undefined, keys: undefined, allows: undefined };

/** Reads `allowList`: an array of IPs, CIDR ranges and keys, or a function (req) => boolean. */
export function readAllowList<Req>(value: unknown, path: string): ReadAllowList<Req> {
  if (value === undefined) return NOTHING;
  if (typeof value === 'function') return { ranges: undefined, keys: undefined, allows: value as (req: Req) => unknown };
  if (!Array.isArray(value)) {
    throw new SluiceConfigError(
      path,
      value,
      "must be an array of IPs, CIDR ranges or keys (e.g. ['10.0.0.0/8', 'internal-api-key']) or a function (req) => boolean",
    );
  }
  const addresses: string[] = [];
  const paths: string[] = [];
  const keys = new Set<string>();
  value.forEach((entry: unknown, i) => {
    if (typeof entry !== 'string' || entry === '') {
      throw new SluiceConfigError(`${path}[${i}]`, entry, 'must be an IP, a CIDR range or a key (a non-empty string)');
    }
    if (isAddressEntry(entry)) {
      addresses.push(entry);
      paths.push(`${path}[${i}]`);
    } else keys.add(entry);
  });
  return {
    ranges: addresses.length > 0 ? new IpRangeSet(addresses, path, paths) : undefined,
    keys: keys.size > 0 ? keys : undefined,
    allows: undefined,
  };
}
