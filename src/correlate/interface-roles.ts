import type { Snapshot } from '../model/snapshot.js';
import { isLoopbackSnat } from '../gateway/nat-addresses.js';
import { natChainsOf } from '../gateway/nat-rules-present.js';
import { cidrContains, type Cidr4 } from '../model/address.js';

export interface InterfaceRoles {
  readonly inside: string | null;
  readonly outside: string | null;
  readonly how: string;
}

/**
 * Which captured interface faces the protected network and which the outside. From the user when given;
 * else from the snapshot: the `-o` of SNAT/MASQUERADE rules, the interface holding the addresses that DNAT
 * rules match (the EIPs), the default route's device. Never from names like eth0/net1.
 */
export function decideRoles(ifaces: readonly string[], snapshot: Snapshot | null, given: { inside?: string | undefined; outside?: string | undefined }): InterfaceRoles {
  // The other side: an interface the snapshot knows before one it does not (a cooked v1 capture's packets
  // that no MAC or route placed, IPv6 multicast from unknown hosts, count under the file's own name).
  const known = new Set(snapshot?.host.interfaces.map((i) => i.name) ?? []);
  const other = (x: string): string | null => ifaces.find((i) => i !== x && known.has(i)) ?? ifaces.find((i) => i !== x) ?? null;
  if (given.inside && given.outside) return { inside: given.inside, outside: given.outside, how: 'given with --inside/--outside' };
  if (given.outside) return { inside: other(given.outside), outside: given.outside, how: 'outside given with --outside' };
  if (given.inside) return { inside: given.inside, outside: other(given.inside), how: 'inside given with --inside' };

  const votes = new Map<string, { n: number; why: Set<string> }>();
  const vote = (name: string | null | undefined, why: string, weight = 1): void => {
    if (!name || name.endsWith('+')) return;
    const v = votes.get(name) ?? { n: 0, why: new Set<string>() };
    v.n += weight;
    v.why.add(why);
    votes.set(name, v);
  };
  if (snapshot) {
    const dnatAddrs = new Set<number>();
    // Each reason counts once per interface, however many rules give it: a gateway with a rule per EIP would
    // otherwise outvote everything else with one kind of evidence.
    const snatOut = new Set<string>();
    for (const chain of natChainsOf(snapshot.rules, snapshot.nft)) {
      for (const r of chain.rules) {
        if ((r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE') && !isLoopbackSnat(r, snapshot)) {
          for (const m of r.matches) if (m.kind === 'out' && !m.negate) snatOut.add(m.name);
        }
        if (r.target.kind === 'DNAT') {
          for (const m of r.matches) if (m.kind === 'dst' && m.addr.cidr && m.addr.cidr.prefix === 32 && !m.addr.negate) dnatAddrs.add(m.addr.cidr.addr);
        }
      }
    }
    for (const name of snatOut) vote(name, 'SNAT rules leave by it', 3);
    for (const i of snapshot.host.interfaces) {
      if (i.addresses.some((a) => a.family === 4 && dnatAddrs.has(a.v4))) vote(i.name, 'it holds the addresses DNAT rules match (EIPs)', 2);
    }
    for (const r of snapshot.host.routes) {
      if (r.family === 4 && r.dst === null && (r.table === 'main' || r.table === '254') && r.type === 'unicast') vote(r.dev, 'the default route leaves by it', 1);
    }
  }
  // A captured interface first; else the snapshot's choice all the same (the outside may simply not have
  // been captured — the flows leaving by it are then not judged, and a warning says so).
  let best: string | null = null;
  let bestN = 0;
  for (const pass of [true, false]) {
    for (const [name, v] of votes) {
      if (ifaces.includes(name) !== pass) continue;
      if (v.n > bestN) {
        best = name;
        bestN = v.n;
      }
    }
    if (best) break;
  }
  if (best) {
    const captured = ifaces.includes(best) ? '' : ' (not captured)';
    const inside = insideOf(ifaces, snapshot, best) ?? other(best) ?? uncapturedInside(snapshot, best);
    return { inside, outside: best, how: `outside = ${best}${captured}: ${[...votes.get(best)!.why].join('; ')}` };
  }
  return { inside: null, outside: null, how: 'not decided: the snapshot does not say which interface faces outside (use --inside/--outside)' };
}

/**
 * No other interface was captured (nothing crossed it: an `-i any` capture holds no packet of it): the snapshot's
 * other interface, or the one of several that holds what the nat rules translate.
 */
function uncapturedInside(snapshot: Snapshot | null, outside: string): string | null {
  const names = (snapshot?.host.interfaces ?? []).filter((i) => i.name !== outside && !i.flags.includes('LOOPBACK')).map((i) => i.name);
  return names.length === 1 ? names[0]! : insideOf(names, snapshot, outside);
}

/**
 * With more interfaces than the two NAT sides (a management network, -i any capturing them all), the inside is the
 * one whose links (or the routes through it) hold what the nat rules translate: the DNAT targets, the SNAT rules'
 * sources. Null when that does not single out one captured interface other than the outside (then any other will do).
 */
function insideOf(ifaces: readonly string[], snapshot: Snapshot | null, outside: string): string | null {
  const candidates = ifaces.filter((i) => i !== outside);
  if (candidates.length < 2 || !snapshot) return null;
  const subnets = new Map<string, Cidr4[]>();
  for (const i of snapshot.host.interfaces) {
    if (!candidates.includes(i.name)) continue;
    subnets.set(i.name, i.addresses.filter((a) => a.family === 4 && a.prefix < 32).map((a) => ({ addr: a.v4, prefix: a.prefix })));
  }
  const score = new Map<string, number>();
  // Routes for subnets behind an interface (a VPC's other subnets, via its router) count as its links too.
  for (const r of snapshot.host.routes) {
    if (r.family === 4 && r.dst && r.dev && r.type === 'unicast' && subnets.has(r.dev)) subnets.get(r.dev)!.push(r.dst);
  }
  const credit = (address: number): void => {
    for (const [name, nets] of subnets) if (nets.some((n) => cidrContains(n, address))) score.set(name, (score.get(name) ?? 0) + 1);
  };
  for (const chain of natChainsOf(snapshot.rules, snapshot.nft)) {
    for (const r of chain.rules) {
      if (r.target.kind === 'DNAT') for (const to of r.target.to) credit(to.addrLo >>> 0);
      if (r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE') {
        for (const m of r.matches) if (m.kind === 'src' && !m.addr.negate && m.addr.cidr) credit(m.addr.cidr.addr >>> 0);
      }
    }
  }
  const ranked = [...score].sort((a, b) => b[1] - a[1]);
  if (!ranked.length || (ranked.length > 1 && ranked[0]![1] === ranked[1]![1])) return null;
  return ranked[0]![0];
}
