import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { u16 } from './bytes.js';
import { markTruncated } from './truncate.js';
import { isVlanTag, skipVlanTags } from './vlan.js';

const ETHERNET_HEADER = 14;

/**
 * LINKTYPE_ETHERNET (1): destination MAC, source MAC, EtherType, then any 802.1Q/802.1ad tags.
 * The frame is `d[o, cap)`. Names the next layer in `out.etherType`; returns the network header's
 * offset in `d` or -1.
 */
export function decodeEthernet(d: Uint8Array, o: number, cap: number, out: DecodedPacket): number {
  if (cap - o < ETHERNET_HEADER) {
    markTruncated(out, Layer.LINK);
    return -1;
  }
  out.dstMac = ((d[o]! << 8) | d[o + 1]!) * 0x1_0000_0000 +
    (((d[o + 2]! << 24) | (d[o + 3]! << 16) | (d[o + 4]! << 8) | d[o + 5]!) >>> 0);
  out.srcMac = ((d[o + 6]! << 8) | d[o + 7]!) * 0x1_0000_0000 +
    (((d[o + 8]! << 24) | (d[o + 9]! << 16) | (d[o + 10]! << 8) | d[o + 11]!) >>> 0);
  const etherType = u16(d, o + 12);
  out.etherType = etherType;
  // Most frames carry no tag: skip the call (it is measurable per packet).
  return isVlanTag(etherType) ? skipVlanTags(d, o + ETHERNET_HEADER, cap, out) : o + ETHERNET_HEADER;
}
