/**
 * Big-endian (network order) reads straight off the capture buffer. Plain byte arithmetic beats a
 * DataView on the per-packet path (no view object, no bounds-check trampoline); callers check bounds first.
 *
 * Values that can exceed a V8 small integer (±2^30: IPv4 addresses, TCP seq/ack, MACs, hashes) are NOT
 * read through a helper on the per-packet path: when the optimiser's inlining budget runs out, a helper
 * call stays a call and its non-small result is boxed in a fresh HeapNumber — per-packet garbage that
 * measurably triggered scavenges. The decoders spell those reads out where they store them into the
 * DecodedPacket (whose number fields are updated in place). `u32` remains for small or cold values.
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

/** Four big-endian words of an IPv6 address into `w` (reused storage, no allocation). */
export function ipv6Words(d: Uint8Array, o: number, w: Uint32Array): void {
  for (let i = 0; i < 4; i++, o += 4) w[i] = (d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!;
}
