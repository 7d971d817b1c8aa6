import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { u16, u32 } from './bytes.js';
import { ARPHRD_ETHER, ARPHRD_NETLINK } from './linux-sll.js';
import { markTruncated } from './truncate.js';
import { skipVlanTags } from './vlan.js';

const SLL2_HEADER = 20;

/**
 * LINKTYPE_LINUX_SLL2 (276, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html), what
 * `tcpdump -i any` writes since libpcap 1.10: protocol, reserved, interface index, ARPHRD type,
 * packet type, address length, 8 address bytes. The interface index is what splits an `-i any`
 * capture per interface. The frame is `d[o, cap)`; returns the network header's offset in `d` or -1.
 */
export function decodeLinuxSll2(d: Uint8Array, o: number, cap: number, out: DecodedPacket): number {
  if (cap - o < SLL2_HEADER) {
    markTruncated(out, Layer.LINK);
    return -1;
  }
  const protocol = u16(d, o);
  out.ifIndex = u32(d, o + 4);
  const hatype = u16(d, o + 8);
  out.packetType = d[o + 10]!;
  const addrLen = d[o + 11]!;
  if (hatype === ARPHRD_ETHER && addrLen === 6) out.srcMac = ((d[o + 12]! << 8) | d[o + 13]!) * 0x1_0000_0000 +
    (((d[o + 14]! << 24) | (d[o + 15]! << 16) | (d[o + 16]! << 8) | d[o + 17]!) >>> 0);
  out.etherType = hatype === ARPHRD_NETLINK ? 0 : protocol;
  return skipVlanTags(d, o + SLL2_HEADER, cap, out);
}
