import type { CaptureRecord } from '../model/capture.js';
import type { DecodedPacket } from '../model/packet.js';
import { Net, PacketType, Proto, TcpFlag } from '../model/packet.js';
import { newArpTracker, observeArp, type ArpTracker } from './arp-tracker.js';
import {
  connectionKey,
  isOriginalDirection,
  MAX_LATENCIES,
  MAX_SAMPLES,
  MAX_UNMATCHED_SAMPLES,
  newConnection,
  slot,
  TAIL,
  type Connection,
  type QuotedError,
} from './connection.js';
import { fingerprint, sameInvariants } from './fingerprint.js';
import { Dir, isForwardableIpv4, isIcmpError, toPacketInfo, type DirId, type PacketInfo } from './packet-info.js';

export interface CorrelatorOptions {
  /** The gateway's own IPv4 addresses (from the snapshot). */
  readonly localAddresses: ReadonlySet<number>;
  /** The gateway's MAC per interface index, when the snapshot gives it (learned from matches otherwise). */
  readonly macs: Map<number, number>;
  /** How far apart in time a packet and its copy may be (ns). */
  readonly windowNs: number;
}

/** Everything the correlator learned, for flow assembly and the checks. */
export interface CorrelatorState {
  readonly options: CorrelatorOptions;
  readonly connections: Connection[];
  readonly byKey: Map<string, Connection>;
  /** Packets waiting for their copy, by fingerprint. */
  readonly pending: Map<number, PacketInfo[]>;
  /** The same packets in arrival order, for expiry. */
  readonly queue: PacketInfo[];
  queueHead: number;
  readonly arp: ArpTracker;
  /** Orphan ICMP errors (their quoted connection was not seen). */
  readonly orphanErrors: QuotedError[];
  /** Matched pair time differences (copy − original, ns) by direction "ifaceIn>ifaceOut" (bounded). */
  readonly pairDeltas: Map<string, number[]>;
  matchedPairs: number;
  ignored: { ipv6: number; nonIp: number; multicast: number; fragments: number; truncated: number };
  packets: number;
  /** Queue length at which matched packets are swept out of it. */
  compactAt: number;
  /** Base of the relative clock `t` (seconds); set from the first packet. */
  baseSec: number;
}

export function newCorrelator(options: CorrelatorOptions): CorrelatorState {
  return {
    options,
    connections: [],
    byKey: new Map(),
    pending: new Map(),
    queue: [],
    queueHead: 0,
    arp: newArpTracker(),
    orphanErrors: [],
    pairDeltas: new Map(),
    matchedPairs: 0,
    ignored: { ipv6: 0, nonIp: 0, multicast: 0, fragments: 0, truncated: 0 },
    packets: 0,
    compactAt: 4096,
    baseSec: -1,
  };
}

const BROADCAST_MAC = 0xffffffffffff;

/** Direction on arrival, from what the link layer says (SLL packet type, the gateway's MAC). */
function arrivalDirection(s: CorrelatorState, d: DecodedPacket, iface: number): DirId {
  if (d.packetType === PacketType.OUTGOING) return Dir.OUT;
  if (d.packetType !== PacketType.UNKNOWN) return Dir.IN;
  const mac = s.options.macs.get(iface);
  if (mac !== undefined && d.srcMac !== 0) {
    if (d.srcMac === mac) return Dir.OUT;
    if (d.dstMac === mac || d.dstMac === BROADCAST_MAC) return Dir.IN;
  }
  return Dir.UNKNOWN;
}

/** Feed one decoded packet. Packets must come in time order across all captures (merge them first). */
export function pushPacket(s: CorrelatorState, rec: CaptureRecord, d: DecodedPacket, file: number, iface: number): void {
  s.packets++;
  if (s.baseSec < 0) s.baseSec = rec.tsSec;
  const t = (rec.tsSec - s.baseSec) * 1e9 + rec.tsNsec;
  expire(s, t - s.options.windowNs);

  if (d.net === Net.ARP) {
    observeArp(s.arp, iface, d.arpOp, d.arpSpa, d.arpTpa, { file, frame: rec.frame, tsSec: rec.tsSec, tsNsec: rec.tsNsec });
    return;
  }
  if (d.net !== Net.IPV4) {
    if (d.net === Net.IPV6) s.ignored.ipv6++;
    else s.ignored.nonIp++;
    return;
  }
  if (d.truncatedAt !== 0 && d.truncatedAt <= 2) {
    s.ignored.truncated++;
    return;
  }
  if (!isForwardableIpv4(d)) {
    s.ignored.multicast++;
    return;
  }
  if (d.fragment && d.fragOffset > 0) {
    s.ignored.fragments++;
    return;
  }
  const arrival = arrivalDirection(s, d, iface);

  if (d.proto === Proto.ICMP && isIcmpError(d.icmpType) && d.inner.present) {
    quoteError(s, rec, d, file, iface, t, arrival);
    return;
  }

  const p = toPacketInfo(rec, d, file, iface, t, arrival, fingerprint(d));
  const key = connectionKey(iface, p.proto, p.src, p.dst, p.sport, p.dport);
  let c = s.byKey.get(key);
  if (!c) {
    c = newConnection(s.connections.length, p);
    s.connections.push(c);
    s.byKey.set(key, c);
  }
  p.connId = c.id;
  p.connDir = isOriginalDirection(c, p) ? 0 : 1;
  c.last = p;
  if (p.proto === Proto.TCP && p.connDir === 0 && (p.tcpFlags & (TcpFlag.SYN | TcpFlag.ACK)) === TcpFlag.SYN) c.sawSyn = true;
  if (c.samples.length < MAX_SAMPLES) {
    p.sample = c.samples.length;
    c.samples.push(p);
  }

  if (!tryMatch(s, p)) {
    let list = s.pending.get(p.key);
    if (!list) {
      list = [];
      s.pending.set(p.key, list);
    }
    list.push(p);
    s.queue.push(p);
    // Drop matched packets from the expiry queue now and then, so that they die young instead of
    // living for a whole window (most packets are matched within microseconds).
    if (s.queue.length - s.queueHead >= s.compactAt) compactQueue(s);
  }
}

function compactQueue(s: CorrelatorState): void {
  const q = s.queue;
  let w = 0;
  for (let r = s.queueHead; r < q.length; r++) if (!q[r]!.match) q[w++] = q[r]!;
  q.length = w;
  s.queueHead = 0;
  // Grow the threshold with what stays pending, so compaction stays amortised O(1) per packet.
  s.compactAt = Math.max(4096, w * 2);
}

function tryMatch(s: CorrelatorState, p: PacketInfo): boolean {
  const list = s.pending.get(p.key);
  if (!list) return false;
  let best = -1;
  let bestGap = Infinity;
  for (let i = 0; i < list.length; i++) {
    const q = list[i]!;
    if (q.match || q.iface === p.iface) continue;
    if (!sameInvariants(p, q)) continue;
    const gap = Math.abs(p.t - q.t);
    if (gap > s.options.windowNs) continue;
    // The copy is one hop later: TTL exactly one lower (FAILURES.md). The higher one arrived.
    let inbound: PacketInfo;
    let outbound: PacketInfo;
    if (q.ttl === p.ttl + 1) {
      inbound = q;
      outbound = p;
    } else if (p.ttl === q.ttl + 1) {
      inbound = p;
      outbound = q;
    } else continue;
    if (inbound.arrivalDir === Dir.OUT || outbound.arrivalDir === Dir.IN) continue;
    if (gap < bestGap) {
      best = i;
      bestGap = gap;
    }
  }
  if (best < 0) return false;
  const q = list[best]!;
  list.splice(best, 1);
  if (list.length === 0) s.pending.delete(p.key);
  pair(s, q.ttl === p.ttl + 1 ? q : p, q.ttl === p.ttl + 1 ? p : q);
  return true;
}

function pair(s: CorrelatorState, inbound: PacketInfo, outbound: PacketInfo): void {
  inbound.match = outbound;
  outbound.match = inbound;
  inbound.dir = Dir.IN;
  outbound.dir = Dir.OUT;
  s.matchedPairs++;
  // Learn the gateway's MAC on both interfaces from the pair (ip addr may not have been given).
  const macs = s.options.macs;
  if (outbound.srcMac !== 0 && !macs.has(outbound.iface)) macs.set(outbound.iface, outbound.srcMac);
  if (inbound.dstMac !== 0 && inbound.dstMac !== BROADCAST_MAC && !macs.has(inbound.iface)) macs.set(inbound.iface, inbound.dstMac);

  const ci = s.connections[inbound.connId]!;
  const co = s.connections[outbound.connId]!;
  union(s, ci.id, co.id);
  if (inbound.connDir === 0 && !ci.peer) ci.peer = outbound;
  if (inbound.connDir === 1 && !ci.replyPeer) ci.replyPeer = outbound;
  const delta = outbound.t - inbound.t;
  if (ci.latencies.length < MAX_LATENCIES) ci.latencies.push(delta);
  const dk = `${inbound.iface}>${outbound.iface}`;
  let deltas = s.pairDeltas.get(dk);
  if (!deltas) {
    deltas = [];
    s.pairDeltas.set(dk, deltas);
  }
  if (deltas.length < 4096) deltas.push(delta);
  finalize(s, inbound, true);
  finalize(s, outbound, true);
}

function finalize(s: CorrelatorState, p: PacketInfo, matched: boolean): void {
  const c = s.connections[p.connId]!;
  if (!matched) p.dir = guessDirection(s, p);
  if (p === c.first) c.firstDir = p.dir;
  c.counts[slot(p.connDir, p.dir, matched)]!++;
  if (!matched && p.dir === Dir.IN) {
    if (p.connDir === 0) {
      if (c.unmatchedInHead.length < TAIL) c.unmatchedInHead.push(p.t);
      c.unmatchedInTail.push(p.t);
      if (c.unmatchedInTail.length > TAIL) c.unmatchedInTail.shift();
    }
    if (p.sample < 0 && c.unmatchedSampled < MAX_UNMATCHED_SAMPLES) {
      c.unmatchedSampled++;
      p.sample = c.samples.length;
      c.samples.push(p);
    }
  }
}

/** An unmatched packet's direction when the link layer did not say: by the gateway's own addresses. */
function guessDirection(s: CorrelatorState, p: PacketInfo): DirId {
  if (p.arrivalDir !== Dir.UNKNOWN) return p.arrivalDir;
  const local = s.options.localAddresses;
  if (local.has(p.src)) return Dir.OUT;
  if (local.has(p.dst)) return Dir.IN;
  // The gateway's MAC may have been learned after this packet arrived.
  const mac = s.options.macs.get(p.iface);
  if (mac !== undefined && p.srcMac === mac) return Dir.OUT;
  return Dir.IN;
}

function expire(s: CorrelatorState, before: number): void {
  const q = s.queue;
  while (s.queueHead < q.length && q[s.queueHead]!.t < before) {
    const p = q[s.queueHead++]!;
    if (p.match) continue;
    const list = s.pending.get(p.key);
    if (list) {
      const i = list.indexOf(p);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) s.pending.delete(p.key);
    }
    finalize(s, p, false);
  }
  // Compact the queue now and then so memory follows the window, not the capture.
  if (s.queueHead > 4096 && s.queueHead * 2 > q.length) {
    q.splice(0, s.queueHead);
    s.queueHead = 0;
  }
}

/** Drain everything still waiting: call once after the last packet. */
export function finishCorrelator(s: CorrelatorState): void {
  expire(s, Infinity);
}

function quoteError(s: CorrelatorState, rec: CaptureRecord, d: DecodedPacket, file: number, iface: number, t: number, arrival: DirId): void {
  const inner = d.inner;
  const icmp = inner.proto === Proto.ICMP;
  const sport = icmp ? inner.icmpId : inner.sport;
  const dport = icmp ? 0 : inner.dport;
  const c = s.byKey.get(connectionKey(iface, inner.proto, inner.src, inner.dst, sport, dport));
  const fromGateway = s.options.localAddresses.has(d.src) || arrival === Dir.OUT;
  const e: QuotedError = {
    file,
    frame: rec.frame,
    iface,
    tsSec: rec.tsSec,
    tsNsec: rec.tsNsec,
    t,
    type: d.icmpType,
    code: d.icmpCode,
    mtu: d.icmpMtu,
    src: d.src,
    fromGateway,
    dir: arrival === Dir.UNKNOWN ? (fromGateway ? Dir.OUT : Dir.IN) : arrival,
  };
  if (c) c.errors.push(e);
  else if (s.orphanErrors.length < 1000) s.orphanErrors.push(e);
}

export function findRoot(s: CorrelatorState, id: number): number {
  const cs = s.connections;
  let r = id;
  while (cs[r]!.parent !== r) r = cs[r]!.parent;
  let x = id;
  while (cs[x]!.parent !== r) {
    const next = cs[x]!.parent;
    cs[x]!.parent = r;
    x = next;
  }
  return r;
}

function union(s: CorrelatorState, a: number, b: number): void {
  const ra = findRoot(s, a);
  const rb = findRoot(s, b);
  if (ra !== rb) s.connections[Math.max(ra, rb)]!.parent = Math.min(ra, rb);
}
