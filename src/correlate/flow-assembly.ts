import type { Snapshot } from '../model/snapshot.js';
import type { Trace, SimPacket } from '../model/trace.js';
import type { FlowDisposition } from '../model/analysis.js';
import { Proto, TcpFlag } from '../model/packet.js';
import { slot, type Connection, type PacketTime, type QuotedError } from './connection.js';
import { findRoot, type CorrelatorState } from './correlator.js';
import { Dir, type PacketInfo } from './packet-info.js';

/** The judged window in the correlator's relative clock (ns): only packets inside it count as lost. */
export interface JudgeWindow {
  readonly from: number;
  readonly to: number;
}

export interface FlowTuple {
  readonly src: number;
  readonly dst: number;
  readonly sport: number;
  readonly dport: number;
}

/** A flow: the connections on every interface that matched packets join into one. */
export interface AssembledFlow {
  /** f1, f2… in order of the flows' first packets (set once all are judged). */
  id: string;
  readonly proto: number;
  /** The connection on the interface the flow entered by; for a flow only seen leaving, the one it was seen on. */
  readonly ingress: Connection;
  /** The connection on the interface it left by (for a flow only seen leaving by the outside, `unseenIngress`, the same as `ingress`); null where none was seen. */
  readonly egress: Connection | null;
  readonly connections: readonly Connection[];
  /** Where the first packet entered; -1 when it was only seen leaving. */
  readonly ingressIface: number;
  /**
   * For a flow only seen leaving by the outside interface, the inside not captured, and forwarded (a private source
   * not the gateway's, or one of its addresses with less than its own packets' TTL: source-NATed): the interface it
   * came in by, unseen. Its request is judged as it left: `original` and `observed` the packet as it left, `egress`
   * the connection seen (the same as `ingress`), `trace` walked from the inside where the source was not translated.
   */
  readonly unseenIngress?: string;
  readonly original: FlowTuple;
  readonly observed: FlowTuple | null;
  readonly trace: Trace | null;
  disposition: FlowDisposition;
  /** Request packets that arrived on the ingress side inside the judged window, and how many were forwarded. */
  readonly requests: number;
  readonly requestsJudged: number;
  readonly forwarded: number;
  /** Replies that arrived on the egress side, and how many left again on the ingress side. */
  readonly replies: number;
  /**
   * Replies counted for loss: those that arrived on the egress side (0 without one) inside the window both
   * captures cover, as for requests.
   */
  readonly repliesJudged: number;
  readonly repliesReturned: number;
  lossRate: number | null;
  readonly latencyNs: number | null;
  /** ICMP errors quoting the flow's packets, on any interface. */
  readonly errors: readonly QuotedError[];
  readonly sawSyn: boolean;
  readonly firstT: number;
  readonly lastT: number;
  readonly first: PacketInfo;
  /** When the ingress connection's latest packet was seen. */
  readonly last: PacketTime;
}

export interface AssemblyInput {
  readonly state: CorrelatorState;
  readonly snapshot: Snapshot | null;
  readonly judge: JudgeWindow;
  /**
   * The simulator for a flow's first packet; `egress` is the interface the captures say it leaves by (its copy's),
   * or would have (the other captured interface of a two-interface gateway), for a snapshot without routes.
   */
  readonly simulate: ((p: SimPacket, egress: { name: string; why: string } | null) => Trace) | null;
  readonly ifaceName: (i: number) => string;
  /**
   * The snapshot holds NAT rules. Without any (e.g. taken with the other iptables backend), observed
   * translations cannot be compared with the rules, and the flows are judged by the captures alone.
   */
  readonly natRulesKnown: boolean;
  /** Interfaces the captures hold packets of: a flow that should leave by another cannot be followed. */
  readonly captured: ReadonlySet<string>;
  /** The interfaces' roles (interface-roles.ts), where known. */
  readonly roles?: { readonly inside: string | null; readonly outside: string | null };
}

function tupleOf(p: PacketInfo): FlowTuple {
  return { src: p.src, dst: p.dst, sport: p.sport, dport: p.dport };
}

function median(xs: Float64Array): number | null {
  if (xs.length === 0) return null;
  // A typed array sorts numerically without a comparator call per step (thousands of flows); sorted in place.
  const s = xs.sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : Math.round((s[m - 1]! + s[m]!) / 2);
}

function countIn(c: Connection, connDir: 0 | 1, dir: 1 | 2): { total: number; matched: number } {
  const matched = c.counts[slot(connDir, dir, true)]!;
  return { total: matched + c.counts[slot(connDir, dir, false)]!, matched };
}

/**
 * Unmatched arrivals in direction `connDir` that fall outside the judged window: before every capture ran,
 * or so close to the end of one that their copy may have left after it stopped.
 */
function unjudgedArrivals(c: Connection, connDir: 0 | 1, judge: JudgeWindow): number {
  // Head and tail may share entries; an entry is counted by the head only when early, by the tail only when late.
  let n = 0;
  for (const t of connDir === 0 ? c.unmatchedInHead : c.unmatchedReplyInHead) if (t < judge.from) n++;
  for (const t of connDir === 0 ? c.unmatchedInTail : c.unmatchedReplyInTail) if (t > judge.to) n++;
  return n;
}

export function toSimPacket(p: PacketInfo, ingress: string, state: SimPacket['state']): SimPacket {
  const icmp = p.proto === Proto.ICMP;
  return {
    ingress,
    src: p.src,
    dst: p.dst,
    proto: p.proto,
    sport: icmp ? 0 : p.sport,
    dport: icmp ? 0 : p.dport,
    icmpType: icmp ? p.icmpType : -1,
    icmpCode: icmp ? p.icmpCode : -1,
    icmpId: icmp ? p.sport : -1,
    size: p.length,
    df: p.df,
    state,
    mark: 0,
  };
}

/** Where the captures say a flow leaves (its copy's interface), or would (the one other captured interface). */
function egressHint(ingress: Connection, egress: Connection | null, input: AssemblyInput): { name: string; why: string } | null {
  if (egress && egress.iface !== ingress.iface) return { name: input.ifaceName(egress.iface), why: 'where the captures show it leaving' };
  const others = [...input.captured].filter((n) => n !== input.ifaceName(ingress.iface));
  return others.length === 1 ? { name: others[0]!, why: 'the other interface captured' } : null;
}

/**
 * Join matched connections into flows and judge each: was every request forwarded, translated as the
 * rules say, and did the replies come back? Dispositions are FAILURES.md's vocabulary.
 */
export function assembleFlows(input: AssemblyInput): AssembledFlow[] {
  const { state } = input;
  // Connections are numbered in order of appearance and a flow's root is its lowest id: one pass groups them.
  const groups: Connection[][] = [];
  const groupOf = new Int32Array(state.connections.length).fill(-1);
  for (const c of state.connections) {
    const r = findRoot(state, c.id);
    let g = groupOf[r]!;
    if (g < 0) {
      g = groups.length;
      groupOf[r] = g;
      groups.push([]);
    }
    groups[g]!.push(c);
  }
  const flows: AssembledFlow[] = [];
  for (const conns of groups) flows.push(judgeGroup(conns, input));
  flows.sort((a, b) => a.firstT - b.firstT || a.ingress.id - b.ingress.id);
  for (let i = 0; i < flows.length; i++) flows[i]!.id = `f${i + 1}`;
  return flows;
}

/** Scratch for a flow's latencies (a flow has at most MAX_LATENCIES a connection). */
let latencyScratch = new Float64Array(256);

function judgeGroup(conns: Connection[], input: AssemblyInput): AssembledFlow {
  const { judge } = input;
  const sorted = conns.length === 1 ? conns : [...conns].sort((a, b) => a.firstT - b.firstT);
  // The flow entered where its first inbound packet arrived.
  const ingress = sorted.find((c) => c.firstDir === Dir.IN) ?? sorted[0]!;
  const entered = ingress.firstDir === Dir.IN;
  const peer = ingress.peer;
  let egress: Connection | null = null;
  if (peer !== null) {
    for (const c of conns) if (c.id === peer.connId) egress = c;
  } else {
    for (const c of sorted) if (egress === null && c !== ingress && c.iface !== ingress.iface) egress = c;
  }

  let errors: QuotedError[] | readonly QuotedError[] = conns[0]!.errors;
  let firstT = Infinity;
  let lastT = -Infinity;
  let nLat = 0;
  for (let k = 0; k < conns.length; k++) {
    const c = conns[k]!;
    if (k > 0 && c.errors.length) errors = [...errors, ...c.errors];
    if (c.firstT < firstT) firstT = c.firstT;
    if (c.lastT > lastT) lastT = c.lastT;
    const lat = c.latencies;
    if (nLat + lat.length > latencyScratch.length) {
      const bigger = new Float64Array((nLat + lat.length) * 2);
      bigger.set(latencyScratch.subarray(0, nLat));
      latencyScratch = bigger;
    }
    latencyScratch.set(lat, nLat);
    nLat += lat.length;
  }

  const req = countIn(ingress, 0, Dir.IN);
  // Arrivals outside the window both captures ran, and those whose TTL ran out (traceroute), are not judged.
  const unjudged = unjudgedArrivals(ingress, 0, judge) + ingress.expiredIn[0]!;
  const requestsJudged = Math.max(0, req.total - unjudged);
  // Replies: on the egress connection, the direction opposite to the forwarded requests.
  let replies = 0;
  let repliesReturned = 0;
  let repliesJudged = 0;
  if (egress) {
    const reqDir: 0 | 1 = peer ? peer.connDir : 0;
    const repDir: 0 | 1 = reqDir === 0 ? 1 : 0;
    const rep = countIn(egress, repDir, Dir.IN);
    replies = rep.total;
    repliesReturned = rep.matched;
    // Cut to the window both captures cover, as requests are: a reply that arrived before the other
    // capture started, or in its last moments, may have been forwarded unseen.
    repliesJudged = Math.max(0, rep.total - unjudgedArrivals(egress, repDir, judge) - egress.expiredIn[repDir]!);
  } else {
    // No egress connection: replies can only be the gateway's own answers (local traffic).
    replies = countIn(ingress, 1, Dir.OUT).total;
  }

  const first = ingress.first;
  let trace: Trace | null = null;
  if (input.simulate && entered) trace = input.simulate(toSimPacket(first, input.ifaceName(ingress.iface), 'new'), egressHint(ingress, egress, input));
  let observed = peer ? tupleOf(peer) : null;
  // Seen only leaving by the outside, its way in not captured: forwarded from the inside (a private source not the
  // gateway's, or one of its own addresses with less than its own packets' TTL: source-NATed to an EIP). The packet
  // as it left is all there is of it: what left (`observed`, the flow's egress side), and what came back. An
  // untranslated one is walked through the rules from the inside; a translated one's source before NAT is unknown.
  const unseenIngress = entered ? null : unseenWayIn(ingress, input);
  if (unseenIngress !== null) {
    observed = tupleOf(first);
    egress = ingress;
    replies = countIn(ingress, 1, Dir.IN).total;
    if (input.simulate && !input.state.options.localAddresses.has(first.src)) {
      trace = input.simulate(toSimPacket(first, unseenIngress, 'new'), { name: input.ifaceName(ingress.iface), why: 'where the captures show it leaving' });
    }
  }
  // Loss at the gateway, both ways: judged requests without a copy on the egress side, and replies that
  // arrived on the egress side without a copy back on the ingress side (a DROP in FORWARD hits both).
  const judgedBoth = requestsJudged + (req.matched > 0 ? repliesJudged : 0);
  const lostBoth = Math.max(0, requestsJudged - req.matched) + (req.matched > 0 && repliesReturned > 0 ? Math.max(0, repliesJudged - repliesReturned) : 0);
  const lossRate = judgedBoth > 0 ? lostBoth / judgedBoth : null;

  const flow: AssembledFlow = {
    id: '',
    proto: ingress.proto,
    ingress,
    egress,
    connections: sorted,
    ingressIface: entered ? ingress.iface : -1,
    original: tupleOf(first),
    observed,
    trace,
    disposition: 'delivered',
    requests: req.total,
    requestsJudged,
    forwarded: req.matched,
    replies,
    repliesJudged,
    repliesReturned,
    lossRate: lossRate === null ? null : Math.round(lossRate * 10000) / 10000,
    latencyNs: median(latencyScratch.subarray(0, nLat)),
    errors,
    sawSyn: ingress.sawSyn,
    firstT,
    lastT,
    first,
    last: ingress.last,
    ...(unseenIngress !== null ? { unseenIngress } : {}),
  };
  flow.disposition = decideDisposition(flow, input);
  // A flow that could not be judged has no loss rate (its packets may have left unseen); nor has one for the
  // gateway itself, which was never to leave (a broadcast to the subnet, a ping of the gateway).
  if (flow.disposition === 'outside-capture' || flow.disposition === 'local') flow.lossRate = null;
  return flow;
}

type Draft = Omit<AssembledFlow, 'disposition'>;

/** The request's copy as it left the gateway: its matched copy, or for a flow only seen leaving, the packet itself. */
export function leftAs(f: Pick<AssembledFlow, 'ingress' | 'unseenIngress' | 'first'>): PacketInfo | null {
  return f.ingress.peer ?? (f.unseenIngress !== undefined ? f.first : null);
}

/** The TTL the gateway's own packets leave with: net.ipv4.ip_default_ttl, 64 unless the snapshot says otherwise. */
function ownTtl(input: AssemblyInput): number {
  const v = Number(input.snapshot?.host.sysctls.get('net.ipv4.ip_default_ttl')?.value ?? 64);
  return Number.isInteger(v) && v > 0 && v < 256 ? v : 64;
}

/**
 * The inside interface a connection seen only leaving came in by, when that is all the captures can show: it left by
 * the outside interface, the inside was not captured, and it was forwarded — from a private address that is not the
 * gateway's own, or from one of its own addresses with less than the TTL its own packets leave with (source-NATed).
 */
function unseenWayIn(c: Connection, input: AssemblyInput): string | null {
  const inside = input.roles?.inside ?? null;
  const outside = input.roles?.outside ?? null;
  if (inside === null || outside === null || input.captured.has(inside) || input.ifaceName(c.iface) !== outside) return null;
  const src = c.first.src;
  const own = input.state.options.localAddresses.has(src);
  if (own ? c.first.ttl >= ownTtl(input) : !isPrivateIpv4(src)) return null;
  // An answer to what came in by the outside (a reply the DNAT was not undone on, from the backend's own address) is
  // not a request of its own: its destination sent a packet in from that very address and port.
  return arrivedFrom(input).has(endpointKey(c.proto, c.iface, c.first.dst, c.first.dport)) ? null : inside;
}

function endpointKey(proto: number, iface: number, addr: number, port: number): string {
  return `${proto}|${iface}|${addr}|${port}`;
}

/** Where the connections that began with an arrival came from (proto, interface, source address and port): built once. */
const arrivals = new WeakMap<AssemblyInput, Set<string>>();
function arrivedFrom(input: AssemblyInput): Set<string> {
  let set = arrivals.get(input);
  if (!set) {
    set = new Set(input.state.connections.filter((x) => x.firstDir === Dir.IN).map((x) => endpointKey(x.proto, x.iface, x.first.src, x.first.sport)));
    arrivals.set(input, set);
  }
  return set;
}

/** Whether the interface a flow should leave by was captured (without a trace: whether a second one was). */
export function egressCaptured(t: Trace | null, captured: ReadonlySet<string>): boolean {
  return t?.disposition.kind === 'forwarded' ? captured.has(t.disposition.egress) : captured.size >= 2;
}

function expectsReply(f: Draft): boolean {
  if (isProbe(f)) return false;
  if (f.proto === Proto.ICMP) return f.first.icmpType === 8;
  if (f.proto === Proto.TCP) return (f.first.tcpFlags & TcpFlag.RST) === 0;
  return f.proto === Proto.UDP;
}

/** traceroute's (and mtr's) UDP probes go to 33434 and up: one port per probe, 3 probes a hop, 30 hops. */
const TRACEROUTE_PORTS = { from: 33434, to: 33534 } as const;

/**
 * A traceroute probe: a UDP datagram to traceroute's ports, or a packet that arrived with a TTL of a few hops and
 * ran out beyond the gateway (an ICMP time exceeded came back in by its egress). What such a probe expects is an
 * ICMP answer, or none from a hop that stays silent: it wants no reply of its own kind, and none missing says
 * nothing about the gateway.
 */
export function isProbe(f: Pick<Draft, 'proto' | 'original' | 'errors' | 'egress' | 'first'>): boolean {
  if (f.proto === Proto.UDP && f.original.dport >= TRACEROUTE_PORTS.from && f.original.dport <= TRACEROUTE_PORTS.to) return true;
  // A probe starts with a TTL of a few hops; ordinary traffic with 64, 128 or 255 that runs out beyond the gateway
  // met a routing loop there, which is a stop, not an answer.
  if (f.first.ttl > PROBE_TTL) return false;
  const egress = f.egress?.iface ?? -1;
  return f.errors.some((e) => e.type === 11 && e.code === 0 && e.iface === egress && e.dir === Dir.IN);
}

/** The highest TTL a probe arrives with: traceroute and mtr go up to 30 hops by default. */
const PROBE_TTL = 32;

/** The flow's replies went back, but not as the inverse of its request's translation (the DNAT was not undone). */
export function repliesUntranslated(f: Pick<Draft, 'egress' | 'original'>): boolean {
  const back = f.egress?.replyPeer ?? null;
  return back !== null && (back.src !== f.original.dst || back.dst !== f.original.src);
}

/**
 * A TCP connection translated anew in mid-stream: besides the connection its requests first left as, one on the
 * same interface that began with no SYN, leaving from another address or port. One conntrack entry translates a
 * connection one way for its life; two mean the entry was lost and made again from a segment in mid-stream
 * (pickup, nf_conntrack_tcp_loose=1), which the nat table took for a new connection. The later one, or null.
 */
export function retranslated(f: Pick<Draft, 'proto' | 'egress' | 'ingress' | 'connections'>): Connection | null {
  const e = f.egress;
  if (f.proto !== Proto.TCP || !e || e.firstDir !== Dir.OUT) return null;
  for (const c of f.connections) {
    if (c === e || c === f.ingress || c.iface !== e.iface || c.firstDir !== Dir.OUT || c.firstT < e.firstT) continue;
    if ((c.first.tcpFlags & TcpFlag.SYN) !== 0) continue;
    if (c.src !== e.src || c.sport !== e.sport || c.dst !== e.dst || c.dport !== e.dport) return c;
  }
  return null;
}

function sameAddresses(a: FlowTuple, b: FlowTuple): boolean {
  return a.src === b.src && a.dst === b.dst;
}

/** RFC 1918, RFC 6598 shared space: addresses that cannot be answered from the outside untranslated. */
export function isPrivateIpv4(a: number): boolean {
  const top = a >>> 24;
  if (top === 10) return true;
  if (a >>> 20 === 0xac1) return true; // 172.16/12
  if (a >>> 16 === 0xc0a8) return true; // 192.168/16
  if (a >>> 22 === (100 << 2 | 1)) return true; // 100.64/10
  return false;
}

/**
 * A flow none of whose packets the egress side's capture holds, but whose far end answered: replies from the address
 * the requests were sent to left by the interface they came in by (not resets, which a REJECT sends in its name).
 * The gateway forwarded the requests and the replies; the capture of the other side missed them.
 */
export function answeredUnseen(f: Pick<AssembledFlow, 'egress' | 'ingress' | 'proto' | 'original'>): boolean {
  if (f.egress !== null) return false;
  return f.ingress.samples.some(
    (p) => p.connDir === 1 && p.dir === Dir.OUT && !p.match && p.src === f.original.dst && (f.proto !== Proto.TCP || (p.tcpFlags & TcpFlag.RST) === 0),
  );
}

function decideDisposition(f: Draft, input: AssemblyInput): FlowDisposition {
  const local = input.state.options.localAddresses;
  if (f.ingressIface < 0) {
    // Left by the outside, nothing came back: with its private source, untranslated, whichever way it came in;
    // translated to one of the gateway's addresses, no reply — where the capture ran on long enough to see one.
    if (f.unseenIngress !== undefined && f.replies === 0 && expectsReply(f)) {
      if (!local.has(f.original.src)) return 'forwarded-untranslated';
      if (f.firstT < input.judge.to) return 'no-reply';
    }
    // Only ever seen leaving: the gateway's own traffic, or copies whose originals the captures missed — from an
    // address of its own too where they left with less than the TTL it gives its own packets: forwarded and
    // source-NATed to that address (an EIP), their way in not seen.
    return local.has(f.original.src) && f.first.ttl >= ownTtl(input) ? 'local' : 'outside-capture';
  }
  const t = f.trace;
  if (f.forwarded === 0 && (t?.disposition.kind === 'local' || (!t && local.has(f.original.dst)))) return 'local';
  // For the gateway itself and dropped by its own INPUT chain: its own firewall's business, nothing it was to forward.
  if (f.forwarded === 0 && t?.disposition.kind === 'dropped' && t.disposition.reason === 'input-chain') return 'local';
  // Every request arrived with its TTL run out (traceroute's first hop): the gateway itself was where they ended.
  if (f.forwarded === 0 && f.requestsJudged === 0 && f.ingress.expiredIn[0]! > 0 && f.ingress.expiredIn[0]! === f.requests) return 'local';
  if (f.requestsJudged === 0 && f.forwarded === 0) return 'outside-capture';
  if (f.forwarded === 0) {
    // Nothing left by a captured interface. When the rules say the flow leaves by one nobody captured (or only
    // one interface was captured at all), its packets may have left unseen: not judged — unless the rules
    // themselves stop it at the gateway (forwarding off, a FORWARD drop…), which the snapshot proves.
    if (t?.disposition.kind !== 'dropped' && !egressCaptured(t, input.captured)) return 'outside-capture';
    // Answered, though the egress capture holds none of it: the far end's replies left by the way in, so the
    // requests crossed and came back — the capture missed them (a filter on the private address, another interface).
    // So even where the rules would drop the first (a rate limit, a random match decides): some got through.
    if (answeredUnseen(f)) return 'outside-capture';
    return 'stopped-at-gateway';
  }
  // Forwarded, as the far end's TCP acknowledgments prove, but no copy was captured: what left is unknown.
  if (f.observed === null) return 'outside-capture';

  const observed = f.observed;
  if (t && t.disposition.kind === 'forwarded' && (input.natRulesKnown || sameAddresses(observed, f.original))) {
    const exp = t.disposition.out;
    const untranslated = sameAddresses(observed, f.original);
    // A NAT rule the walk could not decide on (a mark the snapshot does not show, a match it does not model) may have
    // given the translation seen: not a mismatch.
    const mayTranslate = !untranslated && t.mayMatch.some((m) => /^(SNAT|DNAT|MASQUERADE|REDIRECT)\b/.test(m.target));
    if (!mayTranslate && (!sameAddresses(observed, exp) || (!t.disposition.portsMayChange && (observed.sport !== exp.sport || observed.dport !== exp.dport)))) {
      if (untranslated) return 'forwarded-untranslated';
      return 'translation-mismatch';
    }
    if (untranslated && f.replies === 0 && expectsReply(f) && isPrivateIpv4(f.original.src)) {
      // Expected and observed agree that nothing was translated; no reply came back: a missing SNAT
      // (private source on the outside) is the usual reason, judged by the snat-missing check.
      return 'forwarded-untranslated';
    }
  } else if (sameAddresses(observed, f.original) && f.replies === 0 && expectsReply(f) && isPrivateIpv4(f.original.src)) {
    return 'forwarded-untranslated';
  }
  // Replies that went back, but not as the inverse of the request's translation: they leave from the address the
  // request was sent to inside (the DNAT target, not the EIP), so the client drops them — NAT did not see them
  // (a conntrack entry missing, NOTRACK in raw). A private source leaving so is untranslated; another, a mismatch.
  const back = f.egress?.replyPeer ?? null;
  if (back && repliesUntranslated(f)) {
    return back.src === observed.dst && isPrivateIpv4(back.src) ? 'forwarded-untranslated' : 'translation-mismatch';
  }
  // Replies that went back out the interface they arrived on, not the flow's way in: they never reach its client.
  if (back && f.egress && f.ingressIface >= 0 && back.iface !== f.ingressIface) return 'reply-not-returned';
  // Translated one way and then, in mid-stream, another (or not at all: its own address): the far end knows only the first.
  const again = retranslated(f);
  if (again) return again.src === f.original.src && again.sport === f.original.sport ? 'forwarded-untranslated' : 'translation-mismatch';
  if (f.lossRate !== null && f.lossRate > 0) return 'partial';
  if (expectsReply(f)) {
    if (f.replies === 0) return 'no-reply';
    // Replies that all came while the ingress capture was not running cannot be judged.
    if (f.repliesReturned === 0 && f.repliesJudged > 0) return 'reply-not-returned';
  }
  return 'delivered';
}
