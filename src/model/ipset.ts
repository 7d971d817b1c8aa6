import type { SourceRef } from './source.js';

/**
 * An ipset set (`ipset save`, `ipset list`): what iptables' `-m set --match-set NAME src,dst` looks packets up in.
 * The ruleset names the set; only this listing says what it holds.
 */
export interface IpSet {
  readonly name: string;
  /** As ipset names it: hash:ip, hash:net,port, bitmap:port, list:set… */
  readonly type: string;
  /** The type's dimensions, in order (hash:ip,port,net → ip, port, net): one `src`/`dst` flag of the match each. */
  readonly dims: readonly IpSetDim[];
  /** inet (IPv4) or inet6; bitmap and list sets have none (null). */
  readonly family: 'inet' | 'inet6' | null;
  /** hash:ip's and bitmap:ip's `netmask N`: addresses are stored, and looked up, as their /N network. */
  readonly netmask: number | null;
  readonly members: readonly IpSetMember[];
  /**
   * Every member was read: false when the listing left them out (`ipset list -t`, `-terse`) or some could not be
   * read — then a packet not found among them may still be in the set.
   */
  readonly complete: boolean;
  /** The `create` line, or the `Name:` line of a listing. */
  readonly source: SourceRef;
}

/** ip (an address, or a /N network under netmask), net (a network, most specific first), port (protocol and port, or ICMP type/code), mark, iface, mac, set (list:set's member sets). */
export type IpSetDim = 'ip' | 'net' | 'port' | 'mark' | 'iface' | 'mac' | 'set';

/** One dimension of a member. Addresses as u32 ranges (a network is its first..last address). */
export type IpSetValue =
  | { readonly kind: 'addr'; readonly lo: number; readonly hi: number; readonly prefix: number }
  /** Protocol number and port range (ICMP: type << 8 | code); proto 0 from bitmap:port, which holds ports alone (TCP and UDP alike). */
  | { readonly kind: 'port'; readonly proto: number; readonly lo: number; readonly hi: number }
  | { readonly kind: 'mark'; readonly value: number }
  | { readonly kind: 'iface'; readonly name: string; readonly physdev: boolean }
  | { readonly kind: 'mac'; readonly text: string }
  | { readonly kind: 'set'; readonly name: string };

export interface IpSetMember {
  readonly values: readonly IpSetValue[];
  /** hash:net's `nomatch`: an exception carved out of a larger network in the set. */
  readonly nomatch: boolean;
  /** As listed (`10.0.0.0/24`, `10.0.0.1,tcp:80`). */
  readonly text: string;
  readonly source: SourceRef;
}
