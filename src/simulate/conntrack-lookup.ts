import type { ConntrackEntry, CtTuple } from '../model/host.js';
import type { NatRewrite, RuleRef } from '../model/trace.js';
import { hasPorts, isIcmpQuery, type PacketState, tupleOf } from './packet-state.js';
import type { Walk } from './walk.js';

export interface ConntrackHit {
  readonly entry: ConntrackEntry;
  /** Which tuple of the entry the packet is. */
  readonly direction: 'original' | 'reply';
}

function sameTuple(s: PacketState, t: CtTuple): boolean {
  if (t.src !== s.src || t.dst !== s.dst) return false;
  if (hasPorts(s.proto)) return t.sport === s.sport && t.dport === s.dport;
  if (isIcmpQuery(s.proto, s.icmpType)) return t.icmpId === null || t.icmpId === s.icmpId;
  return true;
}

/** The `conntrack -L` entry this packet belongs to, in either direction. */
export function findConntrack(w: Walk): ConntrackHit | null {
  const s = w.s;
  for (const e of w.view.snapshot.host.conntrack ?? []) {
    if (e.protoNum !== s.proto) continue;
    if (sameTuple(s, e.original)) return { entry: e, direction: 'original' };
    if (sameTuple(s, e.reply)) return { entry: e, direction: 'reply' };
  }
  return null;
}

/** The tuple the packet must leave with: the other direction's tuple, inverted (nf_nat_packet). */
function target(hit: ConntrackHit): { src: number; dst: number; sport: number | null; dport: number | null; id: number | null } {
  const e = hit.entry;
  const o = hit.direction === 'original' ? e.reply : e.original;
  return { src: o.dst, dst: o.src, sport: o.dport, dport: o.sport, id: o.icmpId };
}

function ref(hit: ConntrackHit): RuleRef {
  return { file: hit.entry.source.file, line: hit.entry.source.line, table: 'nat', chain: 'conntrack', index: 0, text: hit.entry.text, counters: null };
}

function record(w: Walk, hit: ConntrackHit, kind: 'DNAT' | 'SNAT', change: () => void): void {
  const before = tupleOf(w.s);
  change();
  const after = tupleOf(w.s);
  if (before.src === after.src && before.dst === after.dst && before.sport === after.sport && before.dport === after.dport) return;
  const rw: NatRewrite = { kind, rule: ref(hit), before, after, portsMayChange: false };
  w.rewrites.push(rw);
  w.steps.push({ stage: 'conntrack', table: 'nat', chain: null, rule: rw.rule, verdict: kind, note: `${kind === 'DNAT' ? 'destination' : 'source'} from the conntrack entry`, unsure: false, source: hit.entry.source });
}

/** Destination part of the mapping: the nat PREROUTING hook applies it to later packets. */
export function applyConntrackDst(w: Walk, hit: ConntrackHit): void {
  const t = target(hit);
  const s = w.s;
  record(w, hit, 'DNAT', () => {
    s.dst = t.dst;
    if (hasPorts(s.proto) && t.dport !== null) s.dport = t.dport;
    // The echo id is the original direction's "source port": a reply gets it back with the destination.
    if (hit.direction === 'reply' && isIcmpQuery(s.proto, s.icmpType) && t.id !== null) s.icmpId = t.id;
  });
}

/** Source part of the mapping: the nat POSTROUTING hook applies it. */
export function applyConntrackSrc(w: Walk, hit: ConntrackHit): void {
  const t = target(hit);
  const s = w.s;
  record(w, hit, 'SNAT', () => {
    s.src = t.src;
    if (hasPorts(s.proto) && t.sport !== null) s.sport = t.sport;
    if (hit.direction === 'original' && isIcmpQuery(s.proto, s.icmpType) && t.id !== null) s.icmpId = t.id;
  });
}
