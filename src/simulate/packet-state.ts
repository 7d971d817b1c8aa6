import type { SimPacket, Tuple } from '../model/trace.js';

/** Connection tracking state as the conntrack/state matches see it. */
export type CtState = 'new' | 'established' | 'related' | 'invalid' | 'untracked';

/**
 * The packet as it moves through the walk. Private to one `simulate` call: the walk rewrites it in place
 * (NAT, MARK) and the trace records every rewrite as a before/after diff.
 */
export interface PacketState {
  src: number;
  dst: number;
  readonly proto: number;
  sport: number;
  dport: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  icmpId: number;
  readonly size: number;
  readonly df: boolean;
  /** skb->mark. */
  mark: number;
  /** Connection mark; null when unknown (a later packet of a connection we did not see start). */
  ctmark: number | null;
  ct: CtState;
  /** Conntrack status bits the `--ctstate DNAT/SNAT` matches read. */
  dnatDone: boolean;
  snatDone: boolean;
  /** Original-direction tuple of the connection; null when unknown. */
  origSrc: number | null;
  origDst: number | null;
  inIface: string;
  /** '' until routing picked the egress interface. */
  outIface: string;
}

/** Protocols whose NAT mapping rewrites ports (nf_nat_l4proto): TCP, UDP, DCCP, SCTP, UDP-Lite. */
export function hasPorts(proto: number): boolean {
  return proto === 6 || proto === 17 || proto === 33 || proto === 132 || proto === 136;
}

/** ICMP queries whose identifier conntrack uses as the "port" (nf_conntrack_proto_icmp.c: echo, timestamp, info, address mask). */
export function isIcmpQuery(proto: number, type: number): boolean {
  return proto === 1 && (type === 8 || type === 0 || type === 13 || type === 14 || type === 15 || type === 16 || type === 17 || type === 18);
}

export function initialState(p: SimPacket): PacketState {
  const ct: CtState = p.state;
  return {
    src: p.src >>> 0,
    dst: p.dst >>> 0,
    proto: p.proto,
    sport: p.sport,
    dport: p.dport,
    icmpType: p.icmpType,
    icmpCode: p.icmpCode,
    icmpId: p.icmpId,
    size: p.size,
    df: p.df,
    mark: p.mark >>> 0,
    ctmark: ct === 'new' ? 0 : null,
    ct,
    dnatDone: false,
    snatDone: false,
    origSrc: ct === 'new' ? p.src >>> 0 : null,
    origDst: ct === 'new' ? p.dst >>> 0 : null,
    inIface: p.ingress,
    outIface: '',
  };
}

/** The connection tuple: ports for TCP/UDP…, the echo id (as sport) for ICMP queries, 0 otherwise. */
export function tupleOf(s: PacketState): Tuple {
  if (hasPorts(s.proto)) return { src: s.src, dst: s.dst, sport: s.sport, dport: s.dport };
  if (isIcmpQuery(s.proto, s.icmpType)) return { src: s.src, dst: s.dst, sport: s.icmpId, dport: 0 };
  return { src: s.src, dst: s.dst, sport: 0, dport: 0 };
}
