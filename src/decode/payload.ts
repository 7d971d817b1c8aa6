import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { FNV1A32_OFFSET, FNV1A32_PRIME } from './fnv1a.js';
import { markTruncated } from './truncate.js';

/**
 * How many leading payload bytes the fingerprint covers. FNV-1a is a serial multiply chain (~5 ns a
 * byte here), so hashing whole 1500-byte payloads would cost more than reading and decoding the
 * packet; 64 bytes already tell packets apart (echo timestamps, DNS ids, TLS randoms), and correlation
 * pairs the hash with length, IP id and TCP seq anyway. A fixed prefix also lets two captures taken
 * with different snaplens agree whenever both kept at least this much.
 */
export const PAYLOAD_HASH_LIMIT = 64;

/**
 * The payload runs from `start` to `end` as the headers claim it; what the capture holds may stop
 * earlier (snaplen), which marks the packet truncated at the payload. The hash covers the first
 * PAYLOAD_HASH_LIMIT captured bytes.
 */
export function setPayload(d: Uint8Array, start: number, end: number, out: DecodedPacket): void {
  out.payloadOffset = start;
  if (end <= start) return;
  out.payloadLength = end - start;
  const capEnd = end < d.length ? end : d.length;
  if (capEnd > start) {
    out.payloadCaptured = capEnd - start;
    const hashEnd = capEnd - start > PAYLOAD_HASH_LIMIT ? start + PAYLOAD_HASH_LIMIT : capEnd;
    // fnv1a32() spelled out so the 32-bit result goes straight into the field (see bytes.ts on boxing);
    // the tests hold the two equal.
    let h = FNV1A32_OFFSET | 0;
    for (let i = start; i < hashEnd; i++) h = Math.imul(h ^ d[i]!, FNV1A32_PRIME);
    out.payloadHash = h >>> 0;
  }
  if (out.payloadCaptured < out.payloadLength) markTruncated(out, Layer.PAYLOAD);
}
