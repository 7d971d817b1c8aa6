/**
 * Big-endian (network order) reads straight off the capture buffer. Plain byte arithmetic beats a
 * DataView on the per-packet path (no view object, no bounds-check trampoline); callers check bounds first.
 */

export function u16(d: Uint8Array, o: number): number {
  return (d[o]! << 8) | d[o + 1]!;
}

/** Unsigned: `>>> 0` keeps seq/ack and IPv4 addresses above 2^31 positive. */
export function u32(d: Uint8Array, o: number): number {
  return ((d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!) >>> 0;
}

/** Little-endian 32-bit read (NULL link headers are in the capturing host's byte order). */
export function u32le(d: Uint8Array, o: number): number {
  return (d[o]! | (d[o + 1]! << 8) | (d[o + 2]! << 16) | (d[o + 3]! << 24)) >>> 0;
}

/** A 48-bit MAC address as an exact double (2^48 < 2^53). */
export function mac48(d: Uint8Array, o: number): number {
  return u16(d, o) * 0x1_0000_0000 + u32(d, o + 2);
}

/** Four big-endian words of an IPv6 address into `w` (reused storage, no allocation). */
export function ipv6Words(d: Uint8Array, o: number, w: Uint32Array): void {
  w[0] = u32(d, o);
  w[1] = u32(d, o + 4);
  w[2] = u32(d, o + 8);
  w[3] = u32(d, o + 12);
}
