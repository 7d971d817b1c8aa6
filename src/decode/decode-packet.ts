import { LinkType, type CaptureRecord } from '../model/capture.js';
import { ReaderRecord } from '../ingest/reader-record.js';
import type { DecodedPacket } from '../model/packet.js';
import { Net, Proto, resetDecodedPacket } from '../model/packet.js';
import { decodeArp } from './arp.js';
import { EtherType } from './ether-type.js';
import { decodeEthernet } from './ethernet.js';
import { decodeIcmp } from './icmp.js';
import { decodeIcmpv6 } from './icmpv6.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeLinuxSll } from './linux-sll.js';
import { decodeLinuxSll2 } from './linux-sll2.js';
import { decodeNullLoop } from './null-loop.js';
import { setPayload, setWordView } from './payload.js';
import { decodeRawIp } from './raw-ip.js';
import { decodeTcp } from './tcp.js';
import { markMalformed } from './truncate.js';
import { decodeUdp } from './udp.js';

/**
 * Decode one captured frame of `linkType` into `out` (reset first). Each layer's module reads its own
 * bytes and names the next layer (EtherType, IP protocol); this function only dispatches. Never throws:
 * a capture cut short marks `truncatedAt`, a header that cannot be right sets `malformed`, and decoding
 * stops there. Allocates nothing on well-formed packets.
 */
export function decodePacket(linkType: number, data: Uint8Array, out: DecodedPacket): void {
  decodeFrame(linkType, data, 0, data.length, out);
}

/**
 * Decode a record straight from the reader's buffer when it comes from `openCapture` (no view made
 * per packet: see ReaderRecord); any other CaptureRecord through its `data`.
 */
export function decodeRecord(rec: CaptureRecord, out: DecodedPacket): void {
  if (rec instanceof ReaderRecord) {
    setWordView(rec.bytes, rec.view);
    decodeFrame(rec.linkType, rec.bytes, rec.dataOffset, rec.dataOffset + rec.caplen, out);
  } else decodeFrame(rec.linkType, rec.data, 0, rec.data.length, out);
}

/**
 * `decodePacket` over the frame `buf[start, end)` of a larger buffer. The layer decoders work in
 * offsets of `buf` and bound every read by `end`; the offsets left in `out` (netOffset, l4Offset,
 * payloadOffset) are made relative to the frame's first byte, as for `decodePacket`.
 */
export function decodeFrame(linkType: number, buf: Uint8Array, start: number, end: number, out: DecodedPacket): void {
  resetDecodedPacket(out);
  out.linkType = linkType;
  decodeLayers(linkType, buf, start, end, out);
  if (start !== 0) {
    // Offsets a layer set are ≥ start > 0; those still 0 were never set and stay so.
    if (out.netOffset !== 0) out.netOffset -= start;
    if (out.l4Offset !== 0) out.l4Offset -= start;
    if (out.payloadOffset !== 0) out.payloadOffset -= start;
  }
}

function decodeLayers(linkType: number, d: Uint8Array, start: number, cap: number, out: DecodedPacket): void {
  let off: number;
  switch (linkType) {
    case LinkType.EN10MB:
      off = decodeEthernet(d, start, cap, out);
      break;
    case LinkType.LINUX_SLL:
      off = decodeLinuxSll(d, start, cap, out);
      break;
    case LinkType.LINUX_SLL2:
      off = decodeLinuxSll2(d, start, cap, out);
      break;
    case LinkType.RAW:
      off = decodeRawIp(d, start, cap, out);
      break;
    case LinkType.IPV4:
      out.etherType = EtherType.IPV4;
      off = start;
      break;
    case LinkType.IPV6:
      out.etherType = EtherType.IPV6;
      off = start;
      break;
    case LinkType.NULL:
    case LinkType.LOOP:
      off = decodeNullLoop(d, start, cap, out);
      break;
    default:
      markMalformed(out, `link type ${linkType} is not decoded`);
      return;
  }
  if (off < 0) return;
  // The network and transport dispatch stay in this one function: a call per layer is measurable
  // at millions of packets a second.
  let l4: number;
  switch (out.etherType) {
    case EtherType.IPV4:
      l4 = decodeIpv4(d, off, cap, out);
      break;
    case EtherType.IPV6:
      l4 = decodeIpv6(d, off, cap, out);
      break;
    case EtherType.ARP:
      decodeArp(d, off, cap, out);
      return;
    default:
      out.net = Net.OTHER;
      out.netOffset = off;
      return;
  }
  if (l4 < 0) return;
  const end = out.netOffset + out.ipTotalLength;
  // Only the first fragment holds the transport header (RFC 791, RFC 8200 §4.5); a later one is all
  // payload, which is still worth hashing to follow the fragment across the gateway.
  if (out.fragOffset !== 0) {
    setPayload(d, l4, end, cap, out);
    return;
  }
  const v4 = out.net === Net.IPV4;
  switch (out.proto) {
    case Proto.TCP:
      decodeTcp(d, l4, end, cap, out);
      return;
    case Proto.UDP:
      decodeUdp(d, l4, end, cap, out);
      return;
    case Proto.ICMP:
      if (v4) decodeIcmp(d, l4, end, cap, out);
      else setPayload(d, l4, end, cap, out);
      return;
    case Proto.ICMPV6:
      if (!v4) decodeIcmpv6(d, l4, end, cap, out);
      else setPayload(d, l4, end, cap, out);
      return;
    default:
      setPayload(d, l4, end, cap, out);
  }
}
