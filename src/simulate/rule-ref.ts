import type { Rule } from '../model/ruleset.js';
import type { RuleRef } from '../model/trace.js';

/** The reference a trace step, a NAT rewrite or a finding keeps of an iptables rule. */
export function ruleRef(rule: Rule): RuleRef {
  return {
    file: rule.source.file,
    line: rule.source.line,
    table: rule.table,
    chain: rule.chain,
    index: rule.index,
    text: rule.text,
    counters: rule.counters,
    ...(rule.iptables ? { iptables: rule.iptables } : {}),
  };
}

/** An nftables chain, named `<family> <table> <chain>` as nft names it: a name iptables would refuse (it has spaces). */
export function isNftChain(chain: string): boolean {
  return chain.includes(' ');
}

/**
 * How a rule's place reads in text: `nat POSTROUTING` for iptables (`/` as the separator where asked), `nft inet
 * filter forward` for nftables, whose chain name says its table (the iptables table it stands for would mislead).
 */
export function chainLabel(table: string, chain: string, sep = ' '): string {
  return isNftChain(chain) ? `nft ${chain}` : `${table}${sep}${chain}`;
}
