import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { u16 } from './bytes.js';
import { decodeEmbeddedHeader } from './embedded-header.js';
import { setPayload } from './payload.js';
import { markMalformed, markTruncated } from './truncate.js';

const ICMP_HEADER = 8;

/** ICMPv4 message types (RFC 792, RFC 950). */
export const IcmpType = {
  ECHO_REPLY: 0,
  DEST_UNREACHABLE: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO: 8,
  TIME_EXCEEDED: 11,
  PARAMETER_PROBLEM: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
  INFO_REQUEST: 15,
  INFO_REPLY: 16,
  MASK_REQUEST: 17,
  MASK_REPLY: 18,
} as const;

/** Destination-unreachable code 4: fragmentation needed and DF set (RFC 792, next-hop MTU per RFC 1191). */
export const ICMP_FRAG_NEEDED = 4;

/** Error messages quote the offending datagram after their 8-byte header. */
export function isIcmpError(type: number): boolean {
  return (
    type === IcmpType.DEST_UNREACHABLE ||
    type === IcmpType.SOURCE_QUENCH ||
    type === IcmpType.REDIRECT ||
    type === IcmpType.TIME_EXCEEDED ||
    type === IcmpType.PARAMETER_PROBLEM
  );
}

/**
 * ICMP (RFC 792): type, code, then the 4 type-specific bytes: echo/timestamp/info/mask id and seq,
 * the frag-needed next-hop MTU (RFC 1191: low 16 bits), the redirect gateway. Errors quote the
 * original datagram, decoded into `out.inner`. The payload starts after the 8-byte header.
 * `end` is where the IP datagram claims the message ends, `cap` where the captured bytes in `d` end.
 */
export function decodeIcmp(d: Uint8Array, off: number, end: number, cap: number, out: DecodedPacket): void {
  out.l4Offset = off;
  const capEnd = end < cap ? end : cap;
  if (end - off < ICMP_HEADER) {
    markMalformed(out, `ICMP message of ${end - off} bytes is shorter than its 8-byte header`);
    return;
  }
  if (capEnd - off >= 2) {
    out.icmpType = d[off]!;
    out.icmpCode = d[off + 1]!;
  }
  if (capEnd - off < ICMP_HEADER) {
    markTruncated(out, Layer.TRANSPORT);
    return;
  }
  const type = out.icmpType;
  switch (type) {
    case IcmpType.ECHO_REPLY:
    case IcmpType.ECHO:
    case IcmpType.TIMESTAMP:
    case IcmpType.TIMESTAMP_REPLY:
    case IcmpType.INFO_REQUEST:
    case IcmpType.INFO_REPLY:
    case IcmpType.MASK_REQUEST:
    case IcmpType.MASK_REPLY:
      out.icmpId = u16(d, off + 4);
      out.icmpSeq = u16(d, off + 6);
      break;
    case IcmpType.DEST_UNREACHABLE:
      if (out.icmpCode === ICMP_FRAG_NEEDED) out.icmpMtu = u16(d, off + 6);
      break;
    case IcmpType.REDIRECT:
      out.icmpGateway =
        (((d[off + 4]! << 24) | (d[off + 5]! << 16) | (d[off + 6]! << 8) | d[off + 7]!) >>> 0);
      break;
    default:
      break;
  }
  if (isIcmpError(type)) decodeEmbeddedHeader(d, off + ICMP_HEADER, capEnd, out.inner);
  setPayload(d, off + ICMP_HEADER, end, cap, out);
}
