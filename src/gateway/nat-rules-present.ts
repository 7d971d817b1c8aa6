import type { Ruleset } from '../model/ruleset.js';

/** Does the ruleset hold any rule that translates (DNAT, SNAT, MASQUERADE, REDIRECT)? */
export function natRulesPresent(rules: Ruleset | null): boolean {
  const nat = rules?.tables.nat;
  if (!nat) return false;
  return nat.chains.some((c) => c.rules.some((r) => r.target.kind === 'DNAT' || r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE' || r.target.kind === 'REDIRECT'));
}
