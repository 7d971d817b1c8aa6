import type { DecodedPacket } from '../model/packet.js';
import { Layer, Net } from '../model/packet.js';
import { u16 } from './bytes.js';
import { markMalformed, markTruncated } from './truncate.js';

const IPV4_MIN_HEADER = 20;

/**
 * IPv4 (RFC 791). Fills the header fields and names the next layer in `out.proto`. Returns the offset
 * of what follows the header (options included), or -1 when the header is cut short or malformed.
 * The datagram's claimed end is `out.netOffset + out.ipTotalLength` (link padding lies beyond it).
 * A fragment with a non-zero offset carries no transport header: the caller must not decode one.
 * The captured bytes in `d` end at `cap`.
 */
export function decodeIpv4(d: Uint8Array, off: number, cap: number, out: DecodedPacket): number {
  out.net = Net.IPV4;
  out.netOffset = off;
  const captured = cap - off;
  if (captured < IPV4_MIN_HEADER) {
    markTruncated(out, Layer.NETWORK);
    return -1;
  }
  const versionIhl = d[off]!;
  if (versionIhl >> 4 !== 4) return malformedIpv4(out, versionIhl, 0);
  const headerLength = (versionIhl & 0x0f) * 4;
  out.ipHeaderLength = headerLength;
  out.tos = d[off + 1]!;
  let total = u16(d, off + 2);
  out.ipId = u16(d, off + 4);
  const flagsOffset = u16(d, off + 6);
  out.df = (flagsOffset & 0x4000) !== 0;
  out.mf = (flagsOffset & 0x2000) !== 0;
  out.fragOffset = (flagsOffset & 0x1fff) * 8;
  out.fragment = out.mf || out.fragOffset !== 0;
  out.ttl = d[off + 8]!;
  out.proto = d[off + 9]!;
  out.src = (((d[off + 12]! << 24) | (d[off + 13]! << 16) | (d[off + 14]! << 8) | d[off + 15]!) >>> 0);
  out.dst = (((d[off + 16]! << 24) | (d[off + 17]! << 16) | (d[off + 18]! << 8) | d[off + 19]!) >>> 0);
  out.ipOptions = headerLength > IPV4_MIN_HEADER;
  // A zero total length on a captured packet is a segmentation-offload super-packet (BIG TCP leaves
  // tot_len 0); tcpdump's print-ip.c makes the same guess and uses the captured length.
  if (total === 0) total = captured;
  out.ipTotalLength = total;
  if (headerLength < IPV4_MIN_HEADER || total < headerLength) return malformedIpv4(out, versionIhl, total);
  if (captured < headerLength) {
    markTruncated(out, Layer.NETWORK);
    return -1;
  }
  out.l4Offset = off + headerLength;
  return off + headerLength;
}

/**
 * The malformed-header hints, out of line: their template strings would push decodeIpv4 past the size
 * V8 inlines, and this path is cold. Returns -1 for the caller to return.
 */
function malformedIpv4(out: DecodedPacket, versionIhl: number, total: number): number {
  const headerLength = (versionIhl & 0x0f) * 4;
  if (versionIhl >> 4 !== 4) markMalformed(out, `IPv4 header with version ${versionIhl >> 4}`);
  else if (headerLength < IPV4_MIN_HEADER) markMalformed(out, `IPv4 header length ${headerLength} < 20`);
  else markMalformed(out, `IPv4 total length ${total} < header length ${headerLength}`);
  return -1;
}
