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
 * capture per interface. Returns the network header's offset or -1.
 */
export function decodeLinuxSll2(d: Uint8Array, out: DecodedPacket): number {
  if (d.length < SLL2_HEADER) {
    markTruncated(out, Layer.LINK);
    return -1;
  }
  const protocol = u16(d, 0);
  out.ifIndex = u32(d, 4);
  const hatype = u16(d, 8);
  out.packetType = d[10]!;
  const addrLen = d[11]!;
  if (hatype === ARPHRD_ETHER && addrLen === 6) out.srcMac = ((d[12]! << 8) | d[13]!) * 0x1_0000_0000 +
    (((d[14]! << 24) | (d[15]! << 16) | (d[16]! << 8) | d[17]!) >>> 0);
  out.etherType = hatype === ARPHRD_NETLINK ? 0 : protocol;
  return skipVlanTags(d, SLL2_HEADER, out);
}
