import type { RuleRef } from '../model/trace.js';
import { isNftChain } from '../simulate/rule-ref.js';

/**
 * The commands that change one rule the snapshot holds, in the tool that owns it: iptables (`-D` by its text, `-R`
 * by its position) or nftables, whose rules are changed by handle (`nft -a list chain` shows them). An nftables
 * rule is named `<family> <table> <chain>` — a chain name iptables would refuse (it has spaces).
 */
export function isNftRule(rule: Pick<RuleRef, 'chain'>): boolean {
  return isNftChain(rule.chain);
}

/** Remove `rule`. */
export function deleteRuleCommand(rule: RuleRef): string {
  if (isNftRule(rule)) return `nft -a list chain ${rule.chain}  # the rule's handle, then: nft delete rule ${rule.chain} handle <handle>`;
  return `iptables -t ${rule.table} -D ${rule.text.replace(/^-A\s+/, '')}`;
}

/** Replace `rule` by the same rule with `edit` applied to its text (the part after `-A CHAIN` for iptables). */
export function replaceRuleCommand(rule: RuleRef, edit: (body: string) => string): string {
  // The counters the listing printed are not carried over: `counter` starts a fresh one.
  if (isNftRule(rule)) return `nft -a list chain ${rule.chain}  # the rule's handle, then: nft replace rule ${rule.chain} handle <handle> ${edit(rule.text).replace(/\bcounter packets \d+ bytes \d+/, 'counter')}`;
  return `iptables -t ${rule.table} -R ${rule.chain} ${rule.index} ${edit(rule.text.replace(/^-A\s+\S+\s+/, ''))}`;
}

