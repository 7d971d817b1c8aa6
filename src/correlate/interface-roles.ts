import type { Snapshot } from '../model/snapshot.js';

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
    const nat = snapshot.rules?.tables.nat;
    const dnatAddrs = new Set<number>();
    for (const chain of nat?.chains ?? []) {
      for (const r of chain.rules) {
        if (r.target.kind === 'SNAT' || r.target.kind === 'MASQUERADE') {
          for (const m of r.matches) if (m.kind === 'out' && !m.negate) vote(m.name, 'SNAT rules leave by it', 3);
        }
        if (r.target.kind === 'DNAT') {
          for (const m of r.matches) if (m.kind === 'dst' && m.addr.cidr && m.addr.cidr.prefix === 32 && !m.addr.negate) dnatAddrs.add(m.addr.cidr.addr);
        }
      }
    }
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
    return { inside: other(best), outside: best, how: `outside = ${best}${captured}: ${[...votes.get(best)!.why].join('; ')}` };
  }
  return { inside: null, outside: null, how: 'not decided: the snapshot does not say which interface faces outside (use --inside/--outside)' };
}
