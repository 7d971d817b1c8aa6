import type { InputWarning } from './errors.js';
import type { HostState } from './host.js';
import type { NftRuleset } from './nftables.js';
import type { Ruleset, RulesetDisagreement } from './ruleset.js';

/** What a bundle file turned out to be (content-sniffed, never by name). */
export type SnapshotFileKind =
  | 'iptables-save'
  | 'ip6tables-save'
  | 'iptables-list'
  | 'iptables-S'
  | 'sysctl'
  /** The sysctls set at boot: `systemd-analyze cat-config sysctl.d`, `sysctl --system`, a sysctl.conf (gateway/sysctl-conf.ts). */
  | 'sysctl-conf'
  | 'ip-addr'
  | 'ip-route'
  /** `route -n`, `netstat -rn` (gateway/net-tools.ts): the main table, read as `ip route`. */
  | 'route-n'
  /** `arp -n`, `arp -an` (gateway/net-tools.ts): the neighbour cache, read as `ip neigh`. */
  | 'arp-n'
  /** `ip rule`: policy routing. */
  | 'ip-rule'
  | 'ip-neigh'
  | 'conntrack'
  /** `conntrack -S`, /proc/net/stat/nf_conntrack. */
  | 'conntrack-stats'
  /** dmesg, journalctl -k, kern.log. */
  | 'kernel-log'
  /** `tc -s qdisc show`. */
  | 'tc-qdisc'
  /** `nft list ruleset`. */
  | 'nftables'
  /** `ipset save`, `ipset list`. */
  | 'ipset'
  | 'capture'
  | 'ignored'
  /** Several commands' output in one file, each under a heading naming its command (gateway/sections.ts). */
  | 'combined';

export interface SnapshotFile {
  readonly path: string;
  readonly kind: SnapshotFileKind;
  /** Why a file was ignored. */
  readonly reason?: string;
  /** A combined file's sections, by kind, in order. */
  readonly sections?: readonly SnapshotFileKind[];
}

/** The gateway's state as one snapshot gives it. */
export interface Snapshot {
  /** IPv4 rules, reconciled from every form the bundle holds; null when the bundle has none. */
  readonly rules: Ruleset | null;
  readonly rules6: Ruleset | null;
  /** The nftables base chains (`nft list ruleset`), walked beside the iptables rules; absent or null without one. */
  readonly nft?: NftRuleset | null;
  readonly host: HostState;
  readonly files: readonly SnapshotFile[];
  readonly disagreements: readonly RulesetDisagreement[];
  readonly warnings: readonly InputWarning[];
}
