/**
 * The decoder's output for one packet. Like gopacket layers, each protocol fills its own fields and
 * names the next layer. To keep the per-packet hot path free of allocation, the decoder OVERWRITES
 * one `DecodedPacket` (make it once with `newDecodedPacket()`); copy what you keep.
 * IPv4 addresses are unsigned 32-bit integers (`>>> 0`); IPv6 ones are four words in `src6`/`dst6`.
 */

export const Layer = {
  NONE: 0,
  LINK: 1,
  NETWORK: 2,
  TRANSPORT: 3,
  PAYLOAD: 4,
} as const;
export type LayerId = (typeof Layer)[keyof typeof Layer];

/** What the network layer is. */
export const Net = {
  NONE: 0,
  ARP: 1,
  IPV4: 4,
  IPV6: 6,
  OTHER: 9,
} as const;

/** IP protocol numbers we decode. */
export const Proto = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  ICMPV6: 58,
} as const;

/** Linux SLL/SLL2 packet types (direction as the capturing host saw it). */
export const PacketType = {
  HOST: 0,
  BROADCAST: 1,
  MULTICAST: 2,
  OTHERHOST: 3,
  OUTGOING: 4,
  UNKNOWN: 255,
} as const;

export const TcpFlag = { FIN: 1, SYN: 2, RST: 4, PSH: 8, ACK: 16, URG: 32, ECE: 64, CWR: 128 } as const;

/** The header an ICMP error quotes (RFC 792: IP header + first 8 bytes of the original datagram). */
export interface EmbeddedHeader {
  present: boolean;
  src: number;
  dst: number;
  src6: Uint32Array;
  dst6: Uint32Array;
  proto: number;
  ipId: number;
  ttl: number;
  totalLength: number;
  sport: number;
  dport: number;
  /** ICMP echo id/seq when the quoted datagram was an echo. */
  icmpType: number;
  icmpId: number;
  icmpSeq: number;
  /** TCP seq of the quoted segment (first 8 bytes cover it). */
  tcpSeq: number;
  /**
   * Bytes of the quoted transport header the capture holds, up to the 8 every error quotes (RFC 792): fewer when
   * a short snaplen (`tcpdump -s 64`) cut the quote, which then lacks the ports or the echo id past them.
   */
  l4Quoted: number;
  /**
   * The capture cut the quote inside the quoted IPv4 header, after its source address (`tcpdump -i any -s 64` keeps 16
   * of its 20 bytes): `present` is false, but `ipId`, `ttl`, `proto` and `src` are read.
   */
  srcOnly: boolean;
}

export interface DecodedPacket {
  /** Deepest layer that was cut short by the capture (Layer.NONE when whole). */
  truncatedAt: LayerId;
  /** Set when a header is malformed (not merely short): a short human hint, '' otherwise. */
  malformed: string;

  // ---- link
  linkType: number;
  /** Ethernet addresses as 48-bit numbers (exact in a double); 0 when absent. */
  srcMac: number;
  dstMac: number;
  /** Outermost-first VLAN ids of 802.1Q / 802.1ad tags; `vlanCount` of them are valid. */
  vlanIds: Uint16Array;
  vlanCount: number;
  etherType: number;
  /** SLL/SLL2 packet type; PacketType.UNKNOWN for links that do not say. */
  packetType: number;
  /** SLL2 interface index (the `-i any` capture's interface); -1 when the link does not say. */
  ifIndex: number;

  // ---- network
  net: number; // Net.*
  /** Offset of the network header within the frame. */
  netOffset: number;
  src: number;
  dst: number;
  src6: Uint32Array;
  dst6: Uint32Array;
  ipHeaderLength: number;
  /** IPv4 total length / IPv6 40 + payload length, as the header claims. */
  ipTotalLength: number;
  ipId: number;
  ttl: number;
  tos: number;
  df: boolean;
  mf: boolean;
  /** Fragment offset in bytes (IPv4 and the IPv6 fragment header). */
  fragOffset: number;
  /** True for any fragment (MF set or offset > 0); such packets carry L4 headers only when fragOffset = 0. */
  fragment: boolean;
  /** IPv4 options present (header longer than 20 bytes). */
  ipOptions: boolean;
  /** IPv6 flow label. */
  flowLabel: number;
  /** Upper-layer protocol after IPv6 extension headers. */
  proto: number;

  // ---- transport
  l4Offset: number;
  sport: number;
  dport: number;
  tcpFlags: number;
  tcpSeq: number;
  tcpAck: number;
  tcpWindow: number;
  tcpHeaderLength: number;
  /** MSS option, 0 when absent. */
  tcpMss: number;
  icmpType: number;
  icmpCode: number;
  icmpId: number;
  icmpSeq: number;
  /** Next-hop MTU of an ICMP frag-needed (type 3 code 4) / ICMPv6 packet-too-big. */
  icmpMtu: number;
  /** Gateway address of an ICMP redirect (type 5), 0 otherwise. */
  icmpGateway: number;
  /** ICMPv6 NS/NA target address. */
  ndTarget6: Uint32Array;
  inner: EmbeddedHeader;

  // ---- payload (after the L4 header; for ICMP echo after id/seq)
  payloadOffset: number;
  /** Payload length as the headers claim it (may exceed what was captured). */
  payloadLength: number;
  /** Bytes of payload actually in the capture. */
  payloadCaptured: number;
  /**
   * XXH32 (xxHash, seed 0, src/decode/xxhash32.ts) over the captured payload bytes, at most the
   * first 64 (`PAYLOAD_HASH_LIMIT` in src/decode/payload.ts: hashing whole payloads would dominate
   * decoding time); 0 when there are none. It depends only on those bytes, so the same payload hashes
   * the same in any capture that kept at least its first 64 bytes (or all of a shorter one).
   */
  payloadHash: number;

  // ---- ARP
  arpOp: number;
  arpSha: number;
  arpSpa: number;
  arpTha: number;
  arpTpa: number;
}

function newEmbedded(): EmbeddedHeader {
  return {
    present: false,
    src: 0,
    dst: 0,
    src6: new Uint32Array(4),
    dst6: new Uint32Array(4),
    proto: 0,
    ipId: 0,
    ttl: 0,
    totalLength: 0,
    sport: 0,
    dport: 0,
    icmpType: 0,
    icmpId: 0,
    icmpSeq: 0,
    tcpSeq: 0,
    l4Quoted: 0,
    srcOnly: false,
  };
}

/** Make the one reusable struct; `resetDecodedPacket` clears it before each packet. */
export function newDecodedPacket(): DecodedPacket {
  const p: DecodedPacket = {
    truncatedAt: Layer.NONE,
    malformed: '',
    linkType: 0,
    srcMac: 0,
    dstMac: 0,
    vlanIds: new Uint16Array(4),
    vlanCount: 0,
    etherType: 0,
    packetType: PacketType.UNKNOWN,
    ifIndex: -1,
    net: Net.NONE,
    netOffset: 0,
    src: 0,
    dst: 0,
    src6: new Uint32Array(4),
    dst6: new Uint32Array(4),
    ipHeaderLength: 0,
    ipTotalLength: 0,
    ipId: 0,
    ttl: 0,
    tos: 0,
    df: false,
    mf: false,
    fragOffset: 0,
    fragment: false,
    ipOptions: false,
    flowLabel: 0,
    proto: 0,
    l4Offset: 0,
    sport: 0,
    dport: 0,
    tcpFlags: 0,
    tcpSeq: 0,
    tcpAck: 0,
    tcpWindow: 0,
    tcpHeaderLength: 0,
    tcpMss: 0,
    icmpType: 0,
    icmpCode: 0,
    icmpId: 0,
    icmpSeq: 0,
    icmpMtu: 0,
    icmpGateway: 0,
    ndTarget6: new Uint32Array(4),
    inner: newEmbedded(),
    payloadOffset: 0,
    payloadLength: 0,
    payloadCaptured: 0,
    payloadHash: 0,
    arpOp: 0,
    arpSha: 0,
    arpSpa: 0,
    arpTha: 0,
    arpTpa: 0,
  };
  return p;
}

function clear4(w: Uint32Array): void {
  w[0] = 0;
  w[1] = 0;
  w[2] = 0;
  w[3] = 0;
}

/** Clear `p` for the next packet, keeping its typed arrays (the decoder calls this first). */
export function resetDecodedPacket(p: DecodedPacket): void {
  p.truncatedAt = Layer.NONE;
  p.malformed = '';
  p.linkType = 0;
  p.srcMac = 0;
  p.dstMac = 0;
  if (p.vlanCount !== 0) p.vlanIds.fill(0);
  p.vlanCount = 0;
  p.etherType = 0;
  p.packetType = PacketType.UNKNOWN;
  p.ifIndex = -1;
  p.net = Net.NONE;
  p.netOffset = 0;
  p.src = 0;
  p.dst = 0;
  clear4(p.src6);
  clear4(p.dst6);
  p.ipHeaderLength = 0;
  p.ipTotalLength = 0;
  p.ipId = 0;
  p.ttl = 0;
  p.tos = 0;
  p.df = false;
  p.mf = false;
  p.fragOffset = 0;
  p.fragment = false;
  p.ipOptions = false;
  p.flowLabel = 0;
  p.proto = 0;
  p.l4Offset = 0;
  p.sport = 0;
  p.dport = 0;
  p.tcpFlags = 0;
  p.tcpSeq = 0;
  p.tcpAck = 0;
  p.tcpWindow = 0;
  p.tcpHeaderLength = 0;
  p.tcpMss = 0;
  p.icmpType = 0;
  p.icmpCode = 0;
  p.icmpId = 0;
  p.icmpSeq = 0;
  p.icmpMtu = 0;
  p.icmpGateway = 0;
  clear4(p.ndTarget6);
  const e = p.inner;
  e.present = false;
  e.src = 0;
  e.dst = 0;
  clear4(e.src6);
  clear4(e.dst6);
  e.proto = 0;
  e.ipId = 0;
  e.ttl = 0;
  e.totalLength = 0;
  e.sport = 0;
  e.dport = 0;
  e.icmpType = 0;
  e.icmpId = 0;
  e.icmpSeq = 0;
  e.tcpSeq = 0;
  e.l4Quoted = 0;
  e.srcOnly = false;
  p.payloadOffset = 0;
  p.payloadLength = 0;
  p.payloadCaptured = 0;
  p.payloadHash = 0;
  p.arpOp = 0;
  p.arpSha = 0;
  p.arpSpa = 0;
  p.arpTha = 0;
  p.arpTpa = 0;
}
