import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { u16 } from './bytes.js';
import { markTruncated } from './truncate.js';
import { skipVlanTags } from './vlan.js';

const SLL_HEADER = 16;
/** ARPHRD_ETHER: the link-layer address field holds the sender's MAC. */
export const ARPHRD_ETHER = 1;
/** ARPHRD_NETLINK: the protocol field is a netlink family, not an EtherType. */
export const ARPHRD_NETLINK = 824;

/**
 * LINKTYPE_LINUX_SLL (113, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html): packet type,
 * ARPHRD type, address length, 8 address bytes, protocol. libpcap re-inserts stripped VLAN tags, so
 * tags may follow. The frame is `d[o, cap)`; returns the network header's offset in `d` or -1.
 */
export function decodeLinuxSll(d: Uint8Array, o: number, cap: number, out: DecodedPacket): number {
  if (cap - o < SLL_HEADER) {
    markTruncated(out, Layer.LINK);
    return -1;
  }
  out.packetType = u16(d, o);
  const hatype = u16(d, o + 2);
  const addrLen = u16(d, o + 4);
  if (hatype === ARPHRD_ETHER && addrLen === 6) out.srcMac = ((d[o + 6]! << 8) | d[o + 7]!) * 0x1_0000_0000 +
    (((d[o + 8]! << 24) | (d[o + 9]! << 16) | (d[o + 10]! << 8) | d[o + 11]!) >>> 0);
  // A netlink family number would be misread as an EtherType; 0 names no network layer.
  out.etherType = hatype === ARPHRD_NETLINK ? 0 : u16(d, o + 14);
  return skipVlanTags(d, o + SLL_HEADER, cap, out);
}
