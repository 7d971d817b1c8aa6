import type { DecodedPacket } from '../model/packet.js';
import { Layer, Net } from '../model/packet.js';
import { u16 } from './bytes.js';
import { EtherType } from './ether-type.js';
import { markTruncated } from './truncate.js';

const ARP_FIXED = 8;
const ARP_ETHER_IPV4 = 28;
const HTYPE_ETHERNET = 1;

/**
 * ARP (RFC 826). Addresses are read for the Ethernet/IPv4 form (hlen 6, plen 4), the only one a NAT
 * gateway's neighbour problems involve; other forms keep only the opcode. ARP is the last layer.
 * The capture holds `d` up to `cap`.
 */
export function decodeArp(d: Uint8Array, off: number, cap: number, out: DecodedPacket): void {
  out.net = Net.ARP;
  out.netOffset = off;
  if (cap - off < ARP_FIXED) {
    markTruncated(out, Layer.NETWORK);
    return;
  }
  out.arpOp = u16(d, off + 6);
  const htype = u16(d, off);
  const ptype = u16(d, off + 2);
  if (htype !== HTYPE_ETHERNET || ptype !== EtherType.IPV4 || d[off + 4] !== 6 || d[off + 5] !== 4) return;
  if (cap - off < ARP_ETHER_IPV4) {
    markTruncated(out, Layer.NETWORK);
    return;
  }
  out.arpSha = ((d[off + 8]! << 8) | d[off + 9]!) * 0x1_0000_0000 +
    (((d[off + 10]! << 24) | (d[off + 11]! << 16) | (d[off + 12]! << 8) | d[off + 13]!) >>> 0);
  out.arpSpa = (((d[off + 14]! << 24) | (d[off + 15]! << 16) | (d[off + 16]! << 8) | d[off + 17]!) >>> 0);
  out.arpTha = ((d[off + 18]! << 8) | d[off + 19]!) * 0x1_0000_0000 +
    (((d[off + 20]! << 24) | (d[off + 21]! << 16) | (d[off + 22]! << 8) | d[off + 23]!) >>> 0);
  out.arpTpa = (((d[off + 24]! << 24) | (d[off + 25]! << 16) | (d[off + 26]! << 8) | d[off + 27]!) >>> 0);
}
