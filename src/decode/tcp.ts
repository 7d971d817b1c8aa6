import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { u16, u32 } from './bytes.js';
import { setPayload } from './payload.js';
import { markMalformed, markTruncated } from './truncate.js';

const TCP_MIN_HEADER = 20;
export const TCP_OPT_EOL = 0;
export const TCP_OPT_NOP = 1;
export const TCP_OPT_MSS = 2;

/**
 * TCP (RFC 9293): ports, seq/ack as unsigned 32-bit, data offset, flags (the low 8 bits: CWR…FIN),
 * window and the MSS option (RFC 9293 §3.2; the one option a NAT gateway's MTU problems turn on).
 * `end` is where the IP datagram claims the segment ends, `cap` where the captured bytes in `d` end.
 */
export function decodeTcp(d: Uint8Array, off: number, end: number, cap: number, out: DecodedPacket): void {
  out.l4Offset = off;
  const capEnd = end < cap ? end : cap;
  if (end - off < TCP_MIN_HEADER) {
    markMalformed(out, `TCP segment of ${end - off} bytes is shorter than a TCP header`);
    return;
  }
  if (capEnd - off >= 4) {
    out.sport = u16(d, off);
    out.dport = u16(d, off + 2);
  }
  if (capEnd - off < TCP_MIN_HEADER) {
    cutHeader(d, off, end, capEnd, out);
    return;
  }
  out.tcpSeq = (((d[off + 4]! << 24) | (d[off + 5]! << 16) | (d[off + 6]! << 8) | d[off + 7]!) >>> 0);
  out.tcpAck = (((d[off + 8]! << 24) | (d[off + 9]! << 16) | (d[off + 10]! << 8) | d[off + 11]!) >>> 0);
  const headerLength = (d[off + 12]! >> 4) * 4;
  out.tcpHeaderLength = headerLength;
  out.tcpFlags = d[off + 13]!;
  out.tcpWindow = u16(d, off + 14);
  if (headerLength < TCP_MIN_HEADER) {
    markMalformed(out, `TCP data offset ${headerLength} < 20`);
    return;
  }
  if (off + headerLength > end) {
    markMalformed(out, `TCP data offset ${headerLength} runs past the segment`);
    return;
  }
  if (headerLength > TCP_MIN_HEADER) readTcpOptions(d, off + TCP_MIN_HEADER, off + headerLength < capEnd ? off + headerLength : capEnd, out);
  if (capEnd < off + headerLength) {
    markTruncated(out, Layer.TRANSPORT);
    // The options were cut (a short snaplen), none of the payload captured; its length is known all the same
    // (IP total length and data offset), and correlation compares it with the copy's.
    out.payloadLength = end - off - headerLength;
    return;
  }
  setPayload(d, off + headerLength, end, cap, out);
}

/**
 * A header the capture cut short (`tcpdump -s 54` on a cooked capture leaves 18 bytes of it): what was captured of
 * sequence number, acknowledgment, data offset and flags, and window — a reset is still a reset, and the copy on the
 * other side still has the same numbers. The payload's length follows from the IP total length once the data offset is
 * read.
 */
function cutHeader(d: Uint8Array, off: number, end: number, capEnd: number, out: DecodedPacket): void {
  const have = capEnd - off;
  // A cold path (bytes.ts): u32 rather than the reads spelled out.
  if (have >= 8) out.tcpSeq = u32(d, off + 4);
  if (have >= 12) out.tcpAck = u32(d, off + 8);
  if (have >= 14) {
    const headerLength = (d[off + 12]! >> 4) * 4;
    out.tcpFlags = d[off + 13]!;
    if (headerLength >= TCP_MIN_HEADER && off + headerLength <= end) {
      out.tcpHeaderLength = headerLength;
      out.payloadLength = end - off - headerLength;
    }
  }
  if (have >= 16) out.tcpWindow = u16(d, off + 14);
  markTruncated(out, Layer.TRANSPORT);
}

/**
 * Walk the options in `d[o, optEnd)` for MSS. Out of line: only SYNs and segments with timestamps or
 * SACK carry options, and keeping the loop out of decodeTcp keeps that small enough for V8 to inline.
 */
function readTcpOptions(d: Uint8Array, o: number, optEnd: number, out: DecodedPacket): void {
  while (o < optEnd) {
    const kind = d[o]!;
    if (kind === TCP_OPT_EOL) break;
    if (kind === TCP_OPT_NOP) {
      o++;
      continue;
    }
    if (o + 1 >= optEnd) break;
    const len = d[o + 1]!;
    if (len < 2) break; // a zero/one length would loop forever; tcpdump stops here too ("bad opt")
    if (kind === TCP_OPT_MSS && len === 4 && o + 4 <= optEnd) out.tcpMss = u16(d, o + 2);
    o += len;
  }
}
