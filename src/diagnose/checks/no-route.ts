import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { errorEvidence, uniqueEvidence } from '../evidence.js';
import { droppedBy, gatewayResets, plural, stoppedFrameEvidence } from '../flow-facts.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';

/**
 * ICMP destination unreachable, net (code 0): what Linux sends when no route matches (ENETUNREACH).
 * Host unreachable (code 1) is what it sends when ARP for the next hop fails: a neighbour problem, not this.
 */
function isUnreachable(type: number, code: number): boolean {
  return type === 3 && code === 0;
}

/** The snapshot's own routes (not an assumption) send the flow on. */
function routedBySnapshot(f: AssembledFlow): boolean {
  return f.trace?.steps.some((s) => s.stage === 'routing' && s.verdict === 'forward' && !s.unsure) ?? false;
}

export const noRoute: Check = {
  id: 'no-route',
  description: 'The gateway has no route for the destination: ICMP net-unreachable goes back out the ingress interface.',
  rank: 1,
  run(ctx: CheckContext) {
    const answered = ctx.flows.filter(
      (f) =>
        f.forwarded === 0 &&
        f.ingressIface >= 0 &&
        // `REJECT --reject-with icmp-net-unreachable` sends the same ICMP: the rule, not routing, explains it —
        // and where the snapshot's routing table routes the destination, a rule it lacks is likelier than no route.
        !droppedBy(f, 'forward-chain') &&
        !routedBySnapshot(f) &&
        (droppedBy(f, 'no-route') || f.errors.some((e) => e.fromGateway && isUnreachable(e.type, e.code) && e.iface === f.ingressIface)),
    );
    // The kernel rate-limits its ICMP errors (icmp_ratelimit, per destination): flows silently stopped on their way
    // to a destination the gateway called unreachable for another flow met the same missing route.
    const unreachable = new Set(answered.map((f) => f.original.dst));
    const flows = ctx.flows.filter(
      (f) =>
        answered.includes(f) ||
        // A flow the gateway answered with a reset in the far end's name was REJECTed, not routed nowhere.
        (f.disposition === 'stopped-at-gateway' && f.ingressIface >= 0 && unreachable.has(f.original.dst) && f.trace?.disposition.kind !== 'dropped' && !gatewayResets(f).length),
    );
    if (!flows.length) return [];
    const evidence: Evidence[] = [];
    for (const f of flows) {
      const e = f.errors.find((x) => x.fromGateway && isUnreachable(x.type, x.code));
      if (e) evidence.push(errorEvidence(ctx, e, `the gateway answered ${f.id} with "network unreachable"`));
      const step = f.trace?.steps.find((s) => s.stage === 'routing');
      if (step && step.source) evidence.push({ kind: 'note', text: `routing for ${ipv4ToString(f.original.dst)}: ${step.note}` });
    }
    const confirmedBySnapshot = flows.some((f) => droppedBy(f, 'no-route'));
    const dsts = [...new Set(flows.map((f) => ipv4ToString(f.original.dst)))];
    const routes = ctx.snapshot?.host.routes.filter((r) => r.family === 4) ?? [];
    const haveRoutes = ctx.snapshot?.host.have.routes ?? false;
    const hasDefault = routes.some((r) => r.dst === null && r.type === 'unicast');
    for (const r of routes.slice(0, 4)) evidence.push({ kind: 'route', file: r.source.file, line: r.source.line, text: r.text });
    return [
      finding(
        'no-route',
        'error',
        confirmedBySnapshot ? 'confirmed' : 'likely',
        'The gateway has no route to the destination',
        `${plural(flows.length, 'flow')} to ${dsts.join(', ')} stopped at the gateway${flows.some((f) => f.errors.length) ? ', which sent ICMP network unreachable back' : ''}: no route matches${haveRoutes && !hasDefault ? ' (the routing table has no default route)' : ''}.`,
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
        [
          `ip route add default via <upstream-gateway> dev ${ctx.correlation.roles.outside ?? '<outside-interface>'}  # or a route for ${dsts.join(', ')}`,
          '# persist it where the gateway is configured (Kube-OVN: the VpcNatGateway / its external subnet gateway)',
        ],
        flows,
      ),
    ];
  },
};
