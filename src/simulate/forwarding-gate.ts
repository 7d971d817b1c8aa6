import type { TraceDisposition, TraceStep } from '../model/trace.js';
import { memoOf, sysctl, sysctlInt, type HostView } from './host-view.js';
import { assume, type Walk } from './walk.js';

/** The gate's answer for one ingress interface: the same for every packet, so worked out once per snapshot. */
interface GateOutcome {
  readonly step: TraceStep;
  readonly assumption: string | null;
  readonly disposition: TraceDisposition | null;
}

/**
 * The forwarding gate of ip_route_input_slow(): `IN_DEV_FORWARD(in_dev)`, i.e. the ingress interface's
 * `net.ipv4.conf.<if>.forwarding`. Writing `net.ipv4.ip_forward` sets that value on every interface
 * (devinet.c inet_forward_change), so both normally agree; when they do not, the interface's value is the one
 * the kernel reads. A packet stopped here is dropped silently (ip_error() sends nothing when forwarding is off).
 */
export function checkForwarding(w: Walk): TraceDisposition | null {
  const memo = memoOf<string, GateOutcome>(w.view, 'forwarding-gate');
  let o = memo.get(w.s.inIface);
  if (o === undefined) {
    o = forwardingGate(w.view, w.s.inIface);
    memo.set(w.s.inIface, o);
  }
  if (o.assumption !== null) assume(w, o.assumption);
  w.steps.push(o.step);
  return o.disposition;
}

function forwardingGate(view: HostView, iface: string): GateOutcome {
  const global = sysctl(view, 'net.ipv4.ip_forward') ?? sysctl(view, 'net.ipv4.conf.all.forwarding');
  const perIf = sysctl(view, `net.ipv4.conf.${iface}.forwarding`);
  const g = sysctlInt(global);
  const p = sysctlInt(perIf);
  const base = { stage: 'forwarding' as const, table: null, chain: null, rule: null, unsure: false };
  if (g === null && p === null) {
    return {
      assumption: `neither net.ipv4.ip_forward nor net.ipv4.conf.${iface}.forwarding is in the snapshot: assumed forwarding is on`,
      step: { ...base, verdict: 'assumed on', note: 'forwarding sysctls not in the snapshot', source: null },
      disposition: null,
    };
  }
  let assumption: string | null = null;
  let on: boolean;
  let cite = perIf ?? global!;
  const lines: string[] = [];
  if (global) lines.push(`${global.key} = ${global.value}`);
  if (perIf) lines.push(`${perIf.key} = ${perIf.value}`);
  if (p !== null) {
    on = p !== 0;
    // Cite the switch the user flips when both say off.
    if (!on && g === 0 && global) cite = global;
  } else {
    on = g !== 0;
    cite = global!;
    assumption = `net.ipv4.conf.${iface}.forwarding is not in the snapshot: assumed it follows ${global!.key} = ${global!.value}`;
  }
  const note = `${lines.join(', ')}${p !== null && g !== null && (p !== 0) !== (g !== 0) ? ` (they disagree: the kernel reads the ${iface} value)` : ''}`;
  if (on) return { assumption, step: { ...base, verdict: 'on', note, source: cite.source }, disposition: null };
  const step = { ...base, verdict: 'DROP', note: `${note}: forwarding is off on ${iface}, the packet is dropped silently`, source: cite.source };
  const disposition: TraceDisposition = {
    kind: 'dropped',
    stage: 'forwarding',
    reason: 'ip-forward-disabled',
    rule: null,
    source: cite.source,
    icmpBack: null,
    note: `forwarding disabled (${cite.key} = ${cite.value} at ${cite.source.file}:${cite.source.line})`,
  };
  return { assumption, step, disposition };
}
