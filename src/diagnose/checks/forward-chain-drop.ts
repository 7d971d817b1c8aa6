import type { Evidence } from '../../model/analysis.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { errorEvidence, policyEvidence, ruleEvidence, uniqueEvidence } from '../evidence.js';
import { droppedBy, plural, repliesDroppedBy, replyTrace, stoppedFrameEvidence } from '../flow-facts.js';

/** Gateway-sent ICMP errors that REJECT produces (RFC 1812 admin-prohibited and the reject-with types). */
function isRejectError(type: number, code: number): boolean {
  return type === 3 && (code === 1 || code === 2 || code === 3 || code === 9 || code === 10 || code === 13);
}

export const forwardChainDrop: Check = {
  id: 'forward-chain-drop',
  description: 'The filter FORWARD chain (its policy or a DROP/REJECT rule) drops the flow; REJECT sends an ICMP error back on the ingress side.',
  rank: 1,
  run(ctx: CheckContext) {
    const stopped = ctx.flows.filter((f) => f.disposition === 'stopped-at-gateway' && droppedBy(f, 'forward-chain'));
    // Flows forwarded one way whose replies FORWARD drops (a rule for one direction, `-i <if> -j DROP`).
    const repliesStopped = ctx.flows.filter((f) => repliesDroppedBy(ctx, f, 'forward-chain'));
    const flows = [...stopped, ...repliesStopped].sort((a, b) => a.firstT - b.firstT);
    if (!flows.length) return [];
    const evidence: Evidence[] = [];
    const fixes: string[] = [];
    const seen = new Set<string>();
    for (const f of flows) {
      const t = f.disposition === 'reply-not-returned' ? replyTrace(ctx, f)! : f.trace!;
      const d = t.disposition;
      if (d.kind !== 'dropped') continue;
      if (d.rule) {
        const k = `${d.rule.file}:${d.rule.line}`;
        if (!seen.has(k)) {
          seen.add(k);
          evidence.push(ruleEvidence(d.rule));
          fixes.push(`iptables -t ${d.rule.table} -D ${d.rule.text.replace(/^-A\s+/, '')}`);
        }
      } else {
        const step = [...t.steps].reverse().find((s) => s.table === 'filter' && s.chain);
        const chainName = step?.chain ?? 'FORWARD';
        const chain = ctx.snapshot?.rules?.tables.filter?.chains.find((c) => c.name === chainName);
        const k = `policy:${chainName}`;
        if (!seen.has(k) && chain) {
          seen.add(k);
          evidence.push(policyEvidence('filter', chain));
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
        (stopped.length
          ? `${plural(stopped.length, 'flow')} reached the gateway and ${stopped.length === 1 ? 'was' : 'were'} dropped in filter FORWARD${rejected ? ' (REJECT: ICMP errors went back on the ingress side)' : ', silently'}.`
          : '') +
          (repliesStopped.length
            ? `${stopped.length ? ' ' : ''}${plural(repliesStopped.length, 'flow')} ${repliesStopped.length === 1 ? 'was' : 'were'} forwarded, but ${repliesStopped.length === 1 ? 'its replies were' : 'their replies were'} dropped in filter FORWARD on their way back.`
            : ''),
        uniqueEvidence([...evidence, ...stoppedFrameEvidence(ctx, flows)], 16),
        fixes,
        flows,
      ),
    ];
  },
};
