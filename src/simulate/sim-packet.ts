import type { SimPacket } from '../model/trace.js';

/**
 * A SimPacket with the usual defaults filled in: no ports, no ICMP fields, a 64-byte-payload size for the
 * protocol (ping's default 84 bytes; a bare TCP/UDP header otherwise), DF clear, a new connection, mark 0.
 */
export function simPacket(p: Pick<SimPacket, 'ingress' | 'src' | 'dst' | 'proto'> & Partial<SimPacket>): SimPacket {
  const icmp = p.proto === 1;
  return {
    ingress: p.ingress,
    src: p.src >>> 0,
    dst: p.dst >>> 0,
    proto: p.proto,
    sport: p.sport ?? 0,
    dport: p.dport ?? 0,
    icmpType: p.icmpType ?? (icmp ? 8 : -1),
    icmpCode: p.icmpCode ?? (icmp ? 0 : -1),
    icmpId: p.icmpId ?? (icmp ? 0 : -1),
    size: p.size ?? (icmp ? 84 : p.proto === 6 ? 60 : 28),
    df: p.df ?? false,
    state: p.state ?? 'new',
    mark: p.mark ?? 0,
  };
}
