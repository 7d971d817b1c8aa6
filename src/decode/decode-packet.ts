import { LinkType } from '../model/capture.js';
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
import { setPayload } from './payload.js';
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
  resetDecodedPacket(out);
  out.linkType = linkType;
  let off: number;
  switch (linkType) {
    case LinkType.EN10MB:
      off = decodeEthernet(data, out);
      break;
    case LinkType.LINUX_SLL:
      off = decodeLinuxSll(data, out);
      break;
    case LinkType.LINUX_SLL2:
      off = decodeLinuxSll2(data, out);
      break;
    case LinkType.RAW:
      off = decodeRawIp(data, out);
      break;
    case LinkType.IPV4:
      out.etherType = EtherType.IPV4;
      off = 0;
      break;
    case LinkType.IPV6:
      out.etherType = EtherType.IPV6;
      off = 0;
      break;
    case LinkType.NULL:
    case LinkType.LOOP:
      off = decodeNullLoop(data, out);
      break;
    default:
      markMalformed(out, `link type ${linkType} is not decoded`);
      return;
  }
  if (off < 0) return;
  decodeNetwork(data, off, out);
}

function decodeNetwork(d: Uint8Array, off: number, out: DecodedPacket): void {
  let l4: number;
  switch (out.etherType) {
    case EtherType.IPV4:
      l4 = decodeIpv4(d, off, out);
      break;
    case EtherType.IPV6:
      l4 = decodeIpv6(d, off, out);
      break;
    case EtherType.ARP:
      decodeArp(d, off, out);
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
    setPayload(d, l4, end, out);
    return;
  }
  const v4 = out.net === Net.IPV4;
  switch (out.proto) {
    case Proto.TCP:
      decodeTcp(d, l4, end, out);
      return;
    case Proto.UDP:
      decodeUdp(d, l4, end, out);
      return;
    case Proto.ICMP:
      if (v4) decodeIcmp(d, l4, end, out);
      else setPayload(d, l4, end, out);
      return;
    case Proto.ICMPV6:
      if (!v4) decodeIcmpv6(d, l4, end, out);
      else setPayload(d, l4, end, out);
      return;
    default:
      setPayload(d, l4, end, out);
  }
}
