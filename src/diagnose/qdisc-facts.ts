/**
 * What `tc -s qdisc show` says about packets lost at the gateway: queueing disciplines on a flow's interfaces that
 * counted drops (a shaper's queue on egress, a policer's shots on an ingress or clsact qdisc), outside netfilter.
 */
import type { Evidence } from '../model/analysis.js';
import type { Qdisc } from '../model/host.js';
import type { AssembledFlow } from '../correlate/flow-assembly.js';
import type { CheckContext } from './check.js';

/** A qdisc that acts on what arrives (ingress, clsact: its filters' policers), not on what leaves. */
export function actsOnIngress(q: Qdisc): boolean {
  return q.parent === 'ingress' || q.kind === 'ingress' || q.kind === 'clsact';
}

/** Where a qdisc acts: `ingress of lan1`, `egress of lan1`. */
export function where(q: Qdisc): string {
  return `${actsOnIngress(q) ? 'ingress' : 'egress'} of ${q.dev}`;
}

/** A qdisc that counted drops, as evidence: its header line, and what it dropped where. */
export function qdiscEvidence(q: Qdisc): Evidence[] {
  return [
    { kind: 'interface', file: q.source.file, line: q.source.line, text: q.text },
    { kind: 'note', text: `the ${q.kind} qdisc on ${where(q)} dropped ${q.dropped} packet${q.dropped === 1 ? '' : 's'} (${q.source.file}:${q.statsLine ?? q.source.line}): tc drops are outside netfilter, and no iptables counter shows them` },
  ];
}

/**
 * Qdiscs on the lossy flows' interfaces that counted drops: a lost request goes in by the flow's ingress and out
 * by its egress, a lost reply the other way, so every queue on either interface is on a lost packet's way.
 */
export function qdiscDrops(ctx: CheckContext, flows: readonly AssembledFlow[]): Qdisc[] {
  const ifaces = new Set<string>();
  for (const f of flows) {
    if (f.ingressIface >= 0) ifaces.add(ctx.ifaceName(f.ingressIface));
    if (f.egress) ifaces.add(ctx.ifaceName(f.egress.iface));
  }
  return (ctx.snapshot?.host.qdiscs ?? []).filter((q) => q.dev !== null && ifaces.has(q.dev) && (q.dropped ?? 0) > 0);
}
