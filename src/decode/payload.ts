import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { XXH_P1, XXH_P2, XXH_P3, XXH_P4, XXH_P5 } from './xxhash32.js';
import { markTruncated } from './truncate.js';

/**
 * How many leading payload bytes the fingerprint covers. Hashing whole 1500-byte payloads would cost
 * more than reading and decoding the packet; 64 bytes already tell packets apart (echo timestamps,
 * DNS ids, TLS randoms), and correlation pairs the hash with length, IP id and TCP seq anyway. A fixed
 * prefix also lets two captures taken with different snaplens agree whenever both kept at least this much
 * (where one kept less, the correlator does not compare the hashes: fingerprint.ts).
 */
export const PAYLOAD_HASH_LIMIT = 64;

let wordBuf: Uint8Array | null = null;
let wordView: DataView = new DataView(new ArrayBuffer(0));

/**
 * Name a DataView over exactly `buf` (same offsets; the capture reader keeps one over its read
 * buffer): payloads in `buf` are then hashed a word per load (~10 ns less a packet). Frames in any
 * other array are hashed byte by byte, to the same value.
 */
export function setWordView(buf: Uint8Array, view: DataView): void {
  // Called per packet: store only on change (each pointer store is a write barrier, measurable here).
  if (buf !== wordBuf || view !== wordView) {
    wordBuf = buf;
    wordView = view;
  }
}

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
    // xxh32(d, start, hashEnd) spelled out so the 32-bit result goes straight into the field (see
    // bytes.ts on boxing); the tests hold the two equal.
    let i = start;
    let h: number;
    if (hashEnd - start >= 16) {
      let v1 = (XXH_P1 + XXH_P2) | 0;
      let v2 = XXH_P2;
      let v3 = 0;
      let v4 = -XXH_P1 | 0;
      if (d === wordBuf) {
        // The reader's buffer: one 32-bit load per word instead of four byte loads and shifts.
        const w = wordView;
        for (; i + 16 <= hashEnd; i += 16) {
          v1 = (v1 + Math.imul(w.getInt32(i, true), XXH_P2)) | 0;
          v1 = Math.imul((v1 << 13) | (v1 >>> 19), XXH_P1);
          v2 = (v2 + Math.imul(w.getInt32(i + 4, true), XXH_P2)) | 0;
          v2 = Math.imul((v2 << 13) | (v2 >>> 19), XXH_P1);
          v3 = (v3 + Math.imul(w.getInt32(i + 8, true), XXH_P2)) | 0;
          v3 = Math.imul((v3 << 13) | (v3 >>> 19), XXH_P1);
          v4 = (v4 + Math.imul(w.getInt32(i + 12, true), XXH_P2)) | 0;
          v4 = Math.imul((v4 << 13) | (v4 >>> 19), XXH_P1);
        }
      } else {
        for (; i + 16 <= hashEnd; i += 16) {
          v1 = (v1 + Math.imul(d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24), XXH_P2)) | 0;
          v1 = Math.imul((v1 << 13) | (v1 >>> 19), XXH_P1);
          v2 = (v2 + Math.imul(d[i + 4]! | (d[i + 5]! << 8) | (d[i + 6]! << 16) | (d[i + 7]! << 24), XXH_P2)) | 0;
          v2 = Math.imul((v2 << 13) | (v2 >>> 19), XXH_P1);
          v3 = (v3 + Math.imul(d[i + 8]! | (d[i + 9]! << 8) | (d[i + 10]! << 16) | (d[i + 11]! << 24), XXH_P2)) | 0;
          v3 = Math.imul((v3 << 13) | (v3 >>> 19), XXH_P1);
          v4 = (v4 + Math.imul(d[i + 12]! | (d[i + 13]! << 8) | (d[i + 14]! << 16) | (d[i + 15]! << 24), XXH_P2)) | 0;
          v4 = Math.imul((v4 << 13) | (v4 >>> 19), XXH_P1);
        }
      }
      h = (((v1 << 1) | (v1 >>> 31)) + ((v2 << 7) | (v2 >>> 25)) + ((v3 << 12) | (v3 >>> 20)) + ((v4 << 18) | (v4 >>> 14))) | 0;
    } else {
      h = XXH_P5;
    }
    h = (h + (hashEnd - start)) | 0;
    for (; i + 4 <= hashEnd; i += 4) {
      h = (h + Math.imul(d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24), XXH_P3)) | 0;
      h = Math.imul((h << 17) | (h >>> 15), XXH_P4);
    }
    for (; i < hashEnd; i++) {
      h = (h + Math.imul(d[i]!, XXH_P5)) | 0;
      h = Math.imul((h << 11) | (h >>> 21), XXH_P1);
    }
    h ^= h >>> 15;
    h = Math.imul(h, XXH_P2);
    h ^= h >>> 13;
    h = Math.imul(h, XXH_P3);
    h ^= h >>> 16;
    out.payloadHash = h >>> 0;
  }
  if (out.payloadCaptured < out.payloadLength) markTruncated(out, Layer.PAYLOAD);
}
