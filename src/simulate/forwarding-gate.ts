import type { TraceDisposition } from '../model/trace.js';
import { sysctl, sysctlInt } from './host-view.js';
import { assume, type Walk } from './walk.js';

/**
 * The forwarding gate of ip_route_input_slow(): `IN_DEV_FORWARD(in_dev)`, i.e. the ingress interface's
 * `net.ipv4.conf.<if>.forwarding`. Writing `net.ipv4.ip_forward` sets that value on every interface
 * (devinet.c inet_forward_change), so both normally agree; when they do not, the interface's value is the one
 * the kernel reads. A packet stopped here is dropped silently (ip_error() sends nothing when forwarding is off).
 */
export function checkForwarding(w: Walk): TraceDisposition | null {
  const iface = w.s.inIface;
  const global = sysctl(w.view, 'net.ipv4.ip_forward') ?? sysctl(w.view, 'net.ipv4.conf.all.forwarding');
  const perIf = sysctl(w.view, `net.ipv4.conf.${iface}.forwarding`);
  const g = sysctlInt(global);
  const p = sysctlInt(perIf);
  const base = { stage: 'forwarding' as const, table: null, chain: null, rule: null, unsure: false };
  if (g === null && p === null) {
    assume(w, `neither net.ipv4.ip_forward nor net.ipv4.conf.${iface}.forwarding is in the snapshot: assumed forwarding is on`);
    w.steps.push({ ...base, verdict: 'assumed on', note: 'forwarding sysctls not in the snapshot', source: null });
    return null;
  }
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
    assume(w, `net.ipv4.conf.${iface}.forwarding is not in the snapshot: assumed it follows ${global!.key} = ${global!.value}`);
  }
  const note = `${lines.join(', ')}${p !== null && g !== null && (p !== 0) !== (g !== 0) ? ` (they disagree: the kernel reads the ${iface} value)` : ''}`;
  if (on) {
    w.steps.push({ ...base, verdict: 'on', note, source: cite.source });
    return null;
  }
  w.steps.push({ ...base, verdict: 'DROP', note: `${note}: forwarding is off on ${iface}, the packet is dropped silently`, source: cite.source });
  return {
    kind: 'dropped',
    stage: 'forwarding',
    reason: 'ip-forward-disabled',
    rule: null,
    source: cite.source,
    icmpBack: null,
    note: `forwarding disabled (${cite.key} = ${cite.value} at ${cite.source.file}:${cite.source.line})`,
  };
}
