/**
 * IP address parsing for client keys and allow lists: IPv4 as a 32-bit number, IPv6 as eight 16-bit
 * groups. Hand-written rather than `net.BlockList` so that a check costs no allocation and the same
 * parser serves the /56 grouping of keys.
 */
import { SluiceConfigError } from '../core/errors.js';

/** Parses a dotted IPv4 address to an unsigned 32-bit number; undefined if it is not one. */
export function parseIpv4(text: string): number | undefined {
  let value = 0;
  let part = 0;
  let digits = 0;
  let parts = 0;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 46; // a virtual '.' ends the last part
    if (code === 46) {
      // A fifth part is refused at the end (parts !== 4), like a missing one.
      if (digits === 0) return undefined;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && part === 0) return undefined; // a leading zero reads as octal elsewhere: refuse it
      part = part * 10 + code - 48;
      if (part > 255) return undefined;
      digits++;
    } else {
      return undefined;
    }
  }
  return parts === 4 ? value : undefined;
}

/** A zone id after `%` (`fe80::1%eth0`), in the characters Node's `net.isIPv6` accepts there. */
const ZONE_ID = /^[0-9A-Za-z.:-]+$/;

/** Parses an IPv6 address (with `::`, an embedded IPv4 tail, and a `%zone` that is ignored) to eight groups. */
export function parseIpv6(text: string): number[] | undefined {
  const zone = text.indexOf('%');
  if (zone !== -1) {
    if (!ZONE_ID.test(text.slice(zone + 1))) return undefined;
    text = text.slice(0, zone);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? parseGroups(halves[1] as string, true) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

function parseGroups(text: string, mayEndWithIpv4: boolean): number[] | undefined {
  if (text === '') return [];
  const parts = text.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (i === parts.length - 1 && mayEndWithIpv4 && part.includes('.')) {
      const v4 = parseIpv4(part);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(part)) return undefined;
      groups.push(Number.parseInt(part, 16));
    }
  }
  return groups;
}

/** The IPv4 address (as a 32-bit number) inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else undefined. */
export function mappedIpv4Number(groups: readonly number[]): number | undefined {
  for (let i = 0; i < 5; i++) if (groups[i] !== 0) return undefined;
  if (groups[5] !== 0xffff) return undefined;
  return (groups[6] as number) * 0x10000 + (groups[7] as number);
}

/** An unsigned 32-bit IPv4 address in dotted-quad notation. */
export function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else undefined. */
export function mappedIpv4(groups: readonly number[]): string | undefined {
  const value = mappedIpv4Number(groups);
  return value === undefined ? undefined : formatIpv4(value);
}

/** Whether `text` from `from` on is empty or `:port` (1 to 5 digits, at most 65535). */
function isPortOrNothing(text: string, from: number): boolean {
  if (from === text.length) return true;
  if (text.charCodeAt(from) !== 58 || text.length - from - 1 > 5 || text.length - from - 1 === 0) return false;
  let port = 0;
  for (let i = from + 1; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) return false;
    port = port * 10 + digit;
  }
  return port <= 65535;
}

/**
 * Parses a client address as frameworks hand it over (from the socket, or from an `X-Forwarded-For`
 * entry that a proxy wrote): IPv4, IPv6 in any spelling and case, with a `%zone`, in brackets
 * (`[2001:db8::7]`), and any of these with a port (`203.0.113.7:50001`, `[2001:db8::7]:443`,
 * `::ffff:203.0.113.7:80`). Surrounding whitespace is ignored. Returns IPv4, and IPv4-mapped IPv6 in any
 * spelling, as an unsigned 32-bit number; other IPv6 as its eight groups; undefined for anything else.
 *
 * A port after an unbracketed IPv6 address that is complete without it cannot be told from its last group,
 * so there it is read as the group: it then only changes the low bits, which the subnet grouping of keys
 * drops anyway. Where the port cannot be a group (five digits, or a ninth field), it is dropped.
 */
export function parseClientAddress(text: string): number | number[] | undefined {
  let address = text.trim();
  if (address.charCodeAt(0) === 91) {
    const close = address.indexOf(']');
    // Stryker disable next-line UnaryOperator: `close === +1` is equivalent, as close is 1 only for `[]`, whose empty address nothing parses
    if (close === -1) return undefined;
    if (!isPortOrNothing(address, close + 1)) return undefined;
    address = address.slice(1, close);
  } else {
    const colon = address.lastIndexOf(':');
    const dot = address.lastIndexOf('.');
    // A colon after the dotted quad an address ends with starts a port: `1.2.3.4:80`, `::ffff:1.2.3.4:80`.
    if (dot !== -1 && colon > dot) {
      if (!isPortOrNothing(address, colon)) return undefined;
      address = address.slice(0, colon);
    }
  }
  const v4 = parseIpv4(address);
  if (v4 !== undefined) return v4;
  const groups = parseIpv6(address) ?? parseIpv6WithPort(address);
  if (groups === undefined) return undefined;
  return mappedIpv4Number(groups) ?? groups;
}

/**
 * An unbracketed IPv6 address followed by a port, where the port cannot be a group: five digits
 * (`2001:db8::7:40000`), or a ninth field after eight groups (`2001:db8:1:2:3:4:5:6:443`).
 */
function parseIpv6WithPort(address: string): number[] | undefined {
  const colon = address.lastIndexOf(':');
  if (colon <= 0) return undefined;
  if (!isPortOrNothing(address, colon)) return undefined;
  const before = address.slice(0, colon);
  if (before.endsWith(':')) return undefined;
  const ninthField = !before.includes('::') && before.split(':').length === 8;
  if (address.length - colon - 1 !== 5 && !ninthField) return undefined;
  return parseIpv6(before);
}

/**
 * The network of `groups` at `prefix` bits, as a canonical string: the groups the prefix touches in
 * lowercase hex without leading zeros, then `::/prefix` (`2001:db8:0:100::/56`). Equal networks give
 * equal strings, whatever notation the address came in.
 */
export function ipv6Network(groups: readonly number[], prefix: number): string {
  if (prefix >= 128) return groups.map((group) => group.toString(16)).join(':');
  const count = Math.ceil(prefix / 16);
  let text = '';
  for (let i = 0; i < count; i++) {
    const keep = Math.min(16, prefix - i * 16);
    const mask = (0xffff << (16 - keep)) & 0xffff;
    text += `${((groups[i] as number) & mask).toString(16)}:`;
  }
  return `${text}:/${prefix}`;
}

interface Ipv4Range {
  readonly network: number;
  readonly mask: number;
}

interface Ipv6Range {
  readonly groups: readonly number[];
  readonly prefix: number;
}

/** A set of IPs and CIDR ranges, parsed once; `has` takes an address as `req.ip` gives it. */
export class IpRangeSet {
  private readonly v4: Ipv4Range[] = [];
  private readonly v6: Ipv6Range[] = [];

  /**
   * `option` names the option in errors, e.g. `allowList`; `paths`, when given, name each entry instead. An entry
   * without a prefix is read as a client IP is (parseClientAddress: whitespace, brackets, a zone id and a port
   * dropped, IPv4-mapped IPv6 unwrapped), so it matches that client whatever form the framework gives its IP in.
   * A range (`address/prefix`) may have whitespace and brackets around its address, but no port: a port there
   * would suggest a limit per port, which a client IP range is not. Throws a SluiceConfigError naming the entry.
   */
  constructor(entries: readonly string[], option: string, paths?: readonly string[]) {
    entries.forEach((entry, i) => {
      const where = paths?.[i] ?? `${option}[${i}]`;
      if (typeof entry !== 'string') throw new SluiceConfigError(where, entry, "must be an IP or a CIDR range such as '10.0.0.0/8'");
      const slash = entry.indexOf('/');
      if (slash === -1) {
        const address = parseClientAddress(entry);
        if (address === undefined) throw notAnAddress(where, entry);
        if (typeof address === 'number') this.v4.push({ network: address, mask: 0xffffffff });
        else this.v6.push({ groups: address, prefix: 128 });
        return;
      }
      const addressText = entry.slice(0, slash).trim();
      const address = withoutBrackets(addressText);
      const prefixText = entry.slice(slash + 1).trim();
      const v4 = parseIpv4(address);
      if (v4 !== undefined) {
        const prefix = parsePrefix(prefixText, 32, where, entry);
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        this.v4.push({ network: (v4 & mask) >>> 0, mask });
        return;
      }
      const groups = parseIpv6(address);
      if (groups === undefined) {
        if (parseClientAddress(addressText) !== undefined) {
          throw new SluiceConfigError(
            where,
            entry,
            "is a CIDR range with a port; a range takes none (write '10.0.0.0/8', '[2001:db8::]/32')",
          );
        }
        throw notAnAddress(where, entry);
      }
      const prefix = parsePrefix(prefixText, 128, where, entry);
      const mapped = mappedIpv4Number(groups);
      if (mapped !== undefined && prefix >= 96) {
        // Addresses are unwrapped before the check, so a mapped entry must be stored as IPv4 to ever match.
        const mask = prefix === 96 ? 0 : (0xffffffff << (128 - prefix)) >>> 0;
        this.v4.push({ network: (mapped & mask) >>> 0, mask });
        return;
      }
      this.v6.push({ groups, prefix });
    });
  }

  /** Whether client address `ip` (in any form `parseClientAddress` reads) is in the set. Anything unparsable is not. */
  has(ip: string): boolean {
    let v4 = parseIpv4(ip);
    if (v4 === undefined) {
      const address = parseClientAddress(ip);
      if (address === undefined) return false;
      if (typeof address !== 'number') return this.hasIpv6(address);
      v4 = address;
    }
    for (const range of this.v4) if ((v4 & range.mask) >>> 0 === range.network) return true;
    return false;
  }

  private hasIpv6(groups: readonly number[]): boolean {
    for (const range of this.v6) {
      let inside = true;
      for (let i = 0, bits = range.prefix; bits > 0 && inside; i++, bits -= 16) {
        const mask = bits >= 16 ? 0xffff : (0xffff << (16 - bits)) & 0xffff;
        inside = ((groups[i] as number) & mask) === ((range.groups[i] as number) & mask);
      }
      if (inside) return true;
    }
    return false;
  }
}

function notAnAddress(where: string, entry: string): SluiceConfigError {
  return new SluiceConfigError(where, entry, "must be an IP or a CIDR range such as '10.0.0.0/8' or '2001:db8::/32'");
}

/** The address of a range, without the brackets it may be written in (`[2001:db8::]/32`). */
function withoutBrackets(address: string): string {
  return address.charCodeAt(0) === 91 && address.endsWith(']') ? address.slice(1, -1) : address;
}

function parsePrefix(text: string, max: number, where: string, entry: string): number {
  const prefix = /^\d{1,3}$/.test(text) ? Number(text) : Number.NaN;
  // NaN (text that is not 1 to 3 digits) fails the comparison too.
  if (!(prefix <= max)) throw new SluiceConfigError(where, entry, `has a prefix length that is not a whole number from 0 to ${max}`);
  return prefix;
}
