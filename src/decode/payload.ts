import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { fnv1a32 } from './fnv1a.js';
import { markTruncated } from './truncate.js';

/**
 * The payload runs from `start` to `end` as the headers claim it; what the capture holds may stop
 * earlier (snaplen), which marks the packet truncated at the payload. The hash covers captured bytes.
 */
export function setPayload(d: Uint8Array, start: number, end: number, out: DecodedPacket): void {
  out.payloadOffset = start;
  if (end <= start) return;
  out.payloadLength = end - start;
  const capEnd = end < d.length ? end : d.length;
  if (capEnd > start) {
    out.payloadCaptured = capEnd - start;
    out.payloadHash = fnv1a32(d, start, capEnd);
  }
  if (out.payloadCaptured < out.payloadLength) markTruncated(out, Layer.PAYLOAD);
}
