/**
 * FNV-1a, 32-bit (http://www.isthe.com/chongo/tech/comp/fnv/): the payload fingerprint the correlation
 * stage compares across interfaces. NAT rewrites headers, never the bytes after them, so equal payload
 * hashes on both sides of the gateway are strong evidence of the same packet. Math.imul keeps the
 * multiply in 32 bits without BigInt.
 */

export const FNV1A32_OFFSET = 0x811c9dc5;
export const FNV1A32_PRIME = 0x01000193;

/** Hash of `data[start, end)`; the offset basis for an empty range (callers that want 0 check first). */
export function fnv1a32(data: Uint8Array, start: number, end: number): number {
  let h = FNV1A32_OFFSET | 0; // start as a small integer, not a heap double (> 2^31)
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ data[i]!, FNV1A32_PRIME);
  }
  return h >>> 0;
}
