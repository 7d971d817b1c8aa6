import { Net, type DecodedPacket } from '../model/packet.js';
import type { SimPacket } from '../model/trace.js';

/**
 * The SimPacket for a decoded IPv4 packet as it arrived on `ingress` (the correlation's way to ask "what should
 * the gateway have done with this one"). Null for anything the simulator does not model (IPv6, ARP, non-first
 * fragments whose ports are unknown).
 */
export function simPacketFromDecoded(d: DecodedPacket, ingress: string, state: SimPacket['state'] = 'new', mark = 0): SimPacket | null {
  if (d.net !== Net.IPV4) return null;
  if (d.fragment && d.fragOffset > 0) return null;
  const icmp = d.proto === 1;
  const ported = d.proto === 6 || d.proto === 17 || d.proto === 33 || d.proto === 132 || d.proto === 136;
  return {
    ingress,
    src: d.src >>> 0,
    dst: d.dst >>> 0,
    proto: d.proto,
    sport: ported ? d.sport : 0,
    dport: ported ? d.dport : 0,
    icmpType: icmp ? d.icmpType : -1,
    icmpCode: icmp ? d.icmpCode : -1,
    icmpId: icmp ? d.icmpId : -1,
    size: d.ipTotalLength,
    df: d.df,
    state,
    mark,
  };
}
