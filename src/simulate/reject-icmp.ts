/**
 * The ICMP a REJECT sends (xt_REJECT / ipt_REJECT.c), by `--reject-with` name or alias; null for `tcp-reset`,
 * which answers with a TCP RST instead.
 */
const REJECT_ICMP: Record<string, number> = {
  'icmp-net-unreachable': 0,
  'net-unreach': 0,
  'icmp-host-unreachable': 1,
  'host-unreach': 1,
  'icmp-proto-unreachable': 2,
  'proto-unreach': 2,
  'icmp-port-unreachable': 3,
  'port-unreach': 3,
  'icmp-net-prohibited': 9,
  'net-prohib': 9,
  'icmp-host-prohibited': 10,
  'host-prohib': 10,
  'icmp-admin-prohibited': 13,
  'admin-prohib': 13,
};

export function rejectIcmp(rejectWith: string): { type: number; code: number; mtu: number } | null {
  const code = REJECT_ICMP[rejectWith] ?? (rejectWith === 'tcp-reset' ? -1 : 3);
  return code < 0 ? null : { type: 3, code, mtu: 0 };
}

/** RFC 1122 3.2.2: no ICMP error is sent about an ICMP error message. */
export function isIcmpError(proto: number, type: number): boolean {
  return proto === 1 && (type === 3 || type === 4 || type === 5 || type === 11 || type === 12);
}
