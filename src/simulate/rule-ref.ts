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
  };
}
