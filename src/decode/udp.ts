import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { u16 } from './bytes.js';
import { setPayload } from './payload.js';
import { markMalformed, markTruncated } from './truncate.js';

const UDP_HEADER = 8;

/**
 * UDP (RFC 768). The payload ends where the UDP length says when that lies inside the IP datagram.
 * A first fragment's UDP length covers the whole reassembled datagram, so it may exceed this piece;
 * length 0 is an IPv6 jumbogram (RFC 2675). Other mismatches are malformed, the IP end is used.
 * `end` is the IP datagram's claimed end, `cap` where the captured bytes in `d` end.
 */
export function decodeUdp(d: Uint8Array, off: number, end: number, cap: number, out: DecodedPacket): void {
  out.l4Offset = off;
  const capEnd = end < cap ? end : cap;
  if (end - off < UDP_HEADER) {
    markMalformed(out, `UDP datagram of ${end - off} bytes is shorter than a UDP header`);
    return;
  }
  if (capEnd - off >= 4) {
    out.sport = u16(d, off);
    out.dport = u16(d, off + 2);
  }
  if (capEnd - off < UDP_HEADER) {
    markTruncated(out, Layer.TRANSPORT);
    return;
  }
  const udpLength = u16(d, off + 4);
  let payloadEnd = end;
  if (udpLength >= UDP_HEADER && off + udpLength <= end) payloadEnd = off + udpLength;
  else if (udpLength !== 0 && !out.mf) markMalformed(out, `UDP length ${udpLength} does not fit the IP payload`);
  setPayload(d, off + UDP_HEADER, payloadEnd, cap, out);
}
