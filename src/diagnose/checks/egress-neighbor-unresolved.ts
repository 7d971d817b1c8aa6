import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { uniqueEvidence } from '../evidence.js';
import { arpEvidence, askedByGateway, isUnresolvedState, neighbour, unansweredArp } from '../arp-facts.js';
import { plural, stoppedFrameEvidence } from '../flow-facts.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';

/**
 * The address the gateway itself (among others) asked for most on `egress` without an answer: the
 * next hop it was trying to reach, when the snapshot holds no route to say so. Null when there is none.
 */
function askedForByGateway(ctx: CheckContext, egress: string): number | null {
  const e = ctx.ifaceIndex(egress);
  let best: number | null = null;
  let most = 0;
  for (const q of ctx.correlation.state.arp.questions.values()) {
    if (q.iface !== e || q.replies > 0 || q.requests <= most || !askedByGateway(ctx, q)) continue;
    best = q.target;
    most = q.requests;
  }
  return best;
}

export const egressNeighborUnresolved: Check = {
  id: 'egress-neighbor-unresolved',
  description: 'Translated packets never leave: the gateway asks by ARP for the next hop on the egress side and nobody answers.',
  rank: 2,
  run(ctx: CheckContext) {
    const byHop = new Map<number, { flows: AssembledFlow[]; egress: string; inferred: boolean }>();
    for (const f of ctx.flows) {
      if (f.disposition !== 'stopped-at-gateway') continue;
      const d = f.trace?.disposition;
      if (!d || d.kind !== 'forwarded') continue;
      // Without routes in the snapshot the next hop is unknown: the address the gateway itself kept asking for there.
      const hop = d.nextHop ?? askedForByGateway(ctx, d.egress);
      if (hop === null) continue;
      // A DNAT backend that does not answer is dnat-backend-unreachable's.
      if (f.trace!.rewrites.some((r) => r.kind === 'DNAT' && r.after.dst === hop)) continue;
      const e = ctx.ifaceIndex(d.egress);
      const unanswered = e >= 0 ? unansweredArp(ctx, e, hop) : null;
      const n = neighbour(ctx, hop);
      if (!unanswered && !(n && isUnresolvedState(n.states))) continue;
      const g = byHop.get(hop) ?? { flows: [], egress: d.egress, inferred: d.nextHop === null };
      g.flows.push(f);
      byHop.set(hop, g);
    }
    const out = [];
    for (const [hop, g] of byHop) {
      const e = ctx.ifaceIndex(g.egress);
      const q = e >= 0 ? unansweredArp(ctx, e, hop) : null;
      const n = neighbour(ctx, hop);
      const evidence: Evidence[] = [];
      if (q) evidence.push(...arpEvidence(ctx, q, `the gateway asks for its next hop on ${g.egress}; no reply`));
      if (n) evidence.push({ kind: 'neighbour', file: n.source.file, line: n.source.line, text: `${n.address} dev ${n.dev} ${n.lladdr ?? ''} ${n.states.join(',')}`.replace(/\s+/g, ' ') });
      const route = ctx.snapshot?.host.routes.find((r) => r.family === 4 && r.via === hop);
      if (route) evidence.push({ kind: 'route', file: route.source.file, line: route.source.line, text: route.text });
      out.push(
        finding(
          'egress-neighbor-unresolved',
          'error',
          q && !g.inferred ? 'confirmed' : 'likely',
          `The next hop ${ipv4ToString(hop)} on ${g.egress} does not answer ARP`,
          `${plural(g.flows.length, 'flow')} should leave by ${g.egress} via ${ipv4ToString(hop)}, but ${q ? `the gateway's ${plural(q.requests, 'ARP request')} for it went unanswered` : 'its neighbour entry is unresolved'}, so the translated packets never left.` +
            (g.inferred ? ` The snapshot has no routes: ${ipv4ToString(hop)} is taken for the next hop because it is the address the gateway kept asking for on ${g.egress}; \`ip route\` confirms it.` : ''),
          uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, g.flows)], 16),
          [
            `ip neigh show ${ipv4ToString(hop)} dev ${g.egress}; arping -I ${g.egress} -c 3 ${ipv4ToString(hop)}  # is the upstream gateway up?`,
            `# if the default route names the wrong address: ip route replace default via <correct-gateway> dev ${g.egress}`,
          ],
          g.flows,
        ),
      );
    }
    return out;
  },
};
