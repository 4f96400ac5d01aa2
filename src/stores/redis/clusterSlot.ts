/**
 * Redis Cluster hash slots: CRC16-CCITT (XMODEM) of the key's hash tag, mod 16384, as in the
 * Redis Cluster specification. The store needs it to group coalesced calls by slot, since one
 * script call may only touch keys of one slot.
 */

const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i++) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[i] = crc;
}

/** CRC16 (polynomial 0x1021, initial value 0) of the bytes. */
export function crc16(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let crc = 0;
  for (let i = from; i < to; i++) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ (bytes[i] as number)) & 0xff] as number);
  return crc;
}

const encoder = new TextEncoder();
const OPEN = 0x7b; // {
const CLOSE = 0x7d; // }

/** The cluster slot of a key: only the part between the first `{` and the next `}` counts, if non-empty. */
export function clusterSlot(key: string): number {
  const bytes = encoder.encode(key);
  const open = bytes.indexOf(OPEN);
  if (open >= 0) {
    const close = bytes.indexOf(CLOSE, open + 1);
    if (close > open + 1) return crc16(bytes, open + 1, close) & 0x3fff;
  }
  return crc16(bytes) & 0x3fff;
}
