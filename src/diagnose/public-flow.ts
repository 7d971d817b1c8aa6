import type { Evidence, Flow, FlowEndpoint, FlowIfaceCounts, FlowPacket } from '../model/analysis.js';
import { ipv4ToString } from '../model/address.js';
import { Proto } from '../model/packet.js';
import { isoNs } from '../model/time.js';
import type { AssembledFlow, FlowTuple } from '../correlate/flow-assembly.js';
import { slot, type Connection } from '../correlate/connection.js';
import { Dir, type PacketInfo } from '../correlate/packet-info.js';
import type { Correlation } from '../correlate/correlate.js';
import { describePacket } from './evidence.js';
import type { Snapshot } from '../model/snapshot.js';
import type { Trace } from '../model/trace.js';
import { simulate } from '../simulate/simulate.js';

export function protoName(p: number): Flow['proto'] {
  return p === Proto.TCP ? 'tcp' : p === Proto.UDP ? 'udp' : p === Proto.ICMP ? 'icmp' : p === Proto.ICMPV6 ? 'icmpv6' : 'other';
}

export function endpoint(t: FlowTuple, proto: number): FlowEndpoint {
  if (proto === Proto.ICMP) return { src: ipv4ToString(t.src), dst: ipv4ToString(t.dst), sport: t.sport, dport: null };
  if (proto === Proto.TCP || proto === Proto.UDP) return { src: ipv4ToString(t.src), dst: ipv4ToString(t.dst), sport: t.sport, dport: t.dport };
  return { src: ipv4ToString(t.src), dst: ipv4ToString(t.dst), sport: null, dport: null };
}

/** A connection's packets in direction `connDir`, arriving or leaving, matched or not. */
function packetsIn(c: Connection, connDir: 0 | 1): number {
  const k = c.counts;
  return k[slot(connDir, Dir.IN, true)]! + k[slot(connDir, Dir.IN, false)]! + k[slot(connDir, Dir.OUT, true)]! + k[slot(connDir, Dir.OUT, false)]!;
}

/** Which of a connection's two directions carries the flow's requests. */
function requestDir(f: AssembledFlow, c: Connection, peer: PacketInfo | null): 0 | 1 {
  if (c === f.ingress) return 0;
  if (peer && peer.connId === c.id) return peer.connDir;
  return 0;
}

/**
 * What the rules say should leave. For a flow the gateway stopped (forwarding off, a FORWARD drop, rp_filter,
 * the MTU), the walk is run again past those drops, so the expected translation and its NAT rule are still
 * named: "expected SNAT to 203.0.113.71 by EXCLUSIVE_SNAT", the thing that never happened.
 */
function expectedTrace(f: AssembledFlow, snapshot: Snapshot | null): Trace | null {
  const t = f.trace;
  if (!t) return null;
  if (t.disposition.kind === 'forwarded') return t;
  if (t.disposition.kind !== 'dropped' || !snapshot) return null;
  const cf = simulate(t.packet, snapshot, { passDrops: true });
  return cf.disposition.kind === 'forwarded' ? cf : null;
}

export function toPublicFlow(f: AssembledFlow, corr: Correlation, files: readonly string[], snapshot: Snapshot | null = null): Flow {
  const name = (i: number): string => corr.ifaces[i] ?? `if${i}`;
  const packets: Record<string, FlowIfaceCounts> = {};
  // The ingress connection's first matched partner, read once (a packet is made each time it is read).
  const peer = f.ingress.peer;
  for (const c of f.connections) {
    const rd = requestDir(f, c, peer);
    const n = name(c.iface);
    const prev = packets[n];
    const request = packetsIn(c, rd);
    const reply = packetsIn(c, rd === 0 ? 1 : 0);
    packets[n] = prev ? { request: prev.request + request, reply: prev.reply + reply } : { request, reply };
  }
  const t = f.trace;
  const e = expectedTrace(f, snapshot);
  const d = e?.disposition;
  let expected: Flow['expected'] = null;
  if (d && d.kind === 'forwarded') {
    const rw = e!.rewrites[e!.rewrites.length - 1];
    // Field by field, not `...endpoint()`: spreading an object into a literal took a third of this function's time.
    const out = endpoint(d.out, f.proto);
    expected = {
      src: out.src,
      dst: out.dst,
      sport: out.sport,
      dport: out.dport,
      rule: rw ? { file: rw.rule.file, line: rw.rule.line, table: rw.rule.table, chain: rw.rule.chain, text: rw.rule.text } : null,
      portsMayChange: d.portsMayChange,
    };
  }
  const egress = f.egress ? name(f.egress.iface) : f.unseenIngress !== undefined ? name(f.ingress.iface) : d && d.kind === 'forwarded' ? d.egress : null;
  let firstConn = f.connections[0]!;
  let lastConn = firstConn;
  for (const c of f.connections) {
    if (c.firstT < firstConn.firstT) firstConn = c;
    if (c.lastT > lastConn.lastT) lastConn = c;
  }
  const firstPkt = firstConn.first;
  const lastPkt = lastConn.last;
  const flow = {
    id: f.id,
    proto: protoName(f.proto),
    original: endpoint(f.original, f.proto),
    ingress: f.ingressIface >= 0 ? name(f.ingressIface) : (f.unseenIngress ?? name(f.ingress.iface)),
    egress,
    expected,
    observed: f.observed ? endpoint(f.observed, f.proto) : null,
    disposition: f.disposition,
    packets,
    lossRate: f.lossRate,
    latencyNs: f.latencyNs,
    first: isoNs(firstPkt.tsSec, firstPkt.tsNsec),
    last: isoNs(lastPkt.tsSec, lastPkt.tsNsec),
  };
  Object.defineProperty(flow, 'evidence', LAZY_EVIDENCE);
  (flow as { trace?: Flow['trace'] }).trace = t ? { steps: t.steps, rewrites: t.rewrites, disposition: describeTraceDisposition(t.disposition), assumptions: t.assumptions } : null;
  Object.defineProperty(flow, 'samples', LAZY_SAMPLES);
  SOURCES.set(flow, { f, corr, files });
  return flow as unknown as Flow;
}

/**
 * A flow's packet lines (`samples`, and `evidence` made of them) are made each time they are read (JSON, the flow
 * view, the reports), and not kept: a capture with thousands of flows pays for no text it never shows, and one
 * of a hundred thousand written as JSON (a flow at a time) does not keep every flow's packets once written.
 * They are enumerable own properties, so JSON.stringify and structured clones see them as plain arrays. Their
 * getters are the same two functions for every flow, which finds what it reads from here: getters made per flow
 * (an object literal's `get samples()`) turned each flow into a dictionary of ≈ 1.1 KB instead of ≈ 0.25 KB.
 */
const SOURCES = new WeakMap<object, { readonly f: AssembledFlow; readonly corr: Correlation; readonly files: readonly string[] }>();

const LAZY_SAMPLES: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: object): readonly FlowPacket[] {
    const s = SOURCES.get(this);
    return s ? flowSamples(s.f, s.corr, s.files) : [];
  },
};

const LAZY_EVIDENCE: PropertyDescriptor = {
  enumerable: true,
  configurable: true,
  get(this: { readonly samples: readonly FlowPacket[] }): readonly Evidence[] {
    return flowEvidence(this.samples);
  },
};

/** The flow's sampled packets on every interface, in time order (numeric clock, then frame) before any text is made. */
function flowSamples(f: AssembledFlow, corr: Correlation, files: readonly string[]): FlowPacket[] {
  const sampled: { p: PacketInfo; dir: 'request' | 'reply' }[] = [];
  const peer = f.ingress.peer;
  for (const c of f.connections) {
    const rd = requestDir(f, c, peer);
    for (const p of c.samples) sampled.push({ p, dir: p.connDir === rd ? 'request' : 'reply' });
  }
  sampled.sort((a, b) => a.p.t - b.p.t || a.p.frame - b.p.frame);
  // A flow that could not be judged (outside-capture) has no judged packet: none of them is "lost".
  const judgedFlow = f.disposition !== 'outside-capture';
  return sampled.map((x) => toFlowPacket(x.p, x.dir, corr, files, judgedFlow));
}

/** The first few sampled packets as frame evidence, each with its copy or the lack of one. */
function flowEvidence(samples: readonly FlowPacket[]): Evidence[] {
  return samples.slice(0, 6).map((s) => ({
    kind: 'frame' as const,
    file: s.file,
    iface: s.iface,
    frame: s.frame,
    time: s.time,
    summary: s.match
      ? `${s.summary} — ${copyText(s, s.match)}`
      : s.offload === 'piece'
        ? `${s.summary} — a piece of a larger segment that arrived merged (segmentation offload)`
        : s.copyNotCaptured
        ? `${s.summary} — no copy captured, but the far end acknowledged it: the capture missed the copy`
        : `${s.summary} — no copy on the other side`,
  }));
}

/** What a sample's match is to it: its copy, or with segmentation offload the first piece it was cut into / the segment it is a piece of. */
function copyText(s: FlowPacket, m: NonNullable<FlowPacket['match']>): string {
  if (s.offload === 'merged') return `left cut into smaller segments (segmentation offload), the first: ${m.iface} frame ${m.frame}`;
  if (s.offload === 'piece') return `a piece of ${m.iface} frame ${m.frame}, cut by segmentation offload`;
  return `copy: ${m.iface} frame ${m.frame}`;
}

function toFlowPacket(p: PacketInfo, direction: 'request' | 'reply', corr: Correlation, files: readonly string[], judgedFlow: boolean): FlowPacket {
  const m = p.match;
  return {
    file: files[p.file]!,
    iface: corr.ifaces[p.iface] ?? `if${p.iface}`,
    frame: p.frame,
    time: isoNs(p.tsSec, p.tsNsec),
    direction,
    ttl: p.ttl,
    ipId: p.ipId,
    length: p.length,
    summary: describePacket(p),
    match: m ? { file: files[m.file]!, iface: corr.ifaces[m.iface] ?? `if${m.iface}`, frame: m.frame, latencyNs: Math.abs(m.t - p.t) } : null,
    copyNotCaptured: p.copyUnseen,
    ...(p.offload ? { offload: p.offload } : {}),
    judged: judgedFlow && p.t >= corr.judge.from && p.t <= corr.judge.to,
  };
}

export function describeTraceDisposition(d: NonNullable<AssembledFlow['trace']>['disposition']): string {
  switch (d.kind) {
    case 'forwarded':
      return `forwarded via ${d.egress}${d.nextHop !== null ? ` next hop ${ipv4ToString(d.nextHop)}` : ''}`;
    case 'local':
      return `local: ${d.note}`;
    case 'dropped':
      return `dropped at ${d.stage}: ${d.reason}${d.note ? ` (${d.note})` : ''}`;
    case 'unknown':
      return `unknown: ${d.why}`;
  }
}
