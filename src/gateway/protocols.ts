/** Protocol names as /etc/protocols and iptables know them (iptables accepts both names and numbers). */
const PROTO_BY_NAME: Readonly<Record<string, number>> = {
  all: 0,
  ip: 0,
  icmp: 1,
  igmp: 2,
  ipip: 4,
  ipencap: 4,
  tcp: 6,
  egp: 8,
  udp: 17,
  ipv6: 41,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  'icmp6': 58,
  ospf: 89,
  pim: 103,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
  udplite: 136,
  mh: 135,
  dccp: 33,
};

const NAME_BY_PROTO: ReadonlyMap<number, string> = new Map([
  [0, 'all'],
  [1, 'icmp'],
  [2, 'igmp'],
  [4, 'ipip'],
  [6, 'tcp'],
  [17, 'udp'],
  [33, 'dccp'],
  [41, 'ipv6'],
  [47, 'gre'],
  [50, 'esp'],
  [51, 'ah'],
  [58, 'ipv6-icmp'],
  [89, 'ospf'],
  [112, 'vrrp'],
  [132, 'sctp'],
  [136, 'udplite'],
]);

/** Name or number → protocol number; -1 when unknown. */
export function protoNumber(s: string): number {
  const lower = s.toLowerCase();
  if (/^\d{1,3}$/.test(lower)) {
    const n = Number(lower);
    return n <= 255 ? n : -1;
  }
  return PROTO_BY_NAME[lower] ?? -1;
}

export function protoName(n: number): string {
  return NAME_BY_PROTO.get(n) ?? String(n);
}

/** ICMP type names iptables accepts for `--icmp-type` (libxt_icmp), as type/code (code -1 = any). */
const ICMP_TYPES: Readonly<Record<string, readonly [number, number]>> = {
  any: [-1, -1],
  'echo-reply': [0, -1],
  pong: [0, -1],
  'destination-unreachable': [3, -1],
  'network-unreachable': [3, 0],
  'host-unreachable': [3, 1],
  'protocol-unreachable': [3, 2],
  'port-unreachable': [3, 3],
  'fragmentation-needed': [3, 4],
  'source-route-failed': [3, 5],
  'network-unknown': [3, 6],
  'host-unknown': [3, 7],
  'network-prohibited': [3, 9],
  'host-prohibited': [3, 10],
  'TOS-network-unreachable': [3, 11],
  'TOS-host-unreachable': [3, 12],
  'communication-prohibited': [3, 13],
  'host-precedence-violation': [3, 14],
  'precedence-cutoff': [3, 15],
  'source-quench': [4, -1],
  redirect: [5, -1],
  'network-redirect': [5, 0],
  'host-redirect': [5, 1],
  'TOS-network-redirect': [5, 2],
  'TOS-host-redirect': [5, 3],
  'echo-request': [8, -1],
  ping: [8, -1],
  'router-advertisement': [9, -1],
  'router-solicitation': [10, -1],
  'time-exceeded': [11, -1],
  'ttl-exceeded': [11, -1],
  'ttl-zero-during-transit': [11, 0],
  'ttl-zero-during-reassembly': [11, 1],
  'parameter-problem': [12, -1],
  'ip-header-bad': [12, 0],
  'required-option-missing': [12, 1],
  'timestamp-request': [13, -1],
  'timestamp-reply': [14, -1],
  'address-mask-request': [17, -1],
  'address-mask-reply': [18, -1],
};

/** `8`, `3/4`, `echo-request` → [type, code]; null when unreadable. Type -1 = any. */
export function icmpType(s: string): readonly [number, number] | null {
  const m = /^(\d{1,3})(?:\/(\d{1,3}))?$/.exec(s);
  if (m) return [Number(m[1]), m[2] === undefined ? -1 : Number(m[2])];
  return ICMP_TYPES[s] ?? null;
}
