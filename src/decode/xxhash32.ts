/**
 * XXH32 (Yann Collet's xxHash, 32-bit variant, https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md):
 * the payload fingerprint the correlation stage compares across interfaces. NAT rewrites headers,
 * never the bytes after them, so equal payload hashes on both sides of the gateway are strong
 * evidence of the same packet.
 *
 * Why this hash: it is run on every packet, so its cost is latency. A byte-at-a-time hash (FNV-1a,
 * the first choice here) is one serial multiply per byte, ~100 ns for 64 bytes; MurmurHash3 takes 4
 * bytes a step but still in one serial chain. XXH32 keeps four independent accumulators over each
 * 16-byte stripe, so the CPU runs the four multiply chains side by side. Words are read little-endian
 * byte by byte: the value depends only on the bytes, never on their alignment or the host.
 */

export const XXH_P1 = 0x9e3779b1 | 0;
export const XXH_P2 = 0x85ebca77 | 0;
export const XXH_P3 = 0xc2b2ae3d | 0;
export const XXH_P4 = 0x27d4eb2f | 0;
export const XXH_P5 = 0x165667b1 | 0;

/** XXH32 of `data[start, end)` with `seed` (0 unless given), as an unsigned 32-bit number. */
export function xxh32(data: Uint8Array, start: number, end: number, seed = 0): number {
  const d = data;
  let i = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + XXH_P1 + XXH_P2) | 0;
    let v2 = (seed + XXH_P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - XXH_P1) | 0;
    for (; i + 16 <= end; i += 16) {
      v1 = (v1 + Math.imul(d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24), XXH_P2)) | 0;
      v1 = Math.imul((v1 << 13) | (v1 >>> 19), XXH_P1);
      v2 = (v2 + Math.imul(d[i + 4]! | (d[i + 5]! << 8) | (d[i + 6]! << 16) | (d[i + 7]! << 24), XXH_P2)) | 0;
      v2 = Math.imul((v2 << 13) | (v2 >>> 19), XXH_P1);
      v3 = (v3 + Math.imul(d[i + 8]! | (d[i + 9]! << 8) | (d[i + 10]! << 16) | (d[i + 11]! << 24), XXH_P2)) | 0;
      v3 = Math.imul((v3 << 13) | (v3 >>> 19), XXH_P1);
      v4 = (v4 + Math.imul(d[i + 12]! | (d[i + 13]! << 8) | (d[i + 14]! << 16) | (d[i + 15]! << 24), XXH_P2)) | 0;
      v4 = Math.imul((v4 << 13) | (v4 >>> 19), XXH_P1);
    }
    h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))) | 0;
  } else {
    h = (seed + XXH_P5) | 0;
  }
  h = (h + (end - start)) | 0;
  for (; i + 4 <= end; i += 4) {
    h = (h + Math.imul(d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24), XXH_P3)) | 0;
    h = Math.imul((h << 17) | (h >>> 15), XXH_P4);
  }
  for (; i < end; i++) {
    h = (h + Math.imul(d[i]!, XXH_P5)) | 0;
    h = Math.imul((h << 11) | (h >>> 21), XXH_P1);
  }
  h ^= h >>> 15;
  h = Math.imul(h, XXH_P2);
  h ^= h >>> 13;
  h = Math.imul(h, XXH_P3);
  h ^= h >>> 16;
  return h >>> 0;
}
