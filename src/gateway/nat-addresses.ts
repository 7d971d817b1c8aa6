import type { NftRuleset } from '../model/nftables.js';
import type { Rule, Ruleset } from '../model/ruleset.js';
import { natChainsOf } from './nat-rules-present.js';
import type { Snapshot } from '../model/snapshot.js';
import { cidrContains } from '../model/address.js';

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
export function natOwnAddresses(rules: Ruleset | null, nft?: NftRuleset | null): Set<number> {
  const out = new Set<number>();
  for (const chain of natChainsOf(rules, nft)) for (const r of chain.rules) for (const a of ownAddressesOf(r)) out.add(a);
  return out;
}

/** The first nat rule that names `address` among the gateway's own (natOwnAddresses): what says so. */
export function natOwnAddressRule(rules: Ruleset | null, address: number, nft?: NftRuleset | null): Rule | null {
  for (const chain of natChainsOf(rules, nft)) for (const r of chain.rules) for (const a of ownAddressesOf(r)) if (a === address >>> 0) return r;
  return null;
}

/**
 * A SNAT for NAT loopback (hairpin), which says nothing of which side is outside: a VPC host reaching another by
 * its EIP is DNATed back out the VPC side, and a SNAT there makes the backend answer through the gateway. Told
 * by what it takes — only DNATed connections (`--ctstate DNAT`, Kube-OVN's HAIRPIN_SNAT), or destinations on
 * the `-o` interface's own link (`-d` its subnet) — or by where it translates to: addresses the snapshot puts on
 * another interface than its `-o` (an EIP, held outside).
 */
export function isLoopbackSnat(r: Rule, snapshot: Snapshot): boolean {
  const out = r.matches.find((m) => m.kind === 'out' && !m.negate);
  if (!out || out.kind !== 'out') return false;
  if (r.matches.some((m) => m.kind === 'ctstate' && !m.negate && m.states.length > 0 && m.states.every((x) => x === 'DNAT'))) return true;
  const link = snapshot.host.interfaces.find((i) => i.name === out.name);
  const subnets = (link?.addresses ?? []).filter((a) => a.family === 4 && a.prefix < 32).map((a) => ({ addr: a.v4, prefix: a.prefix }));
  for (const m of r.matches) {
    if (m.kind === 'dst' && !m.addr.negate && m.addr.cidr && subnets.some((n) => n.prefix <= m.addr.cidr!.prefix && cidrContains(n, m.addr.cidr!.addr))) return true;
  }
  if (r.target.kind === 'SNAT' && r.target.to.length > 0) {
    const holder = (addr: number): string | undefined => snapshot.host.interfaces.find((i) => i.addresses.some((a) => a.family === 4 && a.v4 === addr))?.name;
    const holders = r.target.to.map((t) => holder(t.addrLo >>> 0));
    if (holders.every((h) => h !== undefined && h !== out.name)) return true;
  }
  return false;
}
