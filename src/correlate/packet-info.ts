/** Direction of a packet on the interface it was captured on. */
export const Dir = { UNKNOWN: 0, IN: 1, OUT: 2 } as const;
export type DirId = 0 | 1 | 2;

/**
 * One packet the correlator hands on: a connection's samples (its first packets, its first unmatched
 * arrivals), their matched partners, and each connection's first translation (`peer`, `replyPeer`).
 * Made from the rows the correlator keeps (packet-store.ts) when read. Packets that are none of
 * these never become objects: while they wait for their copy they are a row in the correlator's packet
 * ring (packet-ring.ts).
 */
export interface PacketInfo {
  /** Index into the list of capture files. */
  readonly file: number;
  readonly frame: number;
  /** Index into the list of interface names. */
  readonly iface: number;
  readonly tsSec: number;
  readonly tsNsec: number;
  /** Nanoseconds since the run's base time (exact: < 2^53 ns ≈ 104 days). */
  readonly t: number;
  readonly arrivalDir: DirId;
  dir: DirId;
  readonly proto: number;
  readonly src: number;
  readonly dst: number;
  /** TCP/UDP ports; ICMP echo: sport = echo id, dport = 0. */
  readonly sport: number;
  readonly dport: number;
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly icmpSeq: number;
  readonly ipId: number;
  readonly ttl: number;
  readonly length: number;
  readonly df: boolean;
  readonly payloadLength: number;
  readonly payloadHash: number;
  readonly tcpSeq: number;
  readonly tcpAck: number;
  readonly tcpFlags: number;
  /** Ethernet addresses (0 when the link has none): learn the gateway's own MAC per interface. */
  readonly srcMac: number;
  readonly dstMac: number;
  /** Fingerprint of the fields NAT keeps (see fingerprint.ts). */
  readonly key: number;
  /** 0 = the connection's original direction, 1 = reply. */
  connDir: 0 | 1;
  connId: number;
  match: PacketInfo | null;
  /** No copy was captured, but the far end acknowledged it (TCP): the capture missed the copy (tcp-acks.ts). */
  copyUnseen: boolean;
  /**
   * Segmentation offload (resegment.ts): 'merged', an arrival larger than the segments it left as (its `match`
   * is the first of them); 'piece', one of those segments (its `match` is the arrival, when it was kept); else null.
   */
  offload: 'merged' | 'piece' | null;
  /** Index in its connection's sample list, -1 when not sampled. */
  sample: number;
}

export function isEchoRequest(type: number): boolean {
  return type === 8;
}

export function isEcho(type: number): boolean {
  return type === 8 || type === 0;
}

/** ICMP error types that quote the datagram they are about (RFC 792). */
export function isIcmpError(type: number): boolean {
  return type === 3 || type === 4 || type === 5 || type === 11 || type === 12;
}

/** An IPv4 packet's addresses are unicast that can be forwarded: not broadcast, multicast, loopback, link-local, unspecified. */
export function forwardableIpv4(src: number, dst: number): boolean {
  const top = dst >>> 24;
  if (dst === 0xffffffff || top >= 224 || top === 127 || top === 0) return false;
  if (dst >>> 16 === 0xa9fe) return false; // 169.254/16
  return src >>> 24 !== 127;
}
