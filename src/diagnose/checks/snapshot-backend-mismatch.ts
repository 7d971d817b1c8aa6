import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameEvidence, uniqueEvidence } from '../evidence.js';
import { plural } from '../flow-facts.js';
import { natRulesPresent } from '../../gateway/nat-rules-present.js';

/**
 * iptables-legacy and iptables-nft keep separate tables; Kube-OVN's script prefers legacy when legacy
 * tables exist. A snapshot taken with the other backend shows empty nat chains while traffic is visibly
 * translated: the snapshot, not the gateway, is wrong.
 */
export const snapshotBackendMismatch: Check = {
  id: 'snapshot-backend-mismatch',
  description: "Translation visibly happens but the snapshot's nat chains cannot produce it: it was taken with the other iptables backend (legacy vs nft).",
  rank: 4,
  run(ctx: CheckContext) {
    const rules = ctx.snapshot?.rules ?? null;
    if (!ctx.snapshot || natRulesPresent(rules, ctx.snapshot.nft)) return [];
    const translated = ctx.flows.filter((f) => f.observed && (f.observed.src !== f.original.src || f.observed.dst !== f.original.dst));
    if (!translated.length) return [];
    const evidence: Evidence[] = [];
    if (rules?.legacyTablesPresent) {
      evidence.push({ kind: 'note', text: `${rules.legacyTablesPresent.file}:${rules.legacyTablesPresent.line}: "# Warning: iptables-legacy tables present, use iptables-legacy-save to see them"` });
    }
    for (const s of rules?.sources ?? []) evidence.push({ kind: 'note', text: `${s.file}: ${s.format}${rules?.backend !== 'unknown' ? ` (${rules?.backend} backend)` : ''}, nat table without DNAT/SNAT rules` });
    for (const f of translated.slice(0, 4)) {
      if (f.ingress.peer) {
        evidence.push(frameEvidence(ctx, f.ingress.peer, `${f.id}: ${ipv4ToString(f.original.src)} → ${ipv4ToString(f.original.dst)} was translated to ${ipv4ToString(f.observed!.src)} → ${ipv4ToString(f.observed!.dst)}`));
      }
    }
    // An empty file does not say which backend wrote it: then the fix names both, the one with the rules wins.
    const backend = rules?.backend ?? 'unknown';
    const other = backend === 'legacy' ? 'nft' : 'legacy';
    const fix =
      backend === 'unknown'
        ? [
            'iptables-legacy-save -c > iptables-legacy-save.txt; iptables-nft-save -c > iptables-nft-save.txt  # keep the one that lists the DNAT/SNAT rules',
            'iptables -V  # says which backend plain `iptables` uses: (legacy) or (nf_tables)',
          ]
        : [`iptables-${other}-save -c > iptables-save.txt`, `iptables-${other} -t nat -L -n -v > iptables-nat-L.txt  # then run natlens again`];
    return [
      finding(
        'snapshot-backend-mismatch',
        'warning',
        rules?.legacyTablesPresent ? 'confirmed' : 'likely',
        `The rule snapshot was taken with the wrong iptables backend`,
        `${plural(translated.length, 'flow')} ${translated.length === 1 ? 'is' : 'are'} visibly translated, but the snapshot's nat table has no rule that could do it` +
          `${rules?.legacyTablesPresent ? ' and it says legacy tables are present' : ''}: the rules live in the other backend. The packet path could not be checked against the rules.`,
        uniqueEvidence(evidence, 12),
        fix,
        translated,
      ),
    ];
  },
};
