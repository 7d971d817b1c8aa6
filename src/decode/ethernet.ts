import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { u16 } from './bytes.js';
import { markTruncated } from './truncate.js';
import { skipVlanTags } from './vlan.js';

const ETHERNET_HEADER = 14;

/**
 * LINKTYPE_ETHERNET (1): destination MAC, source MAC, EtherType, then any 802.1Q/802.1ad tags.
 * Names the next layer in `out.etherType`; returns the network header's offset or -1.
 */
export function decodeEthernet(d: Uint8Array, out: DecodedPacket): number {
  if (d.length < ETHERNET_HEADER) {
    markTruncated(out, Layer.LINK);
    return -1;
  }
  out.dstMac = ((d[0]! << 8) | d[1]!) * 0x1_0000_0000 +
    (((d[2]! << 24) | (d[3]! << 16) | (d[4]! << 8) | d[5]!) >>> 0);
  out.srcMac = ((d[6]! << 8) | d[7]!) * 0x1_0000_0000 +
    (((d[8]! << 24) | (d[9]! << 16) | (d[10]! << 8) | d[11]!) >>> 0);
  out.etherType = u16(d, 12);
  return skipVlanTags(d, ETHERNET_HEADER, out);
}
