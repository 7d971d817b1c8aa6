import type { Rule } from '../model/ruleset.js';
import type { RuleRef } from '../model/trace.js';

/** Each rule's reference, made once: a trace of every flow cites the same few rules (and nothing changes a reference). */
const REFS = new WeakMap<Rule, RuleRef>();

/**
 * The reference a trace step, a NAT rewrite or a finding keeps of an iptables rule: one object per rule, shared
 * by every trace that cites it (100,000 flows' traces kept 100,000 copies of their SNAT rule's).
 */
export function ruleRef(rule: Rule): RuleRef {
  let ref = REFS.get(rule);
  if (ref === undefined) {
    ref = newRuleRef(rule);
    REFS.set(rule, ref);
  }
  return ref;
}

function newRuleRef(rule: Rule): RuleRef {
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
