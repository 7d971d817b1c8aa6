import type { NftRuleset } from '../model/nftables.js';
import type { Chain, Ruleset } from '../model/ruleset.js';

/**
 * The chains that decide NAT: the iptables nat table's, and the nftables chains of type nat with the chains they
 * reach (their rules are told as nat ones).
 */
export function natChainsOf(rules: Ruleset | null, nft?: NftRuleset | null): Chain[] {
  const out = [...(rules?.tables.nat?.chains ?? [])];
  const seen = new Set<Chain>();
  for (const b of nft?.baseChains ?? []) {
    if (b.type !== 'nat') continue;
    for (const c of b.chains.values()) {
      if (seen.has(c) || (c !== b.chain && !c.rules.some((r) => r.table === 'nat'))) continue;
      seen.add(c);
      out.push(c);
    }
  }
  return out;
}

/**
 * Whether the snapshot says what every NAT rule is: an iptables listing, or an nft listing holding iptables-nft's nat
 * table (the iptables rules in nft's words). nftables' own tables alone leave open what iptables-legacy, which nft
 * does not list, translates.
 */
export function natRulesKnown(snapshot: { readonly rules: Ruleset | null; readonly nft?: NftRuleset | null } | null): boolean {
  if (!snapshot) return false;
  if (snapshot.rules) return natRulesPresent(snapshot.rules, snapshot.nft);
  return (snapshot.nft?.iptablesTables.includes('nat') ?? false) && natRulesPresent(null, snapshot.nft);
}

/** Whether the snapshot lists the rules at all: iptables', or an nft listing's base chains. */
export function rulesListed(snapshot: { readonly rules: Ruleset | null; readonly nft?: NftRuleset | null } | null): boolean {
  return !!snapshot?.rules || (snapshot?.nft?.baseChains.length ?? 0) > 0;
}

/** Does the ruleset hold any rule that translates (DNAT, SNAT, MASQUERADE, REDIRECT)? */
export function natRulesPresent(rules: Ruleset | null, nft?: NftRuleset | null): boolean {
  return natChainsOf(rules, nft).some((c) => c.rules.some((r) => r.target.kind === 'DNAT' || r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE' || r.target.kind === 'REDIRECT'));
}
