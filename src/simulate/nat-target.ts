import { cidrContains, ipv4ToString } from '../model/address.js';
import type { HostInterface, InterfaceAddress } from '../model/host.js';
import type { NatRange, PortRange } from '../model/ruleset.js';
import { hasPorts, isIcmpQuery, type PacketState } from './packet-state.js';

/** What a NAT target did to the packet (the caller records the before/after tuples). */
export interface NatEffect {
  readonly portsMayChange: boolean;
  /** Said in the step: the choices made (first address of a range, which interface address…). */
  readonly note: string;
  /** A choice the kernel makes at run time (hash over a range of addresses). */
  readonly unsure: boolean;
  /** The target could not be applied (no address to use): the walk cannot predict the tuple. */
  readonly failed: string | null;
}

function rangeText(r: NatRange): string {
  let t = r.addrLo === 0 && r.addrHi === 0 ? '' : ipv4ToString(r.addrLo);
  if (r.addrHi !== r.addrLo) t += `-${ipv4ToString(r.addrHi)}`;
  if (r.portLo > 0) t += `:${r.portLo}${r.portHi !== r.portLo ? `-${r.portHi}` : ''}`;
  return t;
}

/** Set the "port" the NAT mapping rewrites: the L4 port, or the echo id of an ICMP query (nf_nat_proto.c). */
function setPort(s: PacketState, which: 'src' | 'dst', port: number): boolean {
  if (hasPorts(s.proto)) {
    if (which === 'src') s.sport = port;
    else s.dport = port;
    return true;
  }
  if (which === 'src' && isIcmpQuery(s.proto, s.icmpType)) {
    s.icmpId = port;
    return true;
  }
  return false;
}

/**
 * The port a NAT range gives (nf_nat_core.c get_unique_tuple / nf_nat_l4proto_unique_tuple): a port already
 * inside the range is kept unless --random/--random-fully; otherwise a destination mapping starts at the first
 * port of the range (offset 0) and a source mapping at a random offset — the first port is then a guess.
 */
function pickPort(current: number, lo: number, hi: number, randomAll: boolean, notes: string[]): number {
  if (!randomAll && current >= lo && current <= hi) {
    if (hi > lo) notes.push(`port ${current} is inside ${lo}-${hi}: kept`);
    return current;
  }
  if (hi > lo) notes.push(`port range ${lo}-${hi}: assumed ${lo}`);
  return lo;
}

function carriesPort(s: PacketState): boolean {
  return hasPorts(s.proto) || isIcmpQuery(s.proto, s.icmpType);
}

/**
 * DNAT: the first range; within it the first address and port. With several addresses the kernel picks one by
 * hashing the tuple (nf_nat_core.c find_best_ips_proto), so the choice is only a prediction.
 */
export function applyDnat(to: readonly NatRange[], random: boolean, s: PacketState): NatEffect {
  const r = to[0];
  if (!r) return { portsMayChange: false, note: '', unsure: true, failed: 'DNAT without --to-destination' };
  const notes: string[] = [];
  let unsure = false;
  if (!(r.addrLo === 0 && r.addrHi === 0)) s.dst = r.addrLo;
  if (r.addrHi !== r.addrLo) {
    notes.push(`range ${rangeText(r)}: assumed the first address; the kernel picks one per connection by hash`);
    unsure = true;
  }
  if (to.length > 1) notes.push(`${to.length} --to-destination ranges: used the first`);
  let portsMayChange = false;
  if (r.portLo > 0 && hasPorts(s.proto)) {
    setPort(s, 'dst', pickPort(s.dport, r.portLo, r.portHi, random, notes));
    if (r.portHi > r.portLo) portsMayChange = true;
  }
  if (random && r.portHi > r.portLo) portsMayChange = true;
  return { portsMayChange, note: notes.join('; '), unsure, failed: null };
}

function sourcePorts(s: PacketState, ports: PortRange | null, random: boolean, randomFully: boolean, notes: string[]): boolean {
  let may = false;
  if (ports && ports.lo > 0 && carriesPort(s)) {
    const current = hasPorts(s.proto) ? s.sport : s.icmpId;
    setPort(s, 'src', pickPort(current, ports.lo, ports.hi, random || randomFully, notes));
    if (ports.hi > ports.lo) may = true;
  }
  if ((random || randomFully) && carriesPort(s)) {
    may = true;
    notes.push(`${randomFully ? '--random-fully' : '--random'}: the source ${hasPorts(s.proto) ? 'port' : 'ICMP id'} is remapped`);
  }
  return may;
}

/** SNAT --to-source: first address of the first range; ports as given, kept otherwise when free. */
export function applySnat(to: readonly NatRange[], random: boolean, randomFully: boolean, s: PacketState): NatEffect {
  const r = to[0];
  if (!r) return { portsMayChange: false, note: '', unsure: true, failed: 'SNAT without --to-source' };
  const notes: string[] = [];
  let unsure = false;
  if (!(r.addrLo === 0 && r.addrHi === 0)) s.src = r.addrLo;
  if (r.addrHi !== r.addrLo) {
    notes.push(`range ${rangeText(r)}: assumed the first address; the kernel picks one per source by hash`);
    unsure = true;
  }
  if (to.length > 1) notes.push(`${to.length} --to-source ranges: used the first`);
  const ports = r.portLo > 0 ? { lo: r.portLo, hi: r.portHi } : null;
  const portsMayChange = sourcePorts(s, ports, random, randomFully, notes);
  return { portsMayChange, note: notes.join('; '), unsure, failed: null };
}

/**
 * MASQUERADE takes the source from the egress interface: inet_select_addr(out, nexthop, RT_SCOPE_UNIVERSE)
 * (nf_nat_masquerade.c) — the first primary address of global scope, preferring one whose subnet holds the
 * next hop; secondaries are never chosen.
 */
export function chooseMasqueradeAddress(itf: HostInterface, nextHop: number | null): { addr: InterfaceAddress; why: string } | null {
  let first: InterfaceAddress | null = null;
  for (const a of itf.addresses) {
    if (a.family !== 4 || a.v4 < 0 || a.secondary) continue;
    if (a.scope === 'host' || a.scope === 'link') continue;
    if (nextHop !== null && cidrContains({ addr: a.v4, prefix: a.prefix }, nextHop)) {
      return { addr: a, why: `${a.address}/${a.prefix} on ${itf.name}: the primary address in the next hop ${ipv4ToString(nextHop)}'s subnet` };
    }
    if (!first) first = a;
  }
  if (first) return { addr: first, why: `${first.address} on ${itf.name}: its first primary address${nextHop !== null ? ` (none shares the next hop ${ipv4ToString(nextHop)}'s subnet)` : ''}` };
  return null;
}

export function applyMasquerade(
  itf: HostInterface | undefined,
  nextHop: number | null,
  ports: PortRange | null,
  random: boolean,
  randomFully: boolean,
  s: PacketState,
): NatEffect {
  if (!itf) return { portsMayChange: false, note: '', unsure: true, failed: `MASQUERADE on ${s.outIface}, which the snapshot's addresses do not show` };
  const pick = chooseMasqueradeAddress(itf, nextHop);
  // Without an address the kernel drops the packet (nf_nat_masquerade_ipv4 returns NF_DROP).
  if (!pick) return { portsMayChange: false, note: '', unsure: false, failed: `${itf.name} has no IPv4 address to masquerade with` };
  s.src = pick.addr.v4;
  const notes = [`source ${pick.why}`];
  const portsMayChange = sourcePorts(s, ports, random, randomFully, notes);
  return { portsMayChange, note: notes.join('; '), unsure: false, failed: null };
}

/** REDIRECT sends the packet to the ingress interface's first address (nf_nat_redirect_ipv4). */
export function applyRedirect(itf: HostInterface | undefined, ports: PortRange | null, s: PacketState): NatEffect {
  const a = itf?.addresses.find((x) => x.family === 4 && x.v4 >= 0);
  if (!itf) return { portsMayChange: false, note: '', unsure: true, failed: `REDIRECT on ${s.inIface}, which the snapshot's addresses do not show` };
  if (!a) return { portsMayChange: false, note: '', unsure: false, failed: `${itf.name} has no IPv4 address to redirect to` };
  s.dst = a.v4;
  const notes = [`destination ${a.address}, the first address of ${itf.name}`];
  let portsMayChange = false;
  if (ports && ports.lo > 0 && hasPorts(s.proto)) {
    setPort(s, 'dst', pickPort(s.dport, ports.lo, ports.hi, false, notes));
    if (ports.hi > ports.lo) portsMayChange = true;
  }
  return { portsMayChange, note: notes.join('; '), unsure: false, failed: null };
}
