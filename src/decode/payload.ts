import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { MURMUR3_C1, MURMUR3_C2 } from './murmur3.js';
import { markTruncated } from './truncate.js';

/**
 * How many leading payload bytes the fingerprint covers. Hashing whole 1500-byte payloads would cost
 * more than reading and decoding the packet; 64 bytes already tell packets apart (echo timestamps,
 * DNS ids, TLS randoms), and correlation pairs the hash with length, IP id and TCP seq anyway. A fixed
 * prefix also lets two captures taken with different snaplens agree whenever both kept at least this much.
 */
export const PAYLOAD_HASH_LIMIT = 64;

/**
 * The payload runs from `start` to `end` as the headers claim it; what the capture holds may stop
 * earlier (snaplen: the captured bytes in `d` end at `cap`), which marks the packet
 * truncated at the payload. The hash covers the first PAYLOAD_HASH_LIMIT captured bytes.
 */
export function setPayload(d: Uint8Array, start: number, end: number, cap: number, out: DecodedPacket): void {
  out.payloadOffset = start;
  if (end <= start) return;
  out.payloadLength = end - start;
  const capEnd = end < cap ? end : cap;
  if (capEnd > start) {
    out.payloadCaptured = capEnd - start;
    const hashEnd = capEnd - start > PAYLOAD_HASH_LIMIT ? start + PAYLOAD_HASH_LIMIT : capEnd;
    // murmur3x86_32(d, start, hashEnd) spelled out so the 32-bit result goes straight into the field
    // (see bytes.ts on boxing); the tests hold the two equal.
    let h = 0;
    let i = start;
    for (; i + 4 <= hashEnd; i += 4) {
      let k = d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24);
      k = Math.imul(k, MURMUR3_C1);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, MURMUR3_C2);
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
    const tail = hashEnd - i;
    if (tail > 0) {
      let k = d[i]!;
      if (tail > 1) k |= d[i + 1]! << 8;
      if (tail > 2) k |= d[i + 2]! << 16;
      k = Math.imul(k, MURMUR3_C1);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, MURMUR3_C2);
    }
    h ^= hashEnd - start;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out.payloadHash = h >>> 0;
  }
  if (out.payloadCaptured < out.payloadLength) markTruncated(out, Layer.PAYLOAD);
}
