import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameEvidence, uniqueEvidence } from '../evidence.js';
import { plural } from '../flow-facts.js';

export const snatMissing: Check = {
  id: 'snat-missing',
  description: 'Packets leave the outside interface with their private source address: no SNAT rule matched them, so no reply can come back.',
  rank: 2,
  run(ctx: CheckContext) {
    const flows = ctx.flows.filter((f) => f.disposition === 'forwarded-untranslated');
    if (!flows.length) return [];
    const evidence: Evidence[] = [];
    for (const f of flows.slice(0, 6)) {
      if (f.ingress.peer) evidence.push(frameEvidence(ctx, f.ingress.peer, `${f.id} left ${ctx.ifaceName(f.ingress.peer.iface)} with its private source, untranslated`));
    }
    const nat = ctx.snapshot?.rules?.tables.nat;
    const snatRules = (nat?.chains ?? []).flatMap((c) => c.rules).filter((r) => r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE');
    for (const r of snatRules.slice(0, 6)) {
      evidence.push({ kind: 'rule', file: r.source.file, line: r.source.line, table: 'nat', chain: r.chain, text: r.text, counters: r.counters });
    }
    const post = nat?.chains.find((c) => c.name === 'POSTROUTING');
    if (!snatRules.length) evidence.push({ kind: 'note', text: nat ? 'the nat table has no SNAT or MASQUERADE rule at all' : 'the snapshot has no nat table' });
    const sources = [...new Set(flows.map((f) => ipv4ToString(f.original.src)))];
    const egress = flows[0]!.egress ? ctx.ifaceName(flows[0]!.egress.iface) : (ctx.correlation.roles.outside ?? '<outside-interface>');
    return [
      finding(
        'snat-missing',
        'error',
        ctx.snapshot?.rules ? 'confirmed' : 'likely',
        `Traffic from ${sources.join(', ')} leaves ${egress} untranslated`,
        `${plural(flows.length, 'flow')} left ${egress} with the private source address ${sources.join(', ')}: no SNAT rule matched${post ? '' : ' (no nat POSTROUTING chain)'}, and no reply came back.`,
        uniqueEvidence(evidence, 16),
        [
          ...sources.map((s) => `iptables -t nat -A POSTROUTING -s ${s}/32 -o ${egress} -j SNAT --to-source <EIP>`),
          '# Kube-OVN: create or fix the IptablesSnatRule / IptablesFIPRule for this source (the controller restores the rule after restarts)',
        ],
        flows,
      ),
    ];
  },
};
