import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { ipv6Words, u16, u32 } from './bytes.js';
import { decodeEmbeddedHeader } from './embedded-header.js';
import { setPayload } from './payload.js';
import { markMalformed, markTruncated } from './truncate.js';

const ICMPV6_HEADER = 8;
const ND_TARGET_END = 24;

/** ICMPv6 message types (RFC 4443, RFC 4861). */
export const Icmpv6Type = {
  DEST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
  REDIRECT: 137,
} as const;

/** Types below 128 are errors and quote the offending packet (RFC 4443 §2.1). */
export function isIcmpv6Error(type: number): boolean {
  return type < 128;
}

/**
 * ICMPv6 (RFC 4443): echo id/seq, packet-too-big MTU (32 bits), errors with the quoted packet in
 * `out.inner`, and the target address of neighbour solicitation/advertisement and redirect
 * (RFC 4861 §4.3–4.5), which says whose address is being resolved. Payload starts at byte 8.
 * `end` is where the IP datagram claims the message ends, `cap` where the captured bytes in `d` end.
 */
export function decodeIcmpv6(d: Uint8Array, off: number, end: number, cap: number, out: DecodedPacket): void {
  out.l4Offset = off;
  const capEnd = end < cap ? end : cap;
  if (end - off < ICMPV6_HEADER) {
    markMalformed(out, `ICMPv6 message of ${end - off} bytes is shorter than 8 bytes`);
    return;
  }
  if (capEnd - off >= 2) {
    out.icmpType = d[off]!;
    out.icmpCode = d[off + 1]!;
  }
  if (capEnd - off < ICMPV6_HEADER) {
    markTruncated(out, Layer.TRANSPORT);
    return;
  }
  const type = out.icmpType;
  if (type === Icmpv6Type.ECHO_REQUEST || type === Icmpv6Type.ECHO_REPLY) {
    out.icmpId = u16(d, off + 4);
    out.icmpSeq = u16(d, off + 6);
  } else if (type === Icmpv6Type.PACKET_TOO_BIG) {
    out.icmpMtu = u32(d, off + 4);
  } else if (
    type === Icmpv6Type.NEIGHBOR_SOLICITATION ||
    type === Icmpv6Type.NEIGHBOR_ADVERTISEMENT ||
    type === Icmpv6Type.REDIRECT
  ) {
    if (end - off < ND_TARGET_END) {
      markMalformed(out, `ICMPv6 type ${type} of ${end - off} bytes has no target address`);
      return;
    }
    if (capEnd - off < ND_TARGET_END) {
      markTruncated(out, Layer.TRANSPORT);
      return;
    }
    ipv6Words(d, off + 8, out.ndTarget6);
  }
  if (isIcmpv6Error(type)) decodeEmbeddedHeader(d, off + ICMPV6_HEADER, capEnd, out.inner);
  setPayload(d, off + ICMPV6_HEADER, end, cap, out);
}
