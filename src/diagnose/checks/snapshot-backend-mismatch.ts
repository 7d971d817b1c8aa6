import { basename } from 'node:path';
import type { Evidence } from '../../model/analysis.js';
import { ipv4ToString } from '../../model/address.js';
import type { Check, CheckContext } from '../check.js';
import { finding } from '../check.js';
import { frameEvidence, uniqueEvidence } from '../evidence.js';
import { plural } from '../flow-facts.js';
import { natRulesPresent } from '../../gateway/nat-rules-present.js';
import type { AssembledFlow } from '../../correlate/flow-assembly.js';

/**
 * iptables-legacy and iptables-nft keep separate tables; Kube-OVN's script prefers legacy when legacy
 * tables exist. A snapshot taken with the other backend shows empty nat chains while traffic is visibly
 * translated: the snapshot, not the gateway, is wrong.
 */
export const snapshotBackendMismatch: Check = {
  id: 'snapshot-backend-mismatch',
  description: "Translation visibly happens but the snapshot's nat chains cannot produce it: it was taken with the other iptables backend (legacy vs nft), or it holds no nat table because none was taken (`iptables -L` without `-t nat`, no rule listing).",
  rank: 4,
  run(ctx: CheckContext) {
    const rules = ctx.snapshot?.rules ?? null;
    if (!ctx.snapshot || natRulesPresent(rules, ctx.snapshot.nft)) return [];
    const translated = ctx.flows.filter((f) => f.observed && (f.observed.src !== f.original.src || f.observed.dst !== f.original.dst));
    if (!translated.length) return [];
    // No nat table because none was asked for: no rule listing at all, or only `iptables -L` listings of other tables
    // (without `-t nat` it lists filter). Empty output, or an iptables-save without nat (it prints every table the
    // backend holds), is the other backend's signature instead.
    const sources = rules?.sources ?? [];
    // Rule files that came out empty (by their names): iptables-save of a backend that holds no table prints nothing.
    const emptyRuleFiles = ctx.snapshot.files.some((f) => f.reason === 'empty file' && /iptables|nft|rules/i.test(basename(f.path)));
    const notAsked =
      !ctx.snapshot.nft && !emptyRuleFiles && (sources.length === 0 || sources.every((s) => s.format === 'iptables-list' && s.tables.length > 0 && !s.tables.includes('nat')));
    if (notAsked && !rules?.legacyTablesPresent) return [noNatTable(ctx, translated)];
    const evidence: Evidence[] = [];
    if (rules?.legacyTablesPresent) {
      evidence.push({ kind: 'note', text: `${rules.legacyTablesPresent.file}:${rules.legacyTablesPresent.line}: "# Warning: iptables-legacy tables present, use iptables-legacy-save to see them"` });
    }
    for (const s of rules?.sources ?? []) evidence.push({ kind: 'note', text: `${s.file}: ${s.format}${rules?.backend !== 'unknown' ? ` (${rules?.backend} backend)` : ''}, nat table without DNAT/SNAT rules` });
    evidence.push(...translatedEvidence(ctx, translated));
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

/** The copies that show the translation: the first flows', their peer frame on the other side. */
function translatedEvidence(ctx: CheckContext, translated: readonly AssembledFlow[]): Evidence[] {
  return translated
    .slice(0, 4)
    .filter((f) => f.ingress.peer)
    .map((f) => frameEvidence(ctx, f.ingress.peer!, `${f.id}: ${ipv4ToString(f.original.src)} → ${ipv4ToString(f.original.dst)} was translated to ${ipv4ToString(f.observed!.src)} → ${ipv4ToString(f.observed!.dst)}`));
}

/** Translation seen, and no nat table in the snapshot to check it against: the snapshot is short of it. */
function noNatTable(ctx: CheckContext, translated: readonly AssembledFlow[]): ReturnType<typeof finding> {
  const sources = ctx.snapshot?.rules?.sources ?? [];
  const listing = sources.find((s) => s.format === 'iptables-list');
  const what = sources.length
    ? `its rules (${sources.map((s) => `${s.file}: ${s.tables.join(', ') || 'no table'}`).join('; ')}) hold no nat table`
    : 'it holds no iptables or nftables rules';
  return finding(
    'snapshot-backend-mismatch',
    'warning',
    'confirmed',
    'The snapshot has no nat table: the translation seen cannot be checked against the rules',
    `${plural(translated.length, 'flow')} ${translated.length === 1 ? 'is' : 'are'} visibly translated, but ${what}` +
      `${listing ? ' (`iptables -L` without `-t nat` lists the filter table only)' : ''}. The packet path could not be checked against the NAT rules.`,
    uniqueEvidence([...sources.map((s): Evidence => ({ kind: 'note', text: `${s.file}: ${s.format}, tables ${s.tables.join(', ') || 'none'}: no nat table` })), ...translatedEvidence(ctx, translated)], 12),
    [
      'iptables-save -c > iptables-save.txt  # every table with its counters (iptables-legacy-save -c where the legacy backend holds the rules)',
      'iptables -t nat -L -n -v > iptables-nat-L.txt; nft list ruleset > nft-ruleset.txt  # then run natlens again with them',
    ],
    translated,
  );
}
