import { Row, writeRow, type RowRecord } from './packet-row.js';
import type { DecodedPacket } from '../model/packet.js';
import { Net, PacketType, Proto, TcpFlag } from '../model/packet.js';
import { newArpTracker, observeArp, type ArpTracker } from './arp-tracker.js';
import { isGroupMac } from './mac.js';
import { MAX_LATENCIES, MAX_UNMATCHED_SAMPLES, samplesKept, slot, TAIL, type Connection, type QuotedError, type UnmatchedTimes } from './connection.js';
import { ConnField, connectionBetween, findConnection, indexConnectionEnds, insertFound, newConnectionTable, rootOf, unionConnections, type ConnectionTable } from './connection-table.js';
import { acknowledged, after, observeTcp } from './tcp-acks.js';
import { echoAnswered, observeEchoReply } from './icmp-echoes.js';
import { claimSlot, dropOldest, firstInBucket, linkPending, newPacketRing, oldestPending, releaseSlot, Slot, SlotState, unlinkPending, type PacketRing } from './packet-ring.js';
import { Dir, forwardableIpv4, isEcho, isIcmpError, type DirId } from './packet-info.js';
import { Cut, keepRow, keepSlot, Kept, keptGet, keptSet, newPacketStore, writePacketFields, type PacketStore } from './packet-store.js';
import { StoredConnection } from './stored-connection.js';
import { countPiece, expectPiece, idSlot, newResegmenting, sameCutFlags, seqSlot, usePiece, type Resegmenting } from './resegment.js';

export interface CorrelatorOptions {
  /** The gateway's own IPv4 addresses (from the snapshot). */
  readonly localAddresses: ReadonlySet<number>;
  /** The gateway's MAC per interface index, when the snapshot gives it (learned from matches otherwise). */
  readonly macs: Map<number, number>;
  /** How far apart in time a packet and its copy may be (ns). */
  readonly windowNs: number;
  /**
   * Every MAC address of the gateway's interfaces (the snapshot's ip addr, VRRP and macvlan ones included):
   * a frame carrying none of them was not the gateway's (`isForeign`). Empty when not known.
   */
  readonly gatewayMacs?: ReadonlySet<number>;
}

/** Everything the correlator learned, for flow assembly and the checks. */
export interface CorrelatorState {
  readonly options: CorrelatorOptions;
  /** The connections, made by `finishCorrelator` (empty until then: a connection is a table row while packets come). */
  readonly connections: Connection[];
  /** Connection ids by key (interface, protocol, endpoint pair). */
  readonly table: ConnectionTable;
  /** Packets waiting for their copy, in arrival order, with their fingerprint chains. */
  readonly ring: PacketRing;
  /** The packets kept past matching: samples, their partners, first packets, observed translations. */
  readonly store: PacketStore;
  /** ICMP errors quoting a connection's packets, by connection id (sparse). */
  readonly errors: (QuotedError[] | undefined)[];
  /** Unmatched arrival times by connection id (sparse). */
  readonly unmatched: (UnmatchedTimes | undefined)[];
  readonly arp: ArpTracker;
  /** Orphan ICMP errors (their quoted connection was not seen). */
  readonly orphanErrors: QuotedError[];
  /** For ICMP errors whose quote the capture cut: connections by each end, made at the first (`cutQuoteConnection`). */
  readonly cutQuotes: ConnectionEnds;
  /** Matched pair time differences (copy − original, ns) by direction "ifaceIn>ifaceOut" (bounded). */
  readonly pairDeltas: Map<string, number[]>;
  /** The same lists by [inbound iface][outbound iface], so that a pair needs no string key. */
  readonly deltaLists: (number[] | undefined)[][];
  /** Latencies of matched pairs not yet handed to their connections: (connection id, ns) pairs. */
  latencyLog: Float64Array;
  latencyLogLength: number;
  /** options.macs by interface index, -1 where not known yet (entries never change once set, so a hit can be cached). */
  macCache: Float64Array;
  matchedPairs: number;
  /** TCP arrivals with no copy captured that the far end acknowledged (counted as forwarded; tcp-acks.ts). */
  unseenCopies: number;
  /** ICMP echo requests with no copy captured whose reply the gateway relayed back (counted as forwarded; icmp-echoes.ts). */
  unseenEchoes: number;
  ignored: { ipv6: number; nonIp: number; multicast: number; fragments: number; truncated: number; duplicates: number; foreign: number };
  /**
   * Frames that are not IPv4 (ARP, IPv6 of any scope, the rest), and the IP protocols of the IPv4 ones (protocol
   * numbers, up to 255): how captures taken with a filter show (`tcpdump icmp`, analyze.ts).
   */
  notIpv4: number;
  readonly ipProtocols: Set<number>;
  /** Per interface index, frames left out as not the gateway's (`isForeign`). */
  readonly foreignByIface: number[];
  /**
   * Of those, by `${iface}|${IPv4 destination}`: the MAC they were addressed to, how many, and the first. Frames for
   * one of the gateway's own addresses sent to another MAC are a neighbour's stale ARP entry (bounded: FOREIGN_TO_MAX).
   */
  readonly foreignTo: Map<string, ForeignDelivery>;
  /** Per interface index, 1 once a frame from or to the gateway's MAC there was seen: that MAC is this capture's. */
  readonly macSeen: Uint8Array;
  packets: number;
  /** Base of the relative clock `t` (seconds); set from the first packet. */
  baseSec: number;
  /**
   * Per capture file, nanoseconds added to its timestamps to put them on the first capture's clock
   * (clock-skew.ts; `setClockShifts`); empty while they all agree. `t` includes it, kept packets' timestamps do not.
   */
  clockShiftNs: Float64Array;
  /** `pushPacket`'s row (a decoded packet becomes one before it is pushed). */
  readonly scratch: Float64Array;
  /**
   * Packets matched lately (`recentMatchGap`), by fingerprint, interface and TTL; null unless some
   * interface is fed by more than one capture, or a capture showed a packet twice: the ways a matched packet shows
   * up again (`keepRecentMatches`).
   */
  recent: RecentMatches | null;
  /** TCP segments that left cut into smaller ones (segmentation offload): how they are found (resegment.ts). */
  readonly cut: Resegmenting;
}

/**
 * Matched packets by fingerprint, interface and TTL, RECENT_WAYS to a set (the oldest gives way): fingerprint, time,
 * interface, TTL and addresses. A packet's second copy may come dozens of packets after it (captures out of time
 * order copied twice, `mergecap` of a dumpcap capture with itself), and other matches in between must not push it out.
 */
interface RecentMatches {
  /**
   * How long after a matched packet its second copy may come (ns): DUPLICATE_NS for a link fed by two captures (two
   * capture points, the veth's two ends); SAME_CAPTURE_NS for one capture that holds packets twice, copies taken in
   * one pass through the stack — a packet sent again 46 µs later (a SYN-ACK answering a repeated SYN, IP ID 0 like
   * the first) is not one of them.
   */
  windowNs: number;
  readonly key: Float64Array;
  readonly t: Float64Array;
  readonly iface: Int32Array;
  readonly ttl: Int32Array;
  readonly src: Float64Array;
  readonly dst: Float64Array;
}

const RECENT_WAYS = 4;
const RECENT_SETS = 1024;
const RECENT_SIZE = RECENT_WAYS * RECENT_SETS;

/** IPv4 frames left out as another host's (`isForeign`), to one destination on one interface. */
export interface ForeignDelivery {
  readonly iface: number;
  readonly dst: number;
  /** The MAC the first was addressed to, and its source address. */
  readonly mac: number;
  readonly src: number;
  count: number;
  readonly file: number;
  readonly frame: number;
  readonly tsSec: number;
  readonly tsNsec: number;
}

const FOREIGN_TO_MAX = 1024;

/**
 * Some interface is fed by more than one capture (`windowNs` DUPLICATE_NS), or showed a packet twice (SAME_CAPTURE_NS):
 * remember matched packets from now on (`recentMatchGap`).
 */
export function keepRecentMatches(s: CorrelatorState, windowNs = DUPLICATE_NS): void {
  if (s.recent) {
    if (windowNs > s.recent.windowNs) s.recent.windowNs = windowNs;
    return;
  }
  s.recent = {
    windowNs,
    key: new Float64Array(RECENT_SIZE),
    t: new Float64Array(RECENT_SIZE),
    iface: new Int32Array(RECENT_SIZE).fill(-1),
    ttl: new Int32Array(RECENT_SIZE),
    src: new Float64Array(RECENT_SIZE),
    dst: new Float64Array(RECENT_SIZE),
  };
}

export function newCorrelator(options: CorrelatorOptions): CorrelatorState {
  return {
    options,
    connections: [],
    table: newConnectionTable(),
    ring: newPacketRing(),
    store: newPacketStore(),
    errors: [],
    unmatched: [],
    arp: newArpTracker(),
    orphanErrors: [],
    cutQuotes: { byEnd: new Map(), indexed: 0 },
    pairDeltas: new Map(),
    deltaLists: [],
    latencyLog: new Float64Array(4096),
    latencyLogLength: 0,
    macCache: new Float64Array(16).fill(-1),
    matchedPairs: 0,
    unseenCopies: 0,
    unseenEchoes: 0,
    ignored: { ipv6: 0, nonIp: 0, multicast: 0, fragments: 0, truncated: 0, duplicates: 0, foreign: 0 },
    notIpv4: 0,
    ipProtocols: new Set(),
    foreignByIface: [],
    foreignTo: new Map(),
    macSeen: new Uint8Array(256),
    packets: 0,
    baseSec: -1,
    clockShiftNs: new Float64Array(0),
    scratch: new Float64Array(Row.STRIDE),
    recent: null,
    cut: newResegmenting(),
  };
}

const BROADCAST_MAC = 0xffffffffffff;
const MAX_PAIR_DELTAS = 4096;

/**
 * Whether the gateway's MAC on `iface` is known (from the snapshot or learned from a matched pair); it is
 * then `s.macCache[iface]`, read there rather than returned: a MAC is a double beyond 2^31, which a call V8
 * does not inline returns boxed (an allocation per packet).
 */
function macKnown(s: CorrelatorState, iface: number): boolean {
  const c = s.macCache;
  if (iface < c.length && c[iface]! >= 0) return true;
  const v = s.options.macs.get(iface);
  if (v === undefined) return false;
  cacheMac(s, iface, v);
  return true;
}

function cacheMac(s: CorrelatorState, iface: number, mac: number): void {
  if (iface >= s.macCache.length) {
    const bigger = new Float64Array(Math.max(iface + 1, s.macCache.length * 2)).fill(-1);
    bigger.set(s.macCache);
    s.macCache = bigger;
  }
  s.macCache[iface] = mac;
}

/** Learn the gateway's MAC on `iface` from a matched pair unless it is known already. */
function learnMac(s: CorrelatorState, iface: number, mac: number): void {
  if (mac === 0 || macKnown(s, iface)) return;
  s.options.macs.set(iface, mac);
  cacheMac(s, iface, mac);
}

/** Direction on arrival of the packet in row `f` at `at`, from what the link layer says (SLL packet type, the gateway's MAC). */
function arrivalDirection(s: CorrelatorState, f: Float64Array, at: number, iface: number): DirId {
  const packetType = f[at + Row.PACKET_TYPE]!;
  if (packetType === PacketType.OUTGOING) return Dir.OUT;
  if (packetType !== PacketType.UNKNOWN) return Dir.IN;
  const srcMac = f[at + Row.SRC_MAC]!;
  if (srcMac === 0) return Dir.UNKNOWN;
  if (macKnown(s, iface)) {
    const mac = s.macCache[iface]!;
    if (srcMac === mac) return Dir.OUT;
    const dstMac = f[at + Row.DST_MAC]!;
    if (dstMac === mac || dstMac === BROADCAST_MAC) return Dir.IN;
  }
  return Dir.UNKNOWN;
}

/** The capture of interface `iface` was seen to carry the gateway's MAC there (the look at the captures' beginning). */
export function markOwnMacSeen(s: CorrelatorState, iface: number): void {
  if (iface < 256) s.macSeen[iface] = 1;
}

function noteGatewayMac(s: CorrelatorState, f: Float64Array, at: number, iface: number): void {
  if (!macKnown(s, iface)) return;
  const mac = s.macCache[iface]!;
  if (f[at + Row.SRC_MAC] === mac || f[at + Row.DST_MAC] === mac) s.macSeen[iface] = 1;
}

/**
 * A frame that was not the gateway's: captured on a link it shares with others — the parent NIC of a macvlan
 * interface (Kube-OVN's net1), a bridge, a mirror port — going from one other host to another. Cooked captures
 * say so themselves (PACKET_OTHERHOST); on Ethernet, once frames of the gateway's MAC on the interface were seen
 * there, a unicast frame whose addresses are none of the gateway's MACs. Left in, it would wait for a copy the gateway never had
 * to make, and count as stopped there.
 */
function isForeign(s: CorrelatorState, f: Float64Array, at: number, iface: number): boolean {
  const packetType = f[at + Row.PACKET_TYPE]!;
  if (packetType === PacketType.OTHERHOST) return true;
  // Only once this capture showed frames of the gateway's MAC: an ip addr taken elsewhere names MACs no frame carries.
  if (packetType !== PacketType.UNKNOWN || !macKnown(s, iface) || iface >= 256 || s.macSeen[iface] !== 1) return false;
  const srcMac = f[at + Row.SRC_MAC]!;
  const dstMac = f[at + Row.DST_MAC]!;
  // Broadcast and multicast frames are everyone's.
  if (srcMac === 0 || isGroupMac(dstMac)) return false;
  const all = s.options.gatewayMacs;
  return all !== undefined && all.size > 0 && !all.has(srcMac) && !all.has(dstMac);
}

/**
 * Feed one decoded packet. Packets must come in time order across all captures (merge them first).
 * It is written as a row (packet-row.ts) and pushed as one: see `pushRow`.
 */
export function pushPacket(s: CorrelatorState, rec: RowRecord, d: DecodedPacket, file: number, iface: number): void {
  writeRow(s.scratch, 0, rec, d, file, iface);
  pushRow(s, s.scratch, 0, iface);
}

/**
 * Feed one packet as a row (`f` at `at`, packet-row.ts: as the reading thread hands them over), captured on
 * interface `iface`. The per-packet path allocates nothing and touches no object: the packet is looked up
 * and matched as numbers (connection-table.ts, packet-ring.ts), and is kept as a row of the packet store
 * (packet-store.ts) only when its connection samples it, when it is a kept packet's partner, or when it
 * is a connection's observed translation (`peer`, `replyPeer`). The `Connection` objects are made by
 * `finishCorrelator`, and their packets become objects when read.
 */
export function pushRow(s: CorrelatorState, f: Float64Array, at: number, iface: number): void {
  s.packets++;
  const tsSec = f[at + Row.TS_SEC]!;
  // On the first capture's clock: a capture whose clock is off (clock-skew.ts) has its shift added.
  const file = f[at + Row.FILE]!;
  const shift = file < s.clockShiftNs.length ? s.clockShiftNs[file]! : 0;
  if (s.baseSec < 0) s.baseSec = tsSec + Math.floor(shift / 1e9);
  const t = (tsSec - s.baseSec) * 1e9 + f[at + Row.TS_NSEC]! + shift;
  f[at + Row.T] = t;
  const ring = s.ring;
  if (ring.pending !== 0) {
    const oldest = oldestPending(ring);
    if (oldest >= 0 && ring.f[oldest * Slot.STRIDE + Slot.T]! < t - s.options.windowNs) expire(s, t - s.options.windowNs);
  }

  // Any frame of the gateway's MAC (ARP, IPv6 too) shows that MAC is this capture's (see isForeign).
  if (iface < 256 && s.macSeen[iface] === 0) noteGatewayMac(s, f, at, iface);
  const net = f[at + Row.NET]!;
  if (net !== Net.IPV4) s.notIpv4++;
  if (net === Net.ARP) {
    observeArp(s.arp, iface, f[at + Row.ARP_OP]!, f[at + Row.ARP_SPA]!, f[at + Row.ARP_TPA]!, { file, frame: f[at + Row.FRAME]!, tsSec, tsNsec: f[at + Row.TS_NSEC]! }, f[at + Row.SRC_MAC]!);
    return;
  }
  if (net !== Net.IPV4) {
    // Routable IPv6 only (packet-row.ts): link-local chatter is in every capture and means nothing here.
    if (net === Net.IPV6) {
      if (f[at + Row.DST] === 1) s.ignored.ipv6++;
    }
    else s.ignored.nonIp++;
    return;
  }
  const truncatedAt = f[at + Row.TRUNCATED_AT]!;
  if (truncatedAt !== 0 && truncatedAt <= 2) {
    s.ignored.truncated++;
    return;
  }
  if (s.ipProtocols.size < 2) s.ipProtocols.add(f[at + Row.PROTO]!);
  const src = f[at + Row.SRC]!;
  const dst = f[at + Row.DST]!;
  if (!forwardableIpv4(src, dst)) {
    s.ignored.multicast++;
    return;
  }
  // A frame sent to a link-layer group address (broadcast, multicast) is never forwarded, whatever its IP
  // destination (a subnet's directed broadcast): the kernel forwards only what came to its own MAC (ip_forward
  // drops all but PACKET_HOST).
  const linkType = f[at + Row.PACKET_TYPE]!;
  if (linkType === PacketType.BROADCAST || linkType === PacketType.MULTICAST || (linkType === PacketType.UNKNOWN && isGroupMac(f[at + Row.DST_MAC]!))) {
    s.ignored.multicast++;
    return;
  }
  if (f[at + Row.FRAGMENT] === 1 && f[at + Row.FRAG_OFFSET]! > 0) {
    s.ignored.fragments++;
    return;
  }
  const arrival = arrivalDirection(s, f, at, iface);
  if ((arrival === Dir.UNKNOWN || f[at + Row.PACKET_TYPE] === PacketType.OTHERHOST) && isForeign(s, f, at, iface)) {
    s.ignored.foreign++;
    s.foreignByIface[iface] = (s.foreignByIface[iface] ?? 0) + 1;
    noteForeign(s, f, at, iface);
    return;
  }
  const proto = f[at + Row.PROTO]!;
  const icmp = proto === Proto.ICMP;
  const icmpType = f[at + Row.ICMP_TYPE]!;
  // An ICMP error is about the datagram it quotes, never a flow of its own: even one whose quote the capture cut
  // inside the quoted IP header (`tcpdump -i any -s 64`: 16 bytes of it).
  if (icmp && isIcmpError(icmpType)) {
    quoteError(s, f, at, iface, t, arrival);
    return;
  }

  // The numbers a kept packet has (packet-store.ts): ICMP echo id in the source port's place.
  const sport = icmp ? (isEcho(icmpType) ? f[at + Row.ICMP_ID]! : 0) : f[at + Row.SPORT]!;
  const dport = icmp ? 0 : f[at + Row.DPORT]!;
  const tcpFlags = f[at + Row.TCP_FLAGS]!;
  const tcpSeq = f[at + Row.TCP_SEQ]!;
  const tcpAck = f[at + Row.TCP_ACK]!;
  const payloadLength = f[at + Row.PAYLOAD_LENGTH]!;
  const j = scanPending(s, f, at, iface, arrival, icmp);
  // A second copy of a packet matched a moment ago, unless a pending packet is nearer in time to be its copy (a packet
  // with the same fingerprint, IP ID 0 like every TIME_WAIT ACK, may still wait from 200 ms before).
  const again = j === DUPLICATE || s.recent === null ? -1 : recentMatchGap(s.recent, f, at, iface);
  if (j === DUPLICATE || (again >= 0 && (j < 0 || again < Math.abs(t - ring.f[j * Slot.STRIDE + Slot.T]!)))) {
    s.ignored.duplicates++;
    // A capture that holds packets twice (a bridge and its port under -i any, a mirror port) holds them twice once
    // matched too: remember matched packets from now on, so that their second copies are not taken for new ones.
    if (j === DUPLICATE) keepRecentMatches(s, SAME_CAPTURE_NS);
    return;
  }

  const table = s.table;
  // The packet's row in the packet store, once it is kept (a new connection's first packet, a sample).
  let kept = -1;
  let id = findConnection(table, iface, proto, src, dst, sport, dport);
  if (id < 0) {
    id = table.count;
    insertFound(table, id, src, dst, sport, dport);
    kept = keepRow(s.store, f, at, iface, arrival, id, 0);
    table.f[id * ConnField.STRIDE + ConnField.FIRST_ROW] = kept;
  }
  const cf = table.f;
  const row = id * ConnField.STRIDE;
  // Original direction: the tuple of the connection's first packet (for ICMP the addresses alone).
  const original =
    src === cf[row + ConnField.SRC] &&
    dst === cf[row + ConnField.DST] &&
    (icmp || (sport === cf[row + ConnField.SPORT] && dport === cf[row + ConnField.DPORT]));
  const connDir: 0 | 1 = original ? 0 : 1;
  cf[row + ConnField.LAST_T] = t;
  cf[row + ConnField.LAST_POS] = f[at + Row.FILE]! * 4294967296 + f[at + Row.FRAME]!;
  if (proto === Proto.TCP) {
    if (connDir === 0 && (tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) cf[row + ConnField.SAW_SYN] = 1;
    observeTcp(cf, row, connDir, tcpFlags, tcpSeq, tcpAck, payloadLength, t);
  }
  if (cf[row + ConnField.SAMPLES]! < samplesKept(id)) {
    if (kept < 0) kept = keepRow(s.store, f, at, iface, arrival, id, connDir);
    addSample(s, id, kept);
  }

  if (j >= 0) {
    pairWithPending(s, j, f, at, iface, arrival, id, connDir, kept, false);
    return;
  }
  const data = proto === Proto.TCP && payloadLength > 0;
  if (data && cutApart(s, f, at, iface, arrival, id, connDir, kept)) return;
  // A first fragment (no transport header follows a non-zero offset: those were left out above).
  if (f[at + Row.FRAGMENT] === 1 && refragmented(s, f, at, iface, arrival, id, connDir, kept)) return;
  const i = claimSlot(ring);
  writePacketFields(ring.f, i * Slot.STRIDE, f, at, iface, arrival, id, connDir);
  ring.kept[i] = kept;
  linkPending(ring, i);
  if (data) s.cut.pendingBySeq[seqSlot(tcpSeq, tcpAck)] = i;
  // Only what a smaller MTU could cut: every link carries 576 bytes (RFC 791), so a smaller datagram never is.
  else if (proto !== Proto.TCP && f[at + Row.DF] === 0 && f[at + Row.IP_TOTAL_LENGTH]! > MIN_REASSEMBLY) s.cut.pendingById[idSlot(f[at + Row.IP_ID]!, proto)] = i;
}

/** RFC 791: every host accepts datagrams of 576 bytes; no link in use has a smaller MTU. */
const MIN_REASSEMBLY = 576;

/**
 * A first fragment that found no copy of its own length: the first piece of a datagram without DF that
 * arrived larger (whole, or in larger fragments) and was fragmented again to a smaller MTU as it left
 * (resegment.ts). Same IP ID, protocol, ICMP type/code/sequence and first payload bytes, on another
 * interface, TTL one lower, within the window: then the two are paired, and true is returned.
 */
function refragmented(s: CorrelatorState, p: Float64Array, at: number, iface: number, arrival: DirId, id: number, connDir: 0 | 1, kept: number): boolean {
  const r = s.cut;
  const proto = p[at + Row.PROTO]!;
  const k = idSlot(p[at + Row.IP_ID]!, proto);
  const j = r.pendingById[k]!;
  if (j < 0 || arrival === Dir.IN) return false;
  const f = s.ring.f;
  const q = j * Slot.STRIDE;
  if (f[q + Slot.STATE] !== SlotState.PENDING || f[q + Slot.PROTO] !== proto || f[q + Slot.IP_ID] !== p[at + Row.IP_ID] || f[q + Slot.IFACE] === iface) return false;
  if (f[q + Slot.TTL] !== p[at + Row.TTL]! + 1 || f[q + Slot.ARRIVAL] === Dir.OUT || f[q + Slot.DF] !== 0) return false;
  if (!(f[q + Slot.PAYLOAD_LENGTH]! > p[at + Row.PAYLOAD_LENGTH]!)) return false;
  const icmp = proto === Proto.ICMP;
  if (icmp && (f[q + Slot.ICMP_TYPE] !== p[at + Row.ICMP_TYPE] || f[q + Slot.ICMP_CODE] !== p[at + Row.ICMP_CODE] || f[q + Slot.ICMP_SEQ] !== p[at + Row.ICMP_SEQ])) return false;
  if (f[q + Slot.PAYLOAD_HASHED] === p[at + Row.PAYLOAD_HASHED] && f[q + Slot.PAYLOAD_HASH] !== p[at + Row.PAYLOAD_HASH]) return false;
  if (p[at + Row.T]! - f[q + Slot.T]! > s.options.windowNs) return false;
  r.pendingById[k] = -1;
  r.refragmentedOn[iface] = (r.refragmentedOn[iface] ?? 0) + 1;
  pairWithPending(s, j, p, at, iface, arrival, id, connDir, kept, false);
  return true;
}

/**
 * A TCP segment with data that found no copy of its own length: segmentation offload (resegment.ts) may have
 * made it the first piece of a larger pending arrival (or, captured before it, made that arrival its own), or
 * the next piece of a run already paired. Then it is paired or counted as such, and true is returned.
 */
function cutApart(s: CorrelatorState, p: Float64Array, at: number, iface: number, arrival: DirId, id: number, connDir: 0 | 1, kept: number): boolean {
  const r = s.cut;
  const seq = p[at + Row.TCP_SEQ]!;
  const ack = p[at + Row.TCP_ACK]!;
  const k = seqSlot(seq, ack);
  const j = r.pendingBySeq[k]!;
  if (j >= 0 && isFirstPiece(s, j, p, at, iface, arrival)) {
    const rf = s.ring.f;
    const q = j * Slot.STRIDE;
    // The piece is the later one, a TTL lower.
    const pendingMerged = rf[q + Slot.TTL] === p[at + Row.TTL]! + 1;
    const len = p[at + Row.PAYLOAD_LENGTH]!;
    const qLen = rf[q + Slot.PAYLOAD_LENGTH]!;
    const pieceEnd = (seq + (pendingMerged ? len : qLen)) >>> 0;
    const runEnd = (seq + (pendingMerged ? qLen : len)) >>> 0;
    const pieceIface = pendingMerged ? iface : rf[q + Slot.IFACE]!;
    const pieceTtl = pendingMerged ? p[at + Row.TTL]! : rf[q + Slot.TTL]!;
    const pieceT = pendingMerged ? p[at + Row.T]! : rf[q + Slot.T]!;
    const ipId = p[at + Row.IP_ID]!;
    countPiece(r, pieceIface, pendingMerged ? rf[q + Slot.IFACE]! : iface);
    r.pendingBySeq[k] = -1;
    const mergedKept = pairWithPending(s, j, p, at, iface, arrival, id, connDir, kept, true);
    expectPiece(r, pieceEnd, ack, runEnd, pieceIface, pieceTtl, ipId, pieceT, mergedKept);
    return true;
  }
  if (r.open === 0 || r.nextIface[k] !== iface || r.nextSeq[k] !== seq || r.nextAck[k] !== ack || arrival === Dir.IN) return false;
  const ttl = p[at + Row.TTL]!;
  const ipId = p[at + Row.IP_ID]!;
  const last = r.nextIpId[k]!;
  const end = (seq + p[at + Row.PAYLOAD_LENGTH]!) >>> 0;
  const runEnd = r.nextEnd[k]!;
  const t = p[at + Row.T]!;
  if (r.nextTtl[k] !== ttl || (ipId !== last && ipId !== ((last + 1) & 0xffff)) || t - r.nextT[k]! > s.options.windowNs || after(end, runEnd)) return false;
  const mergedKept = r.nextMerged[k]!;
  usePiece(r, k);
  countPiece(r, iface, -1);
  // A second copy of this piece (a capture holding packets twice) is the piece again, not a packet of its own.
  if (s.recent !== null) rememberMatch(s.recent, p[at + Row.KEY]!, t, iface, ttl, p[at + Row.SRC]!, p[at + Row.DST]!);
  const cf = s.table.f;
  const row = id * ConnField.STRIDE;
  cf[row + ConnField.COUNTS + slot(connDir, Dir.OUT, true)]!++;
  if (kept >= 0) {
    const store = s.store;
    keptSet(store, kept, Kept.DIR, Dir.OUT);
    keptSet(store, kept, Kept.MATCH, mergedKept);
    keptSet(store, kept, Kept.CUT, Cut.PIECE);
    if (kept === cf[row + ConnField.FIRST_ROW]) cf[row + ConnField.FIRST_DIR] = Dir.OUT;
  }
  if (end !== runEnd) expectPiece(r, end, ack, runEnd, iface, ttl, ipId, t, mergedKept);
  return true;
}

/**
 * Pending slot `j` and the packet being pushed (row `p` at `at`) are a TCP segment that arrived and the
 * first, smaller piece it left as (in either order): same sequence, acknowledgment, IP ID and first payload
 * bytes, flags alike but for those GSO moves to the last piece, on two interfaces, TTL one apart, the larger
 * the one that arrived, within the window.
 */
function isFirstPiece(s: CorrelatorState, j: number, p: Float64Array, at: number, iface: number, arrival: DirId): boolean {
  const f = s.ring.f;
  const q = j * Slot.STRIDE;
  if (f[q + Slot.STATE] !== SlotState.PENDING || f[q + Slot.PROTO] !== Proto.TCP || f[q + Slot.IFACE] === iface) return false;
  if (f[q + Slot.TCP_SEQ] !== p[at + Row.TCP_SEQ] || f[q + Slot.TCP_ACK] !== p[at + Row.TCP_ACK] || f[q + Slot.IP_ID] !== p[at + Row.IP_ID]) return false;
  if (!sameCutFlags(f[q + Slot.TCP_FLAGS]!, p[at + Row.TCP_FLAGS]!)) return false;
  const len = p[at + Row.PAYLOAD_LENGTH]!;
  const qLen = f[q + Slot.PAYLOAD_LENGTH]!;
  const ttl = p[at + Row.TTL]!;
  const qttl = f[q + Slot.TTL]!;
  const qarrival = f[q + Slot.ARRIVAL]!;
  if (qttl === ttl + 1) {
    if (!(qLen > len) || qarrival === Dir.OUT || arrival === Dir.IN) return false;
  } else if (ttl === qttl + 1) {
    if (!(len > qLen) || arrival === Dir.OUT || qarrival === Dir.IN) return false;
  } else {
    return false;
  }
  if (Math.abs(p[at + Row.T]! - f[q + Slot.T]!) > s.options.windowNs) return false;
  // The first payload bytes are the same where both hashes cover as many.
  return f[q + Slot.PAYLOAD_HASHED] !== p[at + Row.PAYLOAD_HASHED] || f[q + Slot.PAYLOAD_HASH] === p[at + Row.PAYLOAD_HASH];
}

/** Each capture file's clock shift (clock-skew.ts), before its first packet is pushed. */
export function setClockShifts(s: CorrelatorState, shifts: readonly number[]): void {
  s.clockShiftNs = shifts.some((x) => x !== 0) ? Float64Array.from(shifts) : new Float64Array(0);
}

/** Append kept row `kept` to connection `id`'s sample list (linked through the rows). */
function addSample(s: CorrelatorState, id: number, kept: number): void {
  const cf = s.table.f;
  const row = id * ConnField.STRIDE;
  const store = s.store;
  const n = cf[row + ConnField.SAMPLES]!;
  keptSet(store, kept, Kept.SAMPLE, n);
  keptSet(store, kept, Kept.NEXT_SAMPLE, -1);
  const tail = cf[row + ConnField.SAMPLE_TAIL]!;
  if (tail < 0) cf[row + ConnField.SAMPLE_HEAD] = kept;
  else keptSet(store, tail, Kept.NEXT_SAMPLE, kept);
  cf[row + ConnField.SAMPLE_TAIL] = kept;
  cf[row + ConnField.SAMPLES] = n + 1;
}

/**
 * The same packet captured twice on one interface (a bridge and its port, a VLAN device and its parent,
 * tcpdump's own duplicates): same interface, same TTL, same addresses and invariants, within a millisecond.
 * A retransmission is not one: it carries a new IP ID (or comes an RTO later, far beyond a millisecond).
 * Left in, the second copy would wait for a copy of its own and be counted lost.
 */
const DUPLICATE_NS = 1e6;

/** How far apart one capture's two copies of a packet may be (`RecentMatches.windowNs`). */
const SAME_CAPTURE_NS = 1e4;

/**
 * A packet captured twice on one interface whose first copy was matched already: the second finds no pending
 * copy to be a duplicate of (a departure seen by two captures of one link — the gateway's eth0 and its veth's host
 * end — is matched by its first copy the moment it comes). Same fingerprint, interface, TTL and addresses within
 * `RecentMatches.windowNs` of the matched one: how long after it (ns), -1 if none.
 */
function recentMatchGap(r: RecentMatches, p: Float64Array, at: number, iface: number): number {
  const key = p[at + Row.KEY]!;
  const ttl = p[at + Row.TTL]!;
  const t = p[at + Row.T]!;
  const set = recentSet(key, iface, ttl);
  for (let k = set; k < set + RECENT_WAYS; k++) {
    if (r.iface[k] !== iface || r.key[k] !== key || r.ttl[k] !== ttl) continue;
    const dt = t - r.t[k]!;
    if (dt >= 0 && dt <= r.windowNs && r.src[k] === p[at + Row.SRC] && r.dst[k] === p[at + Row.DST]) return dt;
  }
  return -1;
}

/**
 * A packet and its copy share a fingerprint: each interface's has its own place, and so does each TTL (a NAT
 * loopback's packet and its copy leave by the interface they came in by, one hop apart). The first of the set's ways.
 */
function recentSet(key: number, iface: number, ttl: number): number {
  return (((key ^ Math.imul(iface + 1, 0x9e3779b1) ^ Math.imul(ttl + 1, 0x85ebca6b)) >>> 0) & (RECENT_SETS - 1)) * RECENT_WAYS;
}

/**
 * Remember a matched packet (`key`, time, interface, TTL, addresses) for `recentMatchGap`: in its set's way that holds
 * the same fingerprint, interface and TTL, else in the empty or oldest one.
 */
function rememberMatch(r: RecentMatches, key: number, t: number, iface: number, ttl: number, src: number, dst: number): void {
  const set = recentSet(key, iface, ttl);
  let k = set;
  for (let w = set; w < set + RECENT_WAYS; w++) {
    if (r.iface[w] === iface && r.key[w] === key && r.ttl[w] === ttl) {
      k = w;
      break;
    }
    if (r.iface[w] === -1) {
      k = w;
      break;
    }
    if (r.t[w]! < r.t[k]!) k = w;
  }
  r.key[k] = key;
  r.t[k] = t;
  r.iface[k] = iface;
  r.ttl[k] = ttl;
  r.src[k] = src;
  r.dst[k] = dst;
}

/** `scanPending`'s answer for a packet captured twice on one interface. */
const DUPLICATE = -2;

/**
 * One walk over the pending packets with this packet's fingerprint: DUPLICATE when it is one of them
 * captured twice (`DUPLICATE_NS`), else the slot of its copy or original on another interface, -1 if none:
 * the same fields NAT keeps (fingerprint.ts), TTL exactly one apart (FAILURES.md: the copy is one hop
 * later), directions not contradicting the link layer; the nearest in time wins, the earliest on a tie.
 */
function scanPending(s: CorrelatorState, p: Float64Array, at: number, iface: number, arrival: DirId, icmp: boolean): number {
  const r = s.ring;
  // The fingerprint, worked out by the row's writer (on the reading thread when there is one), and the clock.
  const key = p[at + Row.KEY]!;
  const t = p[at + Row.T]!;
  let j = firstInBucket(r, key);
  if (j < 0) return -1;
  const f = r.f;
  const proto = p[at + Row.PROTO]!;
  const ipId = p[at + Row.IP_ID]!;
  const payloadLength = p[at + Row.PAYLOAD_LENGTH]!;
  const payloadHash = p[at + Row.PAYLOAD_HASH]!;
  const hashed = p[at + Row.PAYLOAD_HASHED]!;
  const tcpSeq = p[at + Row.TCP_SEQ]!;
  const tcpAck = p[at + Row.TCP_ACK]!;
  const tcpFlags = p[at + Row.TCP_FLAGS]!;
  const icmpType = icmp ? p[at + Row.ICMP_TYPE]! : -1;
  const icmpCode = icmp ? p[at + Row.ICMP_CODE]! : -1;
  const icmpSeq = icmp ? p[at + Row.ICMP_SEQ]! : 0;
  const ttl = p[at + Row.TTL]!;
  const src = p[at + Row.SRC]!;
  const dst = p[at + Row.DST]!;
  const windowNs = s.options.windowNs;
  let best = -1;
  let bestGap = Infinity;
  for (; j >= 0; j = f[j * Slot.STRIDE + Slot.NEXT]!) {
    const q = j * Slot.STRIDE;
    if (
      f[q + Slot.KEY] !== key ||
      f[q + Slot.IP_ID] !== ipId ||
      f[q + Slot.PAYLOAD_LENGTH] !== payloadLength ||
      // Payloads hashed over different lengths (one capture's snaplen cut it shorter) cannot be compared.
      (f[q + Slot.PAYLOAD_HASHED] === hashed && f[q + Slot.PAYLOAD_HASH] !== payloadHash) ||
      f[q + Slot.PROTO] !== proto ||
      f[q + Slot.TCP_SEQ] !== tcpSeq ||
      f[q + Slot.TCP_ACK] !== tcpAck ||
      f[q + Slot.TCP_FLAGS] !== tcpFlags ||
      f[q + Slot.ICMP_SEQ] !== icmpSeq
    ) {
      continue;
    }
    const qttl = f[q + Slot.TTL]!;
    const hairpin = f[q + Slot.IFACE] === iface;
    if (hairpin && qttl === ttl && t - f[q + Slot.T]! <= DUPLICATE_NS && f[q + Slot.SRC] === src && f[q + Slot.DST] === dst) return DUPLICATE;
    if (f[q + Slot.ICMP_TYPE] !== icmpType || f[q + Slot.ICMP_CODE] !== icmpCode) continue;
    const gap = Math.abs(t - f[q + Slot.T]!);
    if (gap > windowNs) continue;
    // The higher TTL is the one that arrived; it cannot be a packet the link layer saw leaving, nor
    // its copy one the link layer saw arriving.
    const qarrival = f[q + Slot.ARRIVAL]!;
    // On one interface (hairpin: an inside host reaching another through its EIP, DNATed back out the way it
    // came) only the link layer can tell the arrival from the departure: both must be known.
    if (qttl === ttl + 1) {
      if (qarrival === Dir.OUT || arrival === Dir.IN) continue;
      if (hairpin && (qarrival !== Dir.IN || arrival !== Dir.OUT)) continue;
    } else if (ttl === qttl + 1) {
      if (arrival === Dir.OUT || qarrival === Dir.IN) continue;
      if (hairpin && (arrival !== Dir.IN || qarrival !== Dir.OUT)) continue;
    } else {
      continue;
    }
    if (gap < bestGap) {
      best = j;
      bestGap = gap;
    }
  }
  return best;
}

/**
 * The packet being pushed (its row `p` at `at`; connection `id`; `kept` its packet-store row, -1 if not
 * kept) and pending slot `j` are one packet before and after the gateway — with `cut`, the arrival and the
 * first of the smaller segments it left as (resegment.ts). Returns the arrival's packet-store row, -1 if not kept.
 */
function pairWithPending(
  s: CorrelatorState,
  j: number,
  p: Float64Array,
  at: number,
  iface: number,
  arrival: DirId,
  id: number,
  connDir: 0 | 1,
  kept: number,
  cut: boolean,
): number {
  const r = s.ring;
  const t = p[at + Row.T]!;
  const rf = r.f;
  const q = j * Slot.STRIDE;
  unlinkPending(r, j, SlotState.MATCHED);
  // Both packets of the pair: a second capture of either link may show its copy after the match (recentMatchGap).
  const recent = s.recent;
  if (recent !== null) {
    rememberMatch(recent, p[at + Row.KEY]!, t, iface, p[at + Row.TTL]!, p[at + Row.SRC]!, p[at + Row.DST]!);
    rememberMatch(recent, rf[q + Slot.KEY]!, rf[q + Slot.T]!, rf[q + Slot.IFACE]!, rf[q + Slot.TTL]!, rf[q + Slot.SRC]!, rf[q + Slot.DST]!);
  }
  const pendingInbound = rf[q + Slot.TTL] === p[at + Row.TTL]! + 1;
  const qId = rf[q + Slot.CONN_ID]!;
  const qConnDir = rf[q + Slot.CONN_DIR]! as 0 | 1;
  const inId = pendingInbound ? qId : id;
  const outId = pendingInbound ? id : qId;
  const inConnDir = pendingInbound ? qConnDir : connDir;
  const outConnDir = pendingInbound ? connDir : qConnDir;
  const inIface = pendingInbound ? rf[q + Slot.IFACE]! : iface;
  const outIface = pendingInbound ? iface : rf[q + Slot.IFACE]!;
  const inT = pendingInbound ? rf[q + Slot.T]! : t;
  const outT = pendingInbound ? t : rf[q + Slot.T]!;
  s.matchedPairs++;
  const table = s.table;
  const cf = table.f;
  const inRow = inId * ConnField.STRIDE;
  const outRow = outId * ConnField.STRIDE;

  // Kept only when someone reads them later: a kept side's partner, the connection's first translation.
  const peerField = inConnDir === 0 ? ConnField.PEER_ROW : ConnField.REPLY_PEER_ROW;
  const wantsPeer = cf[inRow + peerField]! < 0;
  let qKept = r.kept[j]!;
  let inKept = -1;
  if (kept >= 0 || qKept >= 0 || wantsPeer) {
    const store = s.store;
    if (kept < 0) kept = keepRow(store, p, at, iface, arrival, id, connDir);
    if (qKept < 0) qKept = keepSlot(store, rf, q);
    keptSet(store, kept, Kept.MATCH, qKept);
    keptSet(store, qKept, Kept.MATCH, kept);
    inKept = pendingInbound ? qKept : kept;
    const outKept = pendingInbound ? kept : qKept;
    keptSet(store, inKept, Kept.DIR, Dir.IN);
    keptSet(store, outKept, Kept.DIR, Dir.OUT);
    if (cut) {
      keptSet(store, inKept, Kept.CUT, Cut.MERGED);
      keptSet(store, outKept, Kept.CUT, Cut.PIECE);
    }
    if (wantsPeer) cf[inRow + peerField] = outKept;
    if (inKept === cf[inRow + ConnField.FIRST_ROW]) cf[inRow + ConnField.FIRST_DIR] = Dir.IN;
    if (outKept === cf[outRow + ConnField.FIRST_ROW]) cf[outRow + ConnField.FIRST_DIR] = Dir.OUT;
  }

  // Learn the gateway's MAC on both interfaces from the pair (ip addr may not have been given).
  // (Checked here first: a MAC passed to a call is boxed, and both are known after the first pairs.)
  if (!macKnown(s, outIface)) learnMac(s, outIface, pendingInbound ? p[at + Row.SRC_MAC]! : rf[q + Slot.SRC_MAC]!);
  if (!macKnown(s, inIface)) {
    const inDstMac = pendingInbound ? rf[q + Slot.DST_MAC]! : p[at + Row.DST_MAC]!;
    if (inDstMac !== BROADCAST_MAC) learnMac(s, inIface, inDstMac);
  }
  // Nothing reads the pending slot after this: it is free for the next packet.
  releaseSlot(r, j);

  unionConnections(table, inId, outId);
  const delta = outT - inT;
  if (cf[inRow + ConnField.LATENCIES]! < MAX_LATENCIES) {
    cf[inRow + ConnField.LATENCIES]!++;
    logLatency(s, inId, delta);
  }
  const deltas = pairDeltaList(s, inIface, outIface);
  if (deltas.length < MAX_PAIR_DELTAS) deltas.push(delta);

  cf[inRow + ConnField.COUNTS + slot(inConnDir, Dir.IN, true)]!++;
  cf[outRow + ConnField.COUNTS + slot(outConnDir, Dir.OUT, true)]!++;
  if (inT > cf[inRow + ConnField.LAST_MATCHED_T]!) cf[inRow + ConnField.LAST_MATCHED_T] = inT;
  // An echo reply relayed back: its request got through, whatever the capture kept of it (icmp-echoes.ts).
  if (p[at + Row.PROTO] === Proto.ICMP && p[at + Row.ICMP_TYPE] === 0) observeEchoReply(cf, outRow, outConnDir, p[at + Row.ICMP_SEQ]!);
  return inKept;
}

/**
 * Append (connection, latency) to the log that finishCorrelator hands out to `Connection.latencies`:
 * appending to one array stays in cache, pushing to each connection's own array did not.
 */
function logLatency(s: CorrelatorState, id: number, delta: number): void {
  let log = s.latencyLog;
  if (s.latencyLogLength + 2 > log.length) {
    const bigger = new Float64Array(log.length * 2);
    bigger.set(log);
    s.latencyLog = log = bigger;
  }
  log[s.latencyLogLength++] = id;
  log[s.latencyLogLength++] = delta;
}

function pairDeltaList(s: CorrelatorState, inIface: number, outIface: number): number[] {
  let row = s.deltaLists[inIface];
  if (row === undefined) {
    row = [];
    s.deltaLists[inIface] = row;
  }
  let list = row[outIface];
  if (list === undefined) {
    list = [];
    row[outIface] = list;
    s.pairDeltas.set(`${inIface}>${outIface}`, list);
  }
  return list;
}

/** Pending slot `i` found no copy within the window: count it, by its direction on its interface. */
function finalizeUnmatched(s: CorrelatorState, i: number): void {
  const r = s.ring;
  const at = i * Slot.STRIDE;
  const id = r.f[at + Slot.CONN_ID]!;
  const connDir = r.f[at + Slot.CONN_DIR]! as 0 | 1;
  const dir = guessDirection(s, i);
  const f = r.f;
  const cf = s.table.f;
  const row = id * ConnField.STRIDE;
  // A TCP segment the far end acknowledged got through: the capture missed its copy, the gateway passed it. So did
  // an echo request whose reply the gateway relayed back.
  const proto = f[at + Slot.PROTO]!;
  const acked =
    dir === Dir.IN &&
    ((proto === Proto.TCP && acknowledged(cf, row, connDir, f[at + Slot.TCP_SEQ]!, f[at + Slot.PAYLOAD_LENGTH]!, f[at + Slot.TCP_FLAGS]!, f[at + Slot.T]!)) ||
      (proto === Proto.ICMP && f[at + Slot.ICMP_TYPE] === 8 && echoAnswered(cf, row, connDir === 0 ? 1 : 0, f[at + Slot.ICMP_SEQ]!)));
  cf[row + ConnField.COUNTS + slot(connDir, dir, acked)]!++;
  if (acked) {
    if (proto === Proto.ICMP) s.unseenEchoes++;
    else s.unseenCopies++;
    if (f[at + Slot.T]! > cf[row + ConnField.LAST_MATCHED_T]!) cf[row + ConnField.LAST_MATCHED_T] = f[at + Slot.T]!;
  }
  // TTL run out: the gateway may not forward it (RFC 1812 §5.3.1), whatever its rules say; not judged.
  const expired = dir === Dir.IN && !acked && f[at + Slot.TTL]! <= 1;
  if (expired) cf[row + ConnField.EXPIRED + connDir]!++;
  const store = s.store;
  const kept = r.kept[i]!;
  if (kept >= 0) {
    keptSet(store, kept, Kept.DIR, dir);
    keptSet(store, kept, Kept.COPY_UNSEEN, acked ? 1 : 0);
    if (kept === cf[row + ConnField.FIRST_ROW]) cf[row + ConnField.FIRST_DIR] = dir;
  }
  // A reset leaving with no copy having arrived is the gateway's own (REJECT --reject-with tcp-reset, or a segment
  // it took for itself): sampled even late in a connection, for the checks that cite it (gatewayResets).
  if (dir === Dir.OUT && f[at + Slot.PROTO] === Proto.TCP && (f[at + Slot.TCP_FLAGS]! & TcpFlag.RST) !== 0) {
    sampleUnmatched(s, i, id, kept, dir);
    return;
  }
  if (dir !== Dir.IN || acked || expired) return;
  const t = f[at + Slot.T]!;
  let u = s.unmatched[id];
  if (u === undefined) {
    u = { inHead: [], inTail: [], replyHead: [], replyTail: [] };
    s.unmatched[id] = u;
  }
  const head = connDir === 0 ? u.inHead : u.replyHead;
  const tail = connDir === 0 ? u.inTail : u.replyTail;
  if (head.length < TAIL) head.push(t);
  tail.push(t);
  if (tail.length > TAIL) tail.shift();
  sampleUnmatched(s, i, id, kept, dir);
}

/** Keep unmatched pending slot `i` (kept row `kept`, or -1) as a sample of connection `id`, while it keeps few. */
function sampleUnmatched(s: CorrelatorState, i: number, id: number, kept: number, dir: DirId): void {
  const store = s.store;
  const cf = s.table.f;
  const row = id * ConnField.STRIDE;
  if ((kept >= 0 && keptGet(store, kept, Kept.SAMPLE) >= 0) || cf[row + ConnField.UNMATCHED_SAMPLED]! >= MAX_UNMATCHED_SAMPLES) return;
  cf[row + ConnField.UNMATCHED_SAMPLED]!++;
  if (kept < 0) {
    kept = keepSlot(store, s.ring.f, i * Slot.STRIDE);
    keptSet(store, kept, Kept.DIR, dir);
    s.ring.kept[i] = kept;
  }
  addSample(s, id, kept);
}

/** Count a foreign IPv4 frame by interface and destination (`foreignTo`). */
function noteForeign(s: CorrelatorState, f: Float64Array, at: number, iface: number): void {
  const dst = f[at + Row.DST]!;
  const k = `${iface}|${dst}`;
  const d = s.foreignTo.get(k);
  if (d) d.count++;
  else if (s.foreignTo.size < FOREIGN_TO_MAX) {
    s.foreignTo.set(k, {
      iface,
      dst,
      mac: f[at + Row.DST_MAC]!,
      src: f[at + Row.SRC]!,
      count: 1,
      file: f[at + Row.FILE]!,
      frame: f[at + Row.FRAME]!,
      tsSec: f[at + Row.TS_SEC]!,
      tsNsec: f[at + Row.TS_NSEC]!,
    });
  }
}

/** An unmatched packet's direction when the link layer did not say: by the gateway's own addresses. */
function guessDirection(s: CorrelatorState, i: number): DirId {
  const f = s.ring.f;
  const at = i * Slot.STRIDE;
  const arrival = f[at + Slot.ARRIVAL]! as DirId;
  if (arrival !== Dir.UNKNOWN) return arrival;
  const local = s.options.localAddresses;
  if (local.has(f[at + Slot.SRC]!)) return Dir.OUT;
  if (local.has(f[at + Slot.DST]!)) return Dir.IN;
  // The gateway's MAC may have been learned after this packet arrived.
  const iface = f[at + Slot.IFACE]!;
  if (macKnown(s, iface) && f[at + Slot.SRC_MAC] === s.macCache[iface]) return Dir.OUT;
  return Dir.IN;
}

/** Finalise the pending packets older than `before` (unmatched: counted as such) and free their slots. */
function expire(s: CorrelatorState, before: number): void {
  const r = s.ring;
  for (;;) {
    const i = oldestPending(r);
    if (i < 0 || !(r.f[i * Slot.STRIDE + Slot.T]! < before)) break;
    dropOldest(r);
    unlinkPending(r, i, SlotState.FREE);
    finalizeUnmatched(s, i);
    releaseSlot(r, i);
  }
}

/**
 * Drain everything still waiting: call once after the last packet. Makes the `Connection` objects
 * (stored-connection.ts), which read the table's counters, union-find roots and kept packets, and hands
 * each connection its latencies as one range of a shared array.
 */
export function finishCorrelator(s: CorrelatorState): void {
  expire(s, Infinity);
  // The latency log, grouped by connection (a counting sort): each connection's are one range.
  const n = s.table.count;
  const log = s.latencyLog;
  const latStart = new Int32Array(n + 1);
  for (let k = 0; k < s.latencyLogLength; k += 2) latStart[log[k]! + 1]!++;
  for (let id = 0; id < n; id++) latStart[id + 1]! += latStart[id]!;
  const latValues = new Float64Array(s.latencyLogLength / 2);
  const fill = latStart.slice(0, n);
  for (let k = 0; k < s.latencyLogLength; k += 2) latValues[fill[log[k]!]!++] = log[k + 1]!;
  s.latencyLogLength = 0;
  s.latencyLog = new Float64Array(0);
  const data = { table: s.table, store: s.store, errors: s.errors, unmatched: s.unmatched, latStart, latValues, baseSec: s.baseSec, clockShiftNs: s.clockShiftNs };
  for (let id = s.connections.length; id < n; id++) s.connections.push(new StoredConnection(data, id, rootOf(s.table, id)));
}

/** File ICMP error `f` at `at` under the connection its quote names, or among the orphans (none does, or no quote is whole enough to tell). */
function quoteError(s: CorrelatorState, f: Float64Array, at: number, iface: number, t: number, arrival: DirId): void {
  let id = -1;
  if (f[at + Row.INNER_PRESENT] === 1) {
    const innerProto = f[at + Row.INNER_PROTO]!;
    const icmp = innerProto === Proto.ICMP;
    const sport = icmp ? f[at + Row.INNER_ICMP_ID]! : f[at + Row.INNER_SPORT]!;
    const dport = icmp ? 0 : f[at + Row.INNER_DPORT]!;
    id = findConnection(s.table, iface, innerProto, f[at + Row.INNER_SRC]!, f[at + Row.INNER_DST]!, sport, dport);
    if (id < 0 && quoteCut(innerProto, f[at + Row.INNER_L4]!)) id = cutQuoteConnection(s, f, at, iface, innerProto, f[at + Row.INNER_DST]!);
  } else if (f[at + Row.INNER_PRESENT] === 2) {
    id = cutQuoteConnection(s, f, at, iface, f[at + Row.INNER_PROTO]!, -1);
  }
  const src = f[at + Row.SRC]!;
  const fromGateway = s.options.localAddresses.has(src) || arrival === Dir.OUT;
  const e: QuotedError = {
    file: f[at + Row.FILE]!,
    frame: f[at + Row.FRAME]!,
    iface,
    tsSec: f[at + Row.TS_SEC]!,
    tsNsec: f[at + Row.TS_NSEC]!,
    t,
    type: f[at + Row.ICMP_TYPE]!,
    code: f[at + Row.ICMP_CODE]!,
    mtu: f[at + Row.ICMP_MTU]!,
    src,
    fromGateway,
    dir: arrival === Dir.UNKNOWN ? (fromGateway ? Dir.OUT : Dir.IN) : arrival,
  };
  if (id >= 0) keepError((s.errors[id] ??= []), e);
  else if (s.orphanErrors.length < 1000) s.orphanErrors.push(e);
}

/**
 * Whether an error's quote lacks what its key needs because the capture cut it: the ports of TCP and UDP (4 bytes),
 * the echo id of ICMP (6). Every error quotes 8 bytes past the IP header (RFC 792); a snaplen of 64 or 68 bytes
 * (tcpdump's old default) keeps the quoted IP header and 2 to 6 of them.
 */
function quoteCut(proto: number, l4: number): boolean {
  if (proto === Proto.TCP || proto === Proto.UDP) return l4 < 4;
  if (proto === Proto.ICMP) return l4 < 6;
  return false;
}

/** Connections by each end (`indexConnectionEnds`), indexed up to connection id `indexed`. */
interface ConnectionEnds {
  readonly byEnd: Map<string, number[]>;
  indexed: number;
}

/**
 * The connection an error with a cut quote is about: on its interface, of the quoted protocol, between the quoted
 * addresses (from the quoted source to any address when the quote stops before the destination, `dst` -1; from the
 * quoted source port when the capture kept it), the one whose latest packet is the latest — the quoted datagram was
 * sent just before the error answered it. -1 when none. The index of connections by their ends is made at the first
 * such error and then only extended: a flood of them costs a lookup each, not a scan of every connection.
 */
function cutQuoteConnection(s: CorrelatorState, f: Float64Array, at: number, iface: number, proto: number, dst: number): number {
  const src = f[at + Row.INNER_SRC]!;
  const sport = dst >= 0 && (proto === Proto.TCP || proto === Proto.UDP) && f[at + Row.INNER_L4]! >= 2 ? f[at + Row.INNER_SPORT]! : -1;
  const ends = s.cutQuotes;
  indexConnectionEnds(s.table, ends.indexed, ends.byEnd);
  ends.indexed = s.table.count;
  const cf = s.table.f;
  const ids = ends.byEnd.get(dst < 0 ? `${iface}|${proto}|${src}` : `${iface}|${proto}|${src < dst ? src : dst}|${src < dst ? dst : src}`) ?? [];
  let best = -1;
  // The newest connections only: a host with thousands, each error read against them all, would take quadratic time.
  for (let k = ids.length - 1; k >= 0 && k >= ids.length - CUT_QUOTE_CANDIDATES; k--) {
    const id = ids[k]!;
    if (!connectionBetween(s.table, id, src, dst, sport)) continue;
    if (best < 0 || cf[id * ConnField.STRIDE + ConnField.LAST_T]! > cf[best * ConnField.STRIDE + ConnField.LAST_T]!) best = id;
  }
  return best;
}

/** How many of the connections an error's cut quote names are weighed (the newest). */
const CUT_QUOTE_CANDIDATES = 256;

/** ICMP errors kept per connection: a flood of them (port unreachable for every datagram of a UDP stream) must not grow without bound. */
const MAX_ERRORS = 256;

/** Keep `e` unless the connection has MAX_ERRORS already; even then, a kind of error not among them yet (type, code, interface, direction). */
function keepError(list: QuotedError[], e: QuotedError): void {
  if (list.length < MAX_ERRORS || !list.some((x) => x.type === e.type && x.code === e.code && x.iface === e.iface && x.dir === e.dir)) list.push(e);
}

/** The flow (union-find root connection id) connection `id` belongs to. */
export function findRoot(s: CorrelatorState, id: number): number {
  return rootOf(s.table, id);
}
