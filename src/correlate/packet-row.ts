import { Net, type DecodedPacket } from '../model/packet.js';
import { PAYLOAD_HASH_LIMIT } from '../decode/payload.js';
import { fingerprint } from './fingerprint.js';

/**
 * One decoded packet as a row of numbers: what the correlator reads of a capture record and of the
 * decoder's output, and nothing more. The correlator takes packets as rows (`pushRow`): the reading thread
 * (ingest-worker.ts) writes them into memory shared with the correlating thread, which reads them where
 * they lie; read in place, a decoded packet is written into a row first (`pushPacket`).
 */
export const enum Row {
  /** RowKind. */
  KIND = 0,
  TS_SEC = 1,
  TS_NSEC = 2,
  FRAME = 3,
  FILE = 4,
  /** The interface, as an index into the names the reading thread announced. */
  IFACE = 5,
  NET = 6,
  TRUNCATED_AT = 7,
  FRAGMENT = 8,
  FRAG_OFFSET = 9,
  PACKET_TYPE = 10,
  SRC_MAC = 11,
  DST_MAC = 12,
  PROTO = 13,
  SRC = 14,
  DST = 15,
  SPORT = 16,
  DPORT = 17,
  IP_ID = 18,
  TTL = 19,
  IP_TOTAL_LENGTH = 20,
  DF = 21,
  PAYLOAD_LENGTH = 22,
  PAYLOAD_HASH = 23,
  TCP_SEQ = 24,
  TCP_ACK = 25,
  TCP_FLAGS = 26,
  ICMP_TYPE = 27,
  ICMP_CODE = 28,
  ICMP_ID = 29,
  ICMP_SEQ = 30,
  ICMP_MTU = 31,
  /** 1: the quoted IP header is whole; 2: cut after its source address (EmbeddedHeader.srcOnly); 0: neither. */
  INNER_PRESENT = 32,
  INNER_PROTO = 33,
  INNER_SRC = 34,
  INNER_DST = 35,
  INNER_SPORT = 36,
  INNER_DPORT = 37,
  INNER_ICMP_ID = 38,
  ARP_OP = 39,
  ARP_SPA = 40,
  ARP_TPA = 41,
  /** The fingerprint of the fields NAT keeps (fingerprint.ts), worked out by whoever writes the row. */
  KEY = 42,
  /**
   * The correlator's clock for the packet (ns since its first packet), written by the correlator when it
   * takes the row: its helpers read it, and the fingerprint, from the row rather than as arguments (a double
   * beyond 2^31 passed to a function V8 does not inline is boxed, an allocation per packet).
   */
  T = 43,
  /**
   * How many payload bytes the hash covers: PAYLOAD_HASH_LIMIT, or fewer where the capture's snaplen cut the
   * payload shorter. Hashes of different lengths cannot be compared.
   */
  PAYLOAD_HASHED = 44,
  /** Bytes of an ICMP error's quoted transport header the capture holds (EmbeddedHeader.l4Quoted). */
  INNER_L4 = 45,
  STRIDE = 46,
}

export const enum RowKind {
  PACKET = 0,
  /** A message waits on the control port at this point of the stream (a new interface, a warning, the end). */
  CONTROL = 1,
}

/** The capture record fields the correlator reads (a CaptureRecord has them). */
export interface RowRecord {
  tsSec: number;
  tsNsec: number;
  frame: number;
}

export function writeRow(f: Float64Array, at: number, rec: RowRecord, d: DecodedPacket, file: number, iface: number): void {
  f[at + Row.KIND] = RowKind.PACKET;
  f[at + Row.TS_SEC] = rec.tsSec;
  f[at + Row.TS_NSEC] = rec.tsNsec;
  f[at + Row.FRAME] = rec.frame;
  f[at + Row.FILE] = file;
  f[at + Row.IFACE] = iface;
  f[at + Row.NET] = d.net;
  f[at + Row.TRUNCATED_AT] = d.truncatedAt;
  f[at + Row.FRAGMENT] = d.fragment ? 1 : 0;
  f[at + Row.FRAG_OFFSET] = d.fragOffset;
  f[at + Row.PACKET_TYPE] = d.packetType;
  f[at + Row.SRC_MAC] = d.srcMac;
  f[at + Row.DST_MAC] = d.dstMac;
  f[at + Row.PROTO] = d.proto;
  f[at + Row.SRC] = d.src;
  // IPv6 is not followed, only counted where it is traffic of its own: DST says whether it is routable (1) or
  // link-local chatter — neighbour discovery, MLD, router solicitations — that every capture holds (0).
  f[at + Row.DST] = d.net === Net.IPV6 ? (routableIpv6(d.dst6) ? 1 : 0) : d.dst;
  f[at + Row.SPORT] = d.sport;
  f[at + Row.DPORT] = d.dport;
  f[at + Row.IP_ID] = d.ipId;
  f[at + Row.TTL] = d.ttl;
  f[at + Row.IP_TOTAL_LENGTH] = d.ipTotalLength;
  f[at + Row.DF] = d.df ? 1 : 0;
  f[at + Row.PAYLOAD_LENGTH] = d.payloadLength;
  f[at + Row.PAYLOAD_HASH] = d.payloadHash;
  f[at + Row.PAYLOAD_HASHED] = d.payloadCaptured < PAYLOAD_HASH_LIMIT ? d.payloadCaptured : PAYLOAD_HASH_LIMIT;
  f[at + Row.TCP_SEQ] = d.tcpSeq;
  f[at + Row.TCP_ACK] = d.tcpAck;
  f[at + Row.TCP_FLAGS] = d.tcpFlags;
  f[at + Row.ICMP_TYPE] = d.icmpType;
  f[at + Row.ICMP_CODE] = d.icmpCode;
  f[at + Row.ICMP_ID] = d.icmpId;
  f[at + Row.ICMP_SEQ] = d.icmpSeq;
  f[at + Row.ICMP_MTU] = d.icmpMtu;
  const inner = d.inner;
  f[at + Row.INNER_PRESENT] = inner.present ? 1 : inner.srcOnly ? 2 : 0;
  f[at + Row.INNER_PROTO] = inner.proto;
  f[at + Row.INNER_SRC] = inner.src;
  f[at + Row.INNER_DST] = inner.dst;
  f[at + Row.INNER_SPORT] = inner.sport;
  f[at + Row.INNER_DPORT] = inner.dport;
  f[at + Row.INNER_ICMP_ID] = inner.icmpId;
  f[at + Row.INNER_L4] = inner.l4Quoted;
  f[at + Row.ARP_OP] = d.arpOp;
  f[at + Row.ARP_SPA] = d.arpSpa;
  f[at + Row.ARP_TPA] = d.arpTpa;
  f[at + Row.KEY] = fingerprint(d);
}

/** Global unicast (2000::/3) or unique local (fc00::/7): an address a gateway forwards to, unlike link-local or multicast. */
function routableIpv6(a: Uint32Array): boolean {
  const top = a[0]! >>> 25;
  return top >>> 4 === 1 || top === 0x7e;
}
