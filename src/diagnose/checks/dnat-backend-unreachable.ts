import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { ruleEvidence, uniqueEvidence } from '../evidence.js';
import { arpEvidence, isUnresolvedState, neighbour, unansweredArp } from '../arp-facts.js';
import { plural, stoppedFrameEvidence } from '../flow-facts.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';
import type { NatRewrite } from '../../model/trace.js';

export const dnatBackendUnreachable: Check = {
  id: 'dnat-backend-unreachable',
  description: 'DNATed packets never reach the inside: the gateway ARPs for the DNAT target and nobody answers (wrong or dead backend).',
  rank: 2,
  run(ctx: CheckContext) {
    const byBackend = new Map<number, { flows: AssembledFlow[]; rewrite: NatRewrite; egress: string }>();
    for (const f of ctx.flows) {
      if (f.disposition !== 'stopped-at-gateway') continue;
      const d = f.trace?.disposition;
      if (!d || d.kind !== 'forwarded') continue;
      const rw = f.trace!.rewrites.find((r) => r.kind === 'DNAT');
      if (!rw) continue;
      const backend = rw.after.dst;
      const e = ctx.ifaceIndex(d.egress);
      const q = e >= 0 ? unansweredArp(ctx, e, backend) : null;
      const n = neighbour(ctx, backend);
      const hop = d.nextHop ?? backend;
      if (hop !== backend) continue;
      if (!q && !(n && isUnresolvedState(n.states))) continue;
      const g = byBackend.get(backend) ?? { flows: [], rewrite: rw, egress: d.egress };
      g.flows.push(f);
      byBackend.set(backend, g);
    }
    const out = [];
    for (const [backend, g] of byBackend) {
      const e = ctx.ifaceIndex(g.egress);
      const q = e >= 0 ? unansweredArp(ctx, e, backend) : null;
      const n = neighbour(ctx, backend);
      const evidence: Evidence[] = [ruleEvidence(g.rewrite.rule)];
      if (q) evidence.push(...arpEvidence(ctx, q, `the gateway asks for the DNAT backend on ${g.egress}; no reply`));
      if (n) evidence.push({ kind: 'neighbour', file: n.source.file, line: n.source.line, text: `${n.address} dev ${n.dev} ${n.states.join(',')}` });
      const eip = ipv4ToString(g.rewrite.before.dst);
      out.push(
        finding(
          'dnat-backend-unreachable',
          'error',
          q || n ? 'confirmed' : 'likely',
          `DNAT sends ${eip} to ${ipv4ToString(backend)}, which does not answer`,
          `${plural(g.flows.length, 'flow')} to ${eip} ${g.flows.length === 1 ? 'was' : 'were'} DNATed by ${g.rewrite.rule.chain} (${g.rewrite.rule.file}:${g.rewrite.rule.line}) to ${ipv4ToString(backend)} on ${g.egress}, but nothing there answers ARP: the rule points at a wrong or dead backend.`,
          uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, g.flows)], 16),
          [
            `# find the address the service really has (Kube-OVN: kubectl get iptables-fip-rules,iptables-dnat-rules -A -o wide; kubectl get pod -o wide)`,
            `iptables -t nat -R ${g.rewrite.rule.chain} ${g.rewrite.rule.index} ${g.rewrite.rule.text.replace(/^-A\s+\S+\s+/, '').replace(ipv4ToString(backend), '<backend-ip>')}`,
            '# in Kube-OVN correct the IptablesFIPRule / IptablesDnatRule (the controller rewrites the rule and keeps it across restarts)',
          ],
          g.flows,
        ),
      );
    }
    return out;
  },
};
