import type { Cidr4 } from './address.js';
import type { IpSet } from './ipset.js';
import type { PortRange } from './ruleset.js';
import type { SourceRef } from './source.js';

export interface Sysctl {
  readonly key: string;
  readonly value: string;
  readonly source: SourceRef;
}

/** One assignment of the boot configuration (sysctl.d(5); gateway/sysctl-conf.ts). */
export interface BootSysctl {
  /** Dotted, as Sysctl.key; may be a glob (`net.ipv4.conf.*.rp_filter`). */
  readonly key: string;
  /** Null for `-key` alone: the key kept out of the globs. */
  readonly value: string | null;
  /** `-key = value`: an error writing it is ignored. */
  readonly optional: boolean;
  /** Where the snapshot says it. */
  readonly source: SourceRef;
  /** The configuration file that sets it, as the listing names it (the snapshot file itself for a copy of one). */
  readonly confFile: string;
}

/** The boot configuration's assignments in the order they are applied, and the configuration files seen. */
export interface BootSysctls {
  readonly settings: readonly BootSysctl[];
  readonly confFiles: readonly string[];
}

export interface InterfaceAddress {
  readonly family: 4 | 6;
  /** Text form (`203.0.113.71`, `fe80::1`). */
  readonly address: string;
  /** u32 for IPv4, -1 for IPv6. */
  readonly v4: number;
  readonly prefix: number;
  readonly secondary: boolean;
  readonly scope: string;
  readonly source: SourceRef;
}

export interface HostInterface {
  readonly ifindex: number;
  /** Without the `@ifN` peer suffix. */
  readonly name: string;
  readonly mtu: number;
  /** As printed: UP, LOWER_UP, NOARP, … */
  readonly flags: readonly string[];
  readonly operState: string;
  readonly mac: string | null;
  /**
   * The link type as `ip addr` names it (`link/ether` → ether; none for tun and WireGuard, ppp, ipip, gre,
   * loopback, …; JSON `link_type`); null when the listing does not say (`ip -br addr`, `ip -o addr`).
   */
  readonly link?: string | null;
  readonly addresses: readonly InterfaceAddress[];
  readonly source: SourceRef;
}

/** Link types that resolve their neighbours by ARP (an Ethernet-like broadcast medium). */
const ARP_LINKS = new Set(['ether', 'infiniband', 'ieee802', 'ieee802.11', 'fddi', 'hippi', 'arcnet']);

/**
 * Whether ARP is switched off on an interface that would otherwise use it: NOARP on an Ethernet-like link
 * (`ip link set dev X arp off`, as Kube-OVN's gateway did to its external interface until an EIP was added).
 * A link without ARP by its nature — point-to-point (tun, WireGuard, ppp), IP-in-IP and GRE tunnels, which
 * carry the NOARP flag and no link-layer address — reaches its peer without it: nothing is off there.
 */
export function arpSwitchedOff(itf: HostInterface): boolean {
  if (!itf.flags.includes('NOARP') || itf.flags.includes('LOOPBACK') || itf.flags.includes('POINTOPOINT')) return false;
  // A listing that does not say the link type (`ip -br addr`) leaves NOARP on a broadcast link taken as set.
  return itf.link === undefined || itf.link === null || ARP_LINKS.has(itf.link);
}

/** A link without ARP by its nature (NOARP, not loopback, and not a link that would use ARP): tun, WireGuard, ppp, IP tunnels. */
export function linkWithoutArp(itf: HostInterface): boolean {
  return itf.flags.includes('NOARP') && !itf.flags.includes('LOOPBACK') && !arpSwitchedOff(itf);
}

export type RouteType = 'unicast' | 'local' | 'broadcast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw' | 'other';

/** Routes that exist to refuse what they match: blackhole (silently), unreachable and prohibit (with an ICMP error). */
export function isRefusingRoute(type: RouteType): boolean {
  return type === 'blackhole' || type === 'unreachable' || type === 'prohibit';
}

export interface Route {
  readonly table: string;
  readonly type: RouteType;
  /** null = default. */
  readonly dst: Cidr4 | null;
  readonly family: 4 | 6;
  readonly via: number | null;
  readonly dev: string | null;
  readonly prefsrc: number | null;
  readonly metric: number;
  readonly proto: string | null;
  readonly scope: string | null;
  readonly text: string;
  readonly source: SourceRef;
}

/** What a policy routing rule does with what it matches (`ip rule`: lookup TABLE, goto PRIO, blackhole, unreachable, prohibit, nop). */
export type PolicyAction = 'lookup' | 'goto' | 'blackhole' | 'unreachable' | 'prohibit' | 'nop';

/** A policy routing rule (`ip rule`): which packets it takes, and which table routes them. */
export interface PolicyRule {
  readonly family: 4 | 6;
  readonly priority: number;
  /** `not`: the rule takes what its selectors do not match. */
  readonly not: boolean;
  /** `from`/`to`; null for all. */
  readonly from: Cidr4 | null;
  readonly to: Cidr4 | null;
  readonly iif: string | null;
  readonly oif: string | null;
  readonly fwmark: { readonly value: number; readonly mask: number } | null;
  /** `ipproto P`: the packet's IP protocol; null for any. */
  readonly ipproto?: number | null;
  /** `sport N[-M]`, `dport N[-M]`: the packet's TCP/UDP/SCTP ports (0 for protocols without ports); null for any. */
  readonly sport?: PortRange | null;
  readonly dport?: PortRange | null;
  readonly action: PolicyAction;
  /** For lookup: the table, as `ip rule` names it (main, local, default, 100…). */
  readonly table: string | null;
  /** For goto: the priority it jumps to. */
  readonly goto: number | null;
  /** `suppress_prefixlength N`: a route of prefix N or shorter found by this rule is refused, the next rule tried. */
  readonly suppressPrefixLength: number | null;
  /** Selectors natlens does not model (tos, dsfield, uidrange, l3mdev…): the rule is taken as not matching, and the walk says so. */
  readonly unmodelled: readonly string[];
  readonly text: string;
  readonly source: SourceRef;
}

/** `254` is main, `255` local, `253` default (rt_tables); the parsers may give either form. */
export function tableName(t: string): string {
  if (t === '' || t === '254') return 'main';
  if (t === '255') return 'local';
  if (t === '253') return 'default';
  return t;
}

/**
 * The IPv4 rules that look up a table the routes do not hold (`have`: the routes' table names; `ip route` shows main
 * alone). The kernel's own tables are left out: local and default may well be empty, main always holds routes.
 */
export function policyTablesMissing(rules: readonly PolicyRule[], have: ReadonlySet<string>): PolicyRule[] {
  const names = new Set([...have].map(tableName));
  return rules.filter((r) => {
    if (r.family !== 4 || r.action !== 'lookup' || r.table === null) return false;
    const t = tableName(r.table);
    return t !== 'main' && t !== 'local' && t !== 'default' && !names.has(t);
  });
}

export interface Neighbour {
  readonly family: 4 | 6;
  readonly address: string;
  readonly v4: number;
  readonly dev: string;
  readonly lladdr: string | null;
  /** Upper case: REACHABLE, STALE, DELAY, PROBE, FAILED, INCOMPLETE, NOARP, PERMANENT. */
  readonly states: readonly string[];
  readonly source: SourceRef;
}

/** One side of a conntrack tuple. Ports for TCP/UDP, type/code/id for ICMP. */
export interface CtTuple {
  readonly src: number;
  readonly dst: number;
  readonly sport: number | null;
  readonly dport: number | null;
  readonly icmpType: number | null;
  readonly icmpCode: number | null;
  readonly icmpId: number | null;
}

export interface ConntrackEntry {
  readonly proto: string;
  readonly protoNum: number;
  readonly timeout: number | null;
  /** TCP state (ESTABLISHED, TIME_WAIT, …), null for others. */
  readonly state: string | null;
  readonly original: CtTuple;
  readonly reply: CtTuple;
  /** UNREPLIED, ASSURED, … (without brackets). */
  readonly flags: readonly string[];
  readonly mark: number | null;
  readonly text: string;
  readonly source: SourceRef;
}

/** conntrack's counters (`conntrack -S`, /proc/net/stat/nf_conntrack), summed over the CPUs. */
export interface ConntrackStats {
  readonly cpus: number;
  /** Packets conntrack dropped: a full table's among them (no entry for a new connection, none to evict). */
  readonly drop: number;
  /** Entries evicted to make room for a new connection: the table was full. */
  readonly earlyDrop: number;
  readonly insertFailed: number;
  /** Packets conntrack could not place in a connection (no entry and not one to start one): `--ctstate INVALID`. */
  readonly invalid: number;
  /** The first lines (CPUs) that count drops, as written. */
  readonly dropLines: readonly { readonly line: number; readonly text: string }[];
  /** The first lines (CPUs) that count invalid packets. */
  readonly invalidLines: readonly { readonly line: number; readonly text: string }[];
  /** The first CPU's line. */
  readonly source: SourceRef;
}

/** A queueing discipline (`tc -s qdisc show`) and what it dropped: drops outside netfilter. */
export interface Qdisc {
  /** null when the listing named no device (`tc -s qdisc show dev X` names it). */
  readonly dev: string | null;
  /** tbf, htb, fq_codel, ingress, clsact, noqueue, … */
  readonly kind: string;
  readonly handle: string;
  /** `root`, `ingress`, or `parent <id>`. */
  readonly parent: string;
  /** The header line as printed. */
  readonly text: string;
  readonly sentPackets: number | null;
  readonly dropped: number | null;
  readonly overlimits: number | null;
  /** The header line. */
  readonly source: SourceRef;
  /** The `Sent … (dropped …)` line. */
  readonly statsLine: number | null;
}

export type KernelMessageKind = 'conntrack-table-full';

/** Kernel log messages of one kind: how many, and the first few and the last, with their lines. */
export interface KernelMessage {
  readonly kind: KernelMessageKind;
  readonly count: number;
  readonly lines: readonly { readonly file: string; readonly line: number; readonly text: string }[];
}

export interface HostState {
  /** Keyed by the dotted key (`net.ipv4.ip_forward`; slashes normalised to dots). */
  readonly sysctls: ReadonlyMap<string, Sysctl>;
  readonly interfaces: readonly HostInterface[];
  readonly routes: readonly Route[];
  readonly neighbours: readonly Neighbour[];
  readonly conntrack: readonly ConntrackEntry[] | null;
  readonly conntrackStats: ConntrackStats | null;
  /** Messages from the kernel log that name why packets were dropped. */
  readonly kernelMessages: readonly KernelMessage[];
  /** Queueing disciplines (`tc -s qdisc show`). */
  readonly qdiscs: readonly Qdisc[];
  /** Policy routing rules (`ip rule`), IPv4, in priority order; absent or empty when the snapshot has none (the kernel's defaults apply). */
  readonly policyRules?: readonly PolicyRule[];
  /** The ipset sets (`ipset save`, `ipset list`) by name; absent when the snapshot has no such listing. */
  readonly ipsets?: ReadonlyMap<string, IpSet>;
  /** What the sysctls are set to at boot (`systemd-analyze cat-config sysctl.d`, …); absent when the snapshot has no such listing. */
  readonly bootSysctls?: BootSysctls;
  /** Which kinds of host state the snapshot held (missing kinds make the simulator assume, and say so). */
  readonly have: {
    readonly sysctls: boolean;
    readonly addresses: boolean;
    readonly routes: boolean;
    readonly neighbours: boolean;
    readonly conntrack: boolean;
  };
}
