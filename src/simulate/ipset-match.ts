import { ipv4ToString, prefixMask } from '../model/address.js';
import type { IpSet, IpSetMember, IpSetValue } from '../model/ipset.js';
import type { SetHit } from '../model/trace.js';
import type { Match } from '../model/ruleset.js';
import type { PacketState } from './packet-state.js';

/** What a set lookup reads of the packet (as xt_set hands it to the set: addresses, ports, interfaces, mark). */
export type SetFields = Pick<PacketState, 'src' | 'dst' | 'proto' | 'sport' | 'dport' | 'icmpType' | 'icmpCode' | 'inIface' | 'outIface' | 'mark'>;

/** The set's flags: one per dimension, `src` or `dst` (`--match-set NAME src,dst`). */
export type SetFlag = 'src' | 'dst';

export type SetLookup =
  /** The packet is in the set: `member` (of `set`, a member set of a list:set) holds it. */
  | { readonly kind: 'in'; readonly set: IpSet; readonly member: IpSetMember; readonly values: string }
  /** Not in it (the set was listed whole). */
  | { readonly kind: 'out'; readonly set: IpSet; readonly values: string }
  /** hash:net's exception: the most specific member holding it is marked `nomatch`. */
  | { readonly kind: 'nomatch'; readonly set: IpSet; readonly member: IpSetMember; readonly values: string }
  /** Cannot tell: the set is not in the snapshot, listed in part, or looks at what the simulation lacks (MACs, bridge ports). */
  | { readonly kind: 'unknown'; readonly why: string };

/** Protocols xt_set reads ports of (ip_set_get_ip4_port): TCP, UDP, SCTP, UDP-Lite. */
function portProto(p: number): boolean {
  return p === 6 || p === 17 || p === 132 || p === 136;
}

/**
 * Look the packet up in set `name` as the kernel does (ip_set_test): one flag per dimension of the set's type, fewer
 * flags than dimensions never match, an IPv6 set never holds an IPv4 packet, a list:set tries its member sets in order,
 * and of hash:net's members the most specific holding the packet decides (`nomatch` carves exceptions out). `seen`: the
 * list:sets this lookup has entered — each set is looked in once, however the lists name one another (the kernel
 * refuses loops; a listing made up to hang natlens gets no further).
 */
export function lookupSet(sets: ReadonlyMap<string, IpSet> | undefined, name: string, flags: readonly SetFlag[], p: SetFields, seen: Set<string> = new Set()): SetLookup {
  const set = sets?.get(name);
  if (!sets) return { kind: 'unknown', why: `the snapshot has no ipset listing, so what set ${name} holds is not known (give \`ipset save\`)` };
  if (!set) return { kind: 'unknown', why: `set ${name} is not in the ipset listing` };
  if (set.dims.length === 0) return { kind: 'unknown', why: `set ${name} is of type ${set.type}, which natlens does not model` };
  if (set.family === 'inet6') return { kind: 'out', set, values: 'an IPv4 packet' };
  if (set.dims[0] === 'set') {
    seen.add(name);
    let unknown: SetLookup | null = null;
    for (const m of set.members) {
      const v = m.values[0];
      if (v?.kind !== 'set' || seen.has(v.name)) continue;
      const r = lookupSet(sets, v.name, flags, p, seen);
      if (r.kind === 'in') return r;
      if (r.kind === 'unknown') unknown ??= r;
    }
    if (unknown) return unknown;
    if (!set.complete) return { kind: 'unknown', why: `set ${name} was listed in part` };
    return { kind: 'out', set, values: `a packet in none of its sets` };
  }
  const values = describe(set, flags, p);
  if (flags.length < set.dims.length) return { kind: 'out', set, values };
  const best = set.dims.length === 1 && (set.dims[0] === 'ip' || set.dims[0] === 'net') ? addressLookup(set, flags[0] === 'src' ? p.src : p.dst) : scan(set, flags, p);
  if (best === undefined) return { kind: 'unknown', why: `set ${name} (${set.type}) looks at ${set.dims.includes('mac') ? 'MAC addresses' : 'bridge ports'}, which the simulation does not know` };
  if (best) return best.nomatch ? { kind: 'nomatch', set, member: best, values } : { kind: 'in', set, member: best, values };
  if (!set.complete) return { kind: 'unknown', why: `set ${name} was listed in part: ${values} may be among what was not` };
  return { kind: 'out', set, values };
}

/**
 * A set of addresses or networks (hash:ip, hash:net, bitmap:ip) indexed once: its members by prefix length and
 * network, so that a blocklist of a hundred thousand networks costs a packet a few map lookups, not a scan. Members
 * that are no network (a range a–b) are scanned.
 */
interface AddressIndex {
  /** The masks of the prefix lengths present, longest first, each with its members by network address. */
  readonly byPrefix: readonly { readonly mask: number; readonly members: ReadonlyMap<number, IpSetMember> }[];
  readonly ranges: readonly IpSetMember[];
}

const indexes = new WeakMap<IpSet, AddressIndex>();

function addressIndex(set: IpSet): AddressIndex {
  let ix = indexes.get(set);
  if (ix) return ix;
  const by = new Map<number, Map<number, IpSetMember>>();
  const ranges: IpSetMember[] = [];
  for (const m of set.members) {
    const v = m.values[0];
    if (v?.kind !== 'addr') continue;
    const mask = prefixMask(v.prefix);
    if ((v.lo & mask) >>> 0 !== v.lo || (v.lo | ~mask) >>> 0 !== v.hi) {
      ranges.push(m);
      continue;
    }
    let at = by.get(v.prefix);
    if (!at) by.set(v.prefix, (at = new Map()));
    if (!at.has(v.lo)) at.set(v.lo, m);
  }
  ix = { byPrefix: [...by].sort((a, b) => b[0] - a[0]).map(([prefix, members]) => ({ mask: prefixMask(prefix), members })), ranges };
  indexes.set(set, ix);
  return ix;
}

/** The address as the set stores it: its /N network under hash:ip's and bitmap:ip's `netmask N`, else itself. */
function storedAs(set: IpSet, a: number): number {
  return set.netmask === null ? a : (a & prefixMask(set.netmask)) >>> 0;
}

/** The most specific member holding address `a` (under the set's netmask), or null. */
function addressLookup(set: IpSet, a: number): IpSetMember | null {
  const addr = storedAs(set, a);
  const ix = addressIndex(set);
  for (const { mask, members } of ix.byPrefix) {
    const m = members.get((addr & mask) >>> 0);
    if (m) return m;
  }
  return ix.ranges.find((m) => {
    const v = m.values[0] as Extract<IpSetValue, { kind: 'addr' }>;
    return addr >= v.lo && addr <= v.hi;
  }) ?? null;
}

/** The most specific member holding the packet, by every member in turn; undefined when one cannot be told. */
function scan(set: IpSet, flags: readonly SetFlag[], p: SetFields): IpSetMember | null | undefined {
  let best: IpSetMember | null = null;
  let bestPrefix = -1;
  for (const m of set.members) {
    const held = holds(set, m, flags, p);
    if (held === null) return undefined;
    if (!held) continue;
    const prefix = m.values.reduce((n, v) => n + (v.kind === 'addr' ? v.prefix : 0), 0);
    if (prefix > bestPrefix) {
      best = m;
      bestPrefix = prefix;
    }
  }
  return best;
}

/** Whether member `m` holds the packet; null when it cannot be told. */
function holds(set: IpSet, m: IpSetMember, flags: readonly SetFlag[], p: SetFields): boolean | null {
  for (let k = 0; k < set.dims.length; k++) {
    const v = m.values[k]!;
    const ok = holdsValue(set, v, flags[k]!, p);
    if (ok !== true) return ok;
  }
  return true;
}

function holdsValue(set: IpSet, v: IpSetValue, flag: SetFlag, p: SetFields): boolean | null {
  switch (v.kind) {
    case 'addr': {
      const a = storedAs(set, flag === 'src' ? p.src : p.dst);
      return a >= v.lo && a <= v.hi;
    }
    case 'port': {
      // bitmap:port (no protocol) holds TCP and UDP ports only.
      if (p.proto === 1) return v.proto === 1 && inRange(((p.icmpType & 0xff) << 8) | (p.icmpCode & 0xff), v);
      if (portProto(p.proto)) {
        if (v.proto !== 0 && v.proto !== p.proto) return false;
        return inRange(flag === 'src' ? p.sport : p.dport, v);
      }
      // Other protocols carry no port: the member holds them as port 0 of their protocol.
      return v.proto === p.proto && v.lo === 0;
    }
    case 'mark':
      return p.mark >>> 0 === v.value;
    case 'iface': {
      if (v.physdev) return null;
      const name = flag === 'src' ? p.inIface : p.outIface;
      return name !== '' && name === v.name;
    }
    case 'mac':
      return null;
    case 'set':
      return false;
  }
}

function inRange(x: number, v: { readonly lo: number; readonly hi: number }): boolean {
  return x >= v.lo && x <= v.hi;
}

/** What the lookup took of the packet, in words (`dst 198.51.100.7`, `src 10.0.1.5, dst port tcp 80`). */
function describe(set: IpSet, flags: readonly SetFlag[], p: SetFields): string {
  return set.dims
    .map((d, k) => {
      const f = flags[k] ?? 'src';
      if (d === 'ip' || d === 'net') return `${f} ${ipv4ToString(f === 'src' ? p.src : p.dst)}`;
      if (d === 'port') return p.proto === 1 ? `ICMP type ${p.icmpType}/${p.icmpCode}` : `${f} port ${f === 'src' ? p.sport : p.dport}`;
      if (d === 'iface') return `${f === 'src' ? 'in' : 'out'} interface ${(f === 'src' ? p.inIface : p.outIface) || '(none yet)'}`;
      if (d === 'mark') return `mark 0x${(p.mark >>> 0).toString(16)}`;
      return d;
    })
    .join(', ');
}

/** A `-m set` match as iptables writes it: `! --match-set NAME src,dst`. */
export function setMatchWords(m: Extract<Match, { kind: 'set' }>): string {
  return `${m.negate ? '! ' : ''}--match-set ${m.name} ${m.flags.join(',')}`;
}

/**
 * Whether a `-m set` match holds for what the lookup found (not 'unknown'): a member marked nomatch is an exception —
 * not in the set, unless --return-nomatch asks for it; `!` turns it round.
 */
export function setMatchHolds(m: Extract<Match, { kind: 'set' }>, r: Exclude<SetLookup, { kind: 'unknown' }>): boolean {
  const inSet = r.kind === 'in' || (r.kind === 'nomatch' && m.returnNomatch);
  return inSet !== m.negate;
}

/** The lookups that made a rule match, in words: `dst 198.51.100.7 is in set blocked (198.51.100.0/24 at ipset.txt:4)`. */
export function setHitsText(hits: readonly SetHit[]): string {
  return hits
    .map((h) => {
      if (h.member && !h.negate) return `${h.values} is in set ${h.set} (${h.member.text} at ${h.member.source.file}:${h.member.source.line})`;
      const why = h.member ? `: ${h.member.text} at ${h.member.source.file}:${h.member.source.line}` : '';
      return `${h.values} is not in set ${h.set} (${h.setSource.file}:${h.setSource.line}${why})`;
    })
    .join('; ');
}
