import { ipv4ToString } from '../model/address.js';
import type { SimPacket, Trace, TraceDisposition, Tuple } from '../model/trace.js';

/** A tuple with dotted-quad addresses, as JSON readers want it. */
export interface TupleJson {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
}

function tuple(t: Tuple): TupleJson {
  return { src: ipv4ToString(t.src), dst: ipv4ToString(t.dst), sport: t.sport, dport: t.dport };
}

function packet(p: SimPacket): Record<string, unknown> {
  return { ...p, src: ipv4ToString(p.src), dst: ipv4ToString(p.dst) };
}

function disposition(d: TraceDisposition): Record<string, unknown> {
  switch (d.kind) {
    case 'forwarded':
      return { ...d, out: tuple(d.out), nextHop: d.nextHop === null ? null : ipv4ToString(d.nextHop) };
    case 'local':
      return { ...d, out: tuple(d.out) };
    default:
      return { ...d };
  }
}

/** The trace as `natlens trace --format json` prints it: the model's shape with addresses as text. */
export function traceToJson(trace: Trace): Record<string, unknown> {
  return {
    packet: packet(trace.packet),
    disposition: disposition(trace.disposition),
    steps: trace.steps,
    rewrites: trace.rewrites.map((r) => ({ ...r, before: tuple(r.before), after: tuple(r.after) })),
    mayMatch: trace.mayMatch,
    assumptions: trace.assumptions,
    unsure: trace.unsure,
  };
}
