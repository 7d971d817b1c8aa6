import type { DecodedPacket } from '../model/packet.js';
import { Layer } from '../model/packet.js';
import { mac48, u16 } from './bytes.js';
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
  out.dstMac = mac48(d, 0);
  out.srcMac = mac48(d, 6);
  out.etherType = u16(d, 12);
  return skipVlanTags(d, ETHERNET_HEADER, out);
}
