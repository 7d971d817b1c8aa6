import type { Cidr4 } from './address.js';
import type { Counters, SourceRef } from './source.js';

export type TableName = 'raw' | 'mangle' | 'nat' | 'filter' | 'security';
export const TABLE_NAMES: readonly TableName[] = ['raw', 'mangle', 'nat', 'filter', 'security'];

/** Which textual form a ruleset was read from. */
export type RulesetFormat = 'iptables-save' | 'iptables-list' | 'iptables-S';

/** An address match. IPv6 rules keep the text (`v6`) and are not simulated. */
export interface AddrMatch {
  readonly cidr: Cidr4 | null;
  readonly v6?: string;
  readonly negate: boolean;
}

export interface PortRange {
  readonly lo: number;
  readonly hi: number;
}

export type Match =
  | { readonly kind: 'src'; readonly addr: AddrMatch }
  | { readonly kind: 'dst'; readonly addr: AddrMatch }
  /** `-i`/`-o`; a trailing `+` is a prefix wildcard (kept in `name`). */
  | { readonly kind: 'in' | 'out'; readonly name: string; readonly negate: boolean }
  /** 0 = all. */
  | { readonly kind: 'proto'; readonly proto: number; readonly negate: boolean }
  | { readonly kind: 'sport' | 'dport'; readonly ranges: readonly PortRange[]; readonly negate: boolean }
  /** `--icmp-type T[/C]`; code -1 = any. */
  | { readonly kind: 'icmp-type'; readonly type: number; readonly code: number; readonly negate: boolean }
  /** `-m conntrack --ctstate` and `-m state --state`, upper case (NEW, ESTABLISHED, RELATED, INVALID, UNTRACKED, DNAT, SNAT). */
  | { readonly kind: 'ctstate'; readonly states: readonly string[]; readonly negate: boolean }
  | { readonly kind: 'ctorigsrc' | 'ctorigdst' | 'ctreplsrc' | 'ctrepldst'; readonly addr: AddrMatch }
  | { readonly kind: 'mark' | 'connmark'; readonly value: number; readonly mask: number; readonly negate: boolean }
  | { readonly kind: 'comment'; readonly text: string }
  /** `-m addrtype`; types upper case (LOCAL, UNICAST, …). */
  | {
      readonly kind: 'addrtype';
      readonly srcType?: readonly string[];
      readonly dstType?: readonly string[];
      readonly negateSrc: boolean;
      readonly negateDst: boolean;
      readonly limitIfaceIn: boolean;
      readonly limitIfaceOut: boolean;
    }
  /** A rule that matches only some packets. */
  | { readonly kind: 'statistic'; readonly mode: 'random' | 'nth'; readonly probability?: number; readonly every?: number; readonly packet?: number; readonly negate: boolean }
  | { readonly kind: 'fragment'; readonly negate: boolean }
  /**
   * `-m set --match-set NAME src,dst`: the packet looked up in an ipset set, one flag per dimension of the set;
   * `--return-nomatch` makes a member marked nomatch count as a match. What the set holds comes from the snapshot's
   * `ipset save` / `ipset list`; without it the rule "may match".
   */
  | { readonly kind: 'set'; readonly name: string; readonly flags: readonly ('src' | 'dst')[]; readonly negate: boolean; readonly returnNomatch: boolean }
  /** Anything we do not model (`-m limit`, `-m recent`, …): the rule "may match". */
  | { readonly kind: 'unknown'; readonly module: string; readonly args: readonly string[] };

/** `-m limit`, `-m hashlimit` (and their `-L` spelling, `limit:`): they match while packets come slower than a rate. */
export function isRateLimit(module: string): boolean {
  return /^(hash)?limit:?$/.test(module);
}

/** NAT target range: addresses lo..hi (u32), ports lo..hi (0 = keep). */
export interface NatRange {
  readonly addrLo: number;
  readonly addrHi: number;
  readonly portLo: number;
  readonly portHi: number;
}

export type Target =
  | { readonly kind: 'ACCEPT' | 'DROP' | 'RETURN' }
  | { readonly kind: 'REJECT'; readonly rejectWith: string }
  | { readonly kind: 'jump' | 'goto'; readonly chain: string }
  | { readonly kind: 'DNAT'; readonly to: readonly NatRange[]; readonly random: boolean; readonly persistent: boolean }
  | {
      readonly kind: 'SNAT';
      readonly to: readonly NatRange[];
      readonly random: boolean;
      readonly randomFully: boolean;
      readonly persistent: boolean;
    }
  | { readonly kind: 'MASQUERADE'; readonly ports: PortRange | null; readonly random: boolean; readonly randomFully: boolean }
  | { readonly kind: 'REDIRECT'; readonly ports: PortRange | null }
  | { readonly kind: 'MARK' | 'CONNMARK'; readonly args: readonly string[] }
  | { readonly kind: 'LOG' | 'NFLOG' | 'TRACE'; readonly args: readonly string[] }
  | { readonly kind: 'CT'; readonly notrack: boolean; readonly args: readonly string[] }
  | { readonly kind: 'NOTRACK' }
  /**
   * A stateless rewrite of one header field (nftables' `ip daddr set A`, `tcp dport set P`): the packet is changed
   * where it is, every packet alike, with no conntrack mapping (so nothing is undone on the way back). Non-terminal.
   */
  | { readonly kind: 'SET'; readonly field: 'saddr' | 'daddr' | 'sport' | 'dport'; readonly value: number }
  /** A rule without `-j`: only counts. */
  | { readonly kind: 'none' }
  | { readonly kind: 'unknown'; readonly name: string; readonly args: readonly string[] };

/**
 * Where iptables keeps a rule nft listed from a table iptables-nft made (`table ip nat` with its `PREROUTING`…):
 * such rules are changed with iptables (nft would leave rules iptables-nft cannot read), by these names.
 */
export interface IptablesForm {
  readonly table: TableName;
  readonly chain: string;
  /** The rule's options as `iptables -S` prints them after `-A CHAIN`; null when natlens cannot write them (a match it does not model). */
  readonly spec: string | null;
}

export interface Rule {
  readonly table: TableName;
  readonly chain: string;
  /** 1-based position in its chain (as `--line-numbers` shows). */
  readonly index: number;
  readonly matches: readonly Match[];
  readonly target: Target;
  readonly counters: Counters | null;
  readonly source: SourceRef;
  /** Canonical `-A CHAIN …` text (iptables-save form, no counters), for display and comparison. */
  readonly text: string;
  /** Options we could not model: the simulator treats the rule as "may match" and says so. */
  readonly unsure: readonly string[];
  /**
   * Statements applied before `target` when the rule matches (nftables: `meta mark set 1 accept`, `ip daddr set A
   * counter accept`): marks, rewrites, notrack — each lets the packet go on to the next. iptables rules have none.
   */
  readonly pre?: readonly Target[];
  /** An nftables rule of one of iptables-nft's own tables: its iptables place and form. */
  readonly iptables?: IptablesForm;
}

export interface Chain {
  readonly name: string;
  readonly builtin: boolean;
  /** Built-in chains only. */
  readonly policy: 'ACCEPT' | 'DROP' | null;
  readonly policyCounters: Counters | null;
  readonly rules: readonly Rule[];
  readonly source: SourceRef;
}

export interface Table {
  readonly name: TableName;
  /** In file order. */
  readonly chains: readonly Chain[];
}

export interface Ruleset {
  readonly family: 4 | 6;
  /** From `# Generated by iptables-save v1.8.9 (legacy|nf_tables)` or the `-L` style; 'unknown' when it does not say. */
  readonly backend: 'legacy' | 'nft' | 'unknown';
  readonly iptablesVersion: string | null;
  readonly tables: Partial<Record<TableName, Table>>;
  /** The `# Warning: iptables-legacy tables present…` line: the snapshot is from nft while rules live in legacy. */
  readonly legacyTablesPresent: SourceRef | null;
  /** Files this ruleset was assembled from, with the form of each. */
  readonly sources: readonly { readonly file: string; readonly format: RulesetFormat; readonly tables: readonly TableName[] }[];
}

/** Where two forms of the same rules disagree (reconciliation). */
export interface RulesetDisagreement {
  readonly table: TableName;
  readonly chain: string;
  readonly message: string;
  readonly a: SourceRef;
  readonly b: SourceRef | null;
}
