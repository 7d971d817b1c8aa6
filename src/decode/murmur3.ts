/**
 * MurmurHash3_x86_32 (Austin Appleby, public domain; the reference is MurmurHash3.cpp in the smhasher
 * project): the payload fingerprint the correlation stage compares across interfaces. NAT rewrites
 * headers, never the bytes after them, so equal payload hashes on both sides of the gateway are
 * strong evidence of the same packet.
 *
 * Why this and not a byte-at-a-time hash like FNV-1a: it consumes 4 bytes per step, so its serial
 * multiply chain is a quarter as long (FNV-1a over 64 bytes cost ~100 ns a packet, most of decoding),
 * and it mixes far better. Blocks are read little-endian byte by byte, so the value depends only on
 * the bytes, never on their alignment in the capture buffer or the host's byte order.
 */

export const MURMUR3_C1 = 0xcc9e2d51;
export const MURMUR3_C2 = 0x1b873593;

/** Hash of `data[start, end)` with `seed` (0 unless given); 0 for an empty range with seed 0. */
export function murmur3x86_32(data: Uint8Array, start: number, end: number, seed = 0): number {
  let h = seed | 0;
  let i = start;
  for (; i + 4 <= end; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, MURMUR3_C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, MURMUR3_C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = end - i;
  if (tail > 0) {
    let k = data[i]!;
    if (tail > 1) k |= data[i + 1]! << 8;
    if (tail > 2) k |= data[i + 2]! << 16;
    k = Math.imul(k, MURMUR3_C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, MURMUR3_C2);
  }
  return fmix32(h ^ (end - start)) >>> 0;
}

/** The finaliser: every input bit affects every output bit (avalanche). Returns a signed 32-bit value. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}
