import type { Evidence } from '../../model/analysis.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { errorEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { droppedBy, plural, stoppedFrameEvidence } from '../flow-facts.js';

/** Gateway-sent ICMP errors that REJECT produces (RFC 1812 admin-prohibited and the reject-with types). */
function isRejectError(type: number, code: number): boolean {
  return type === 3 && (code === 1 || code === 2 || code === 3 || code === 9 || code === 10 || code === 13);
}

export const forwardChainDrop: Check = {
  id: 'forward-chain-drop',
  description: 'The filter FORWARD chain (its policy or a DROP/REJECT rule) drops the flow; REJECT sends an ICMP error back on the ingress side.',
  rank: 1,
  run(ctx: CheckContext) {
    const flows = ctx.flows.filter((f) => f.disposition === 'stopped-at-gateway' && droppedBy(f, 'forward-chain'));
    if (!flows.length) return [];
    const evidence: Evidence[] = [];
    const fixes: string[] = [];
    const seen = new Set<string>();
    for (const f of flows) {
      const d = f.trace!.disposition;
      if (d.kind !== 'dropped') continue;
      if (d.rule) {
        const k = `${d.rule.file}:${d.rule.line}`;
        if (!seen.has(k)) {
          seen.add(k);
          evidence.push(ruleEvidence(d.rule));
          fixes.push(`iptables -t ${d.rule.table} -D ${d.rule.text.replace(/^-A\s+/, '')}`);
        }
      } else {
        const step = [...f.trace!.steps].reverse().find((s) => s.table === 'filter' && s.chain);
        const chainName = step?.chain ?? 'FORWARD';
        const chain = ctx.snapshot?.rules?.tables.filter?.chains.find((c) => c.name === chainName);
        const k = `policy:${chainName}`;
        if (!seen.has(k) && chain) {
          seen.add(k);
          evidence.push({
            kind: 'policy',
            file: chain.source.file,
            line: chain.source.line,
            table: 'filter',
            chain: chain.name,
            policy: chain.policy ?? 'DROP',
            counters: chain.policyCounters,
          });
          fixes.push(`iptables -P ${chain.name} ACCEPT  # or allow the flows explicitly, e.g. iptables -I ${chain.name} -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT`);
        }
      }
      for (const e of f.errors) if (e.fromGateway && isRejectError(e.type, e.code)) evidence.push(errorEvidence(ctx, e, `REJECT answer for ${f.id}`));
    }
    fixes.push('iptables-save > /etc/iptables/rules.v4  # persist where the distribution restores rules at boot');
    const rejected = flows.some((f) => f.errors.some((e) => e.fromGateway && isRejectError(e.type, e.code)));
    return [
      finding(
        'forward-chain-drop',
        'error',
        'confirmed',
        'The filter FORWARD chain drops the traffic',
        `${plural(flows.length, 'flow')} reached the gateway and ${flows.length === 1 ? 'was' : 'were'} dropped in filter FORWARD${rejected ? ' (REJECT: ICMP errors went back on the ingress side)' : ', silently'}.`,
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
        fixes,
        flows,
      ),
    ];
  },
};
