import type { Counters, SourceRef } from './source.js';
import type { IptablesForm, TableName } from './ruleset.js';

/** The packet the simulator walks through the gateway. IPv4 only (u32 addresses). */
export interface SimPacket {
  /** Interface it arrives on. */
  readonly ingress: string;
  readonly src: number;
  readonly dst: number;
  /** IP protocol number. */
  readonly proto: number;
  /** TCP/UDP ports; 0 when not applicable. */
  readonly sport: number;
  readonly dport: number;
  /** ICMP type/code and echo id; -1 when not ICMP. */
  readonly icmpType: number;
  readonly icmpCode: number;
  readonly icmpId: number;
  /** IP total length. */
  readonly size: number;
  readonly df: boolean;
  /**
   * First packet of a connection (walks nat), or a later/reply packet (uses conntrack); or a packet conntrack
   * calls INVALID (no entry and not one to start one, e.g. a TCP segment in mid-stream after the entry was lost
   * with nf_conntrack_tcp_loose=0): not NATed, matched by `--ctstate INVALID`.
   */
  readonly state: 'new' | 'established' | 'related' | 'invalid';
  readonly mark: number;
}

/** A connection's addresses at some point on the path. */
export interface Tuple {
  readonly src: number;
  readonly dst: number;
  /** Port for TCP/UDP, echo id for ICMP echo, 0 otherwise. */
  readonly sport: number;
  readonly dport: number;
}

export interface RuleRef {
  readonly file: string;
  readonly line: number;
  readonly table: TableName;
  readonly chain: string;
  readonly index: number;
  readonly text: string;
  readonly counters: Counters | null;
  /** A rule nft listed from a table of iptables-nft's: where iptables keeps it (commands that change it are iptables'). */
  readonly iptables?: IptablesForm;
}

export type StepStage = 'raw' | 'mangle' | 'nat' | 'filter' | 'security' | 'conntrack' | 'routing' | 'rp-filter' | 'forwarding' | 'mtu' | 'neighbour';

export interface TraceStep {
  readonly stage: StepStage;
  readonly table: TableName | null;
  readonly chain: string | null;
  /** The iptables rule that decided this step, or null for a policy / a kernel decision. */
  readonly rule: RuleRef | null;
  /** ACCEPT, DROP, REJECT, RETURN, jump, goto, DNAT, SNAT, MASQUERADE, continue, policy ACCEPT, may-match, … */
  readonly verdict: string;
  /** Human-readable detail (e.g. the route chosen, the sysctl read). */
  readonly note: string;
  /** The step depends on something we could not model (unknown match, probabilistic rule). */
  readonly unsure: boolean;
  /** Sysctl or route line this step relied on. */
  readonly source: SourceRef | null;
  /** The ipset lookups that made the rule match (`-m set --match-set`): what of the packet, and the member holding it. */
  readonly sets?: readonly SetHit[];
  /** A routing step whose table an `ip rule` other than the kernel's defaults chose (or that refused by itself): that rule. */
  readonly policyRule?: { readonly priority: number; readonly text: string; readonly source: SourceRef };
}

/** An ipset lookup that made a rule match: the packet was in the set (a member holds it), or, under `! --match-set`, not. */
export interface SetHit {
  readonly set: string;
  /** What the lookup took of the packet, in words (`dst 198.51.100.7`). */
  readonly values: string;
  readonly negate: boolean;
  /** The member that holds it (`add blocked 198.51.100.0/24`, or one marked nomatch: an exception); null when none does. */
  readonly member: { readonly text: string; readonly nomatch: boolean; readonly source: SourceRef } | null;
  /** Where the set is listed (its `create` or `Name:` line). */
  readonly setSource: SourceRef;
}

/** One NAT rewrite as a before/after diff. */
export interface NatRewrite {
  readonly kind: 'DNAT' | 'SNAT' | 'MASQUERADE' | 'REDIRECT';
  readonly rule: RuleRef;
  readonly before: Tuple;
  readonly after: Tuple;
  /** `--random-fully` / `--random` or a port range: ports and ICMP ids may be remapped. */
  readonly portsMayChange: boolean;
}

export type DropReason =
  | 'ip-forward-disabled'
  | 'forward-chain'
  | 'input-chain'
  | 'prerouting-chain'
  | 'postrouting-chain'
  | 'rp-filter'
  | 'no-route'
  | 'route-blackhole'
  | 'mtu-exceeded'
  | 'invalid-state'
  | 'link-down';

export type TraceDisposition =
  | {
      readonly kind: 'forwarded';
      readonly egress: string;
      readonly out: Tuple;
      /** Next hop: gateway (`via`) or the destination itself when on-link; null when unknown. */
      readonly nextHop: number | null;
      readonly portsMayChange: boolean;
    }
  | { readonly kind: 'local'; readonly out: Tuple; readonly note: string }
  | {
      readonly kind: 'dropped';
      readonly stage: StepStage;
      readonly reason: DropReason;
      readonly rule: RuleRef | null;
      readonly source: SourceRef | null;
      /** What the kernel sends back, if anything (REJECT, net-unreachable, frag-needed). */
      readonly icmpBack: { readonly type: number; readonly code: number; readonly mtu: number } | null;
      readonly note: string;
      /** The interface it was to leave by, where the drop is that interface's (link-down). */
      readonly egress?: string;
    }
  | { readonly kind: 'unknown'; readonly why: string };

/**
 * A rule the packet may or may not match (`-m statistic`, `-m set`, `-m limit`, options the parser could not
 * model). The walk goes on as if it did not match; this records the other branch so that the diagnosis can
 * report e.g. an intermittent drop.
 */
export interface MayMatch {
  readonly rule: RuleRef;
  /** Chance that the rule matches this packet (from `-m statistic`), null when unknown. */
  readonly probability: number | null;
  /** The rule's target: DROP, REJECT, ACCEPT, DNAT, SNAT, jump, … */
  readonly target: string;
  /** Matching would end the packet's way at the gateway (DROP/REJECT). */
  readonly drops: boolean;
  /** What made the rule uncertain. */
  readonly why: string;
}

export interface Trace {
  readonly packet: SimPacket;
  readonly steps: readonly TraceStep[];
  readonly rewrites: readonly NatRewrite[];
  readonly disposition: TraceDisposition;
  /** What the simulator assumed because the snapshot did not say (missing sysctls, routes…). */
  readonly assumptions: readonly string[];
  /** True when a step was unsure: the disposition is a best guess. */
  readonly unsure: boolean;
  /** Rules on the path that may match this packet; the disposition assumes they did not. */
  readonly mayMatch: readonly MayMatch[];
}
