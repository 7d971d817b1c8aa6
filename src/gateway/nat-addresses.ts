import type { Rule, Ruleset } from '../model/ruleset.js';

/** Ranges wider than this are pools, not the gateway's own addresses one by one. */
const MAX_RANGE = 256;

/** The gateway's own addresses one nat rule names: its SNAT `--to-source` addresses, or its DNAT's single `-d`. */
function* ownAddressesOf(r: Rule): Generator<number> {
  if (r.target.kind === 'SNAT') {
    for (const to of r.target.to) {
      const lo = to.addrLo >>> 0;
      const hi = to.addrHi >>> 0;
      if (hi >= lo && hi - lo < MAX_RANGE) for (let a = lo; a <= hi; a++) yield a;
    }
  } else if (r.target.kind === 'DNAT') {
    for (const m of r.matches) if (m.kind === 'dst' && !m.addr.negate && m.addr.cidr?.prefix === 32) yield m.addr.cidr.addr >>> 0;
  }
}

/**
 * The addresses the nat rules say the gateway answers for: each SNAT `--to-source` address (the EIPs traffic
 * leaves with) and each DNAT rule's single destination (`-d 203.0.113.9/32`, the EIPs traffic arrives for).
 * With `ip addr` missing from the snapshot, they stand in for the gateway's own addresses on the outside.
 */
export function natOwnAddresses(rules: Ruleset | null): Set<number> {
  const out = new Set<number>();
  for (const chain of rules?.tables.nat?.chains ?? []) for (const r of chain.rules) for (const a of ownAddressesOf(r)) out.add(a);
  return out;
}

/** The first nat rule that names `address` among the gateway's own (natOwnAddresses): what says so. */
export function natOwnAddressRule(rules: Ruleset | null, address: number): Rule | null {
  for (const chain of rules?.tables.nat?.chains ?? []) for (const r of chain.rules) for (const a of ownAddressesOf(r)) if (a === address >>> 0) return r;
  return null;
}
