import type { DecodedPacket } from '../model/packet.js';
import { Layer, Net } from '../model/packet.js';
import { mac48, u16, u32 } from './bytes.js';
import { EtherType } from './ether-type.js';
import { markTruncated } from './truncate.js';

const ARP_FIXED = 8;
const ARP_ETHER_IPV4 = 28;
const HTYPE_ETHERNET = 1;

/**
 * ARP (RFC 826). Addresses are read for the Ethernet/IPv4 form (hlen 6, plen 4), the only one a NAT
 * gateway's neighbour problems involve; other forms keep only the opcode. ARP is the last layer.
 */
export function decodeArp(d: Uint8Array, off: number, out: DecodedPacket): void {
  out.net = Net.ARP;
  out.netOffset = off;
  if (d.length - off < ARP_FIXED) {
    markTruncated(out, Layer.NETWORK);
    return;
  }
  out.arpOp = u16(d, off + 6);
  const htype = u16(d, off);
  const ptype = u16(d, off + 2);
  if (htype !== HTYPE_ETHERNET || ptype !== EtherType.IPV4 || d[off + 4] !== 6 || d[off + 5] !== 4) return;
  if (d.length - off < ARP_ETHER_IPV4) {
    markTruncated(out, Layer.NETWORK);
    return;
  }
  out.arpSha = mac48(d, off + 8);
  out.arpSpa = u32(d, off + 14);
  out.arpTha = mac48(d, off + 18);
  out.arpTpa = u32(d, off + 24);
}
