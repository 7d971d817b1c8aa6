import type { Chain, TableName } from './ruleset.js';
import type { SourceRef } from './source.js';

/** The netfilter hooks an nftables base chain attaches to, as the simulator names them (iptables' chain names). */
export type NftHook = 'PREROUTING' | 'INPUT' | 'FORWARD' | 'OUTPUT' | 'POSTROUTING';

/**
 * An nftables base chain (`type filter|nat|route hook H priority P; policy X;`): where the kernel runs it, and the
 * chains of its table, which its rules jump and go to. Its rules and those chains are read into the same rule model
 * as iptables' (`Rule`, `Chain`), named `<family> <table> <chain>` as `nft list chain` names them; `stage` is the
 * iptables table whose place it takes in the trace (nat for type nat, raw/mangle/filter/security by priority).
 */
export interface NftBaseChain {
  readonly family: 'ip' | 'inet';
  readonly table: string;
  readonly type: 'filter' | 'nat' | 'route';
  readonly hook: NftHook;
  /** Numeric (named priorities resolved: raw −300, mangle −150, dstnat −100, filter 0, security 50, srcnat 100). */
  readonly priority: number;
  readonly stage: TableName;
  readonly chain: Chain;
  /** Every chain of its table, by full name. */
  readonly chains: ReadonlyMap<string, Chain>;
}

/** What natlens reads of `nft list ruleset`: the base chains IPv4 packets meet, in the order of the file. */
export interface NftRuleset {
  readonly file: string;
  readonly baseChains: readonly NftBaseChain[];
  /** iptables-nft's own tables (`ip nat`, `ip filter`…) read here: the iptables rules themselves, in nft's words. */
  readonly iptablesTables: readonly string[];
  /** Tables left out: IPv6-only, ARP, bridge and netdev families, and iptables-nft's own when iptables rules are given. */
  readonly skippedTables: readonly { readonly name: string; readonly why: string; readonly source: SourceRef }[];
}
