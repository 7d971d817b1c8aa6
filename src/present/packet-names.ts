/**
 * Words and short forms for decoded packet fields, shared by the one-line text form and the ndjson
 * form of `natlens packets`. Spellings follow tcpdump where it has one, so lines read familiarly.
 */
import { ipv4ToString, ipv6ToString } from '../model/address.js';
import type { DecodedPacket, EmbeddedHeader } from '../model/packet.js';
import { Layer, Net, PacketType, Proto, TcpFlag } from '../model/packet.js';

/** tcpdump's direction column for cooked captures (print-sll.c). */
export function directionOf(packetType: number): string {
  switch (packetType) {
    case PacketType.HOST:
      return 'In';
    case PacketType.BROADCAST:
      return 'B';
    case PacketType.MULTICAST:
      return 'M';
    case PacketType.OTHERHOST:
      return 'P';
    case PacketType.OUTGOING:
      return 'Out';
    default:
      return '';
  }
}

const IP_PROTOCOLS: ReadonlyMap<number, string> = new Map([
  [0, 'HBH'],
  [1, 'ICMP'],
  [2, 'IGMP'],
  [4, 'IPIP'],
  [6, 'TCP'],
  [17, 'UDP'],
  [41, 'IPv6'],
  [43, 'Routing'],
  [44, 'Fragment'],
  [47, 'GRE'],
  [50, 'ESP'],
  [51, 'AH'],
  [58, 'ICMPv6'],
  [59, 'NoNext'],
  [60, 'DstOpts'],
  [89, 'OSPF'],
  [103, 'PIM'],
  [112, 'VRRP'],
  [132, 'SCTP'],
]);

export function ipProtocolName(p: number): string {
  return IP_PROTOCOLS.get(p) ?? `ip-proto-${p}`;
}

/** tcpdump's flag letters in its order: FIN S, SYN… (print-tcp.c tcp_flag_values); `.` is ACK. */
export function tcpFlagsText(flags: number): string {
  let s = '';
  if (flags & TcpFlag.FIN) s += 'F';
  if (flags & TcpFlag.SYN) s += 'S';
  if (flags & TcpFlag.RST) s += 'R';
  if (flags & TcpFlag.PSH) s += 'P';
  if (flags & TcpFlag.ACK) s += '.';
  if (flags & TcpFlag.URG) s += 'U';
  if (flags & TcpFlag.ECE) s += 'E';
  if (flags & TcpFlag.CWR) s += 'W';
  return s === '' ? 'none' : s;
}

/** IPv4 flags as tcpdump prints them: `DF`, `+` (more fragments), `none`. */
export function ipv4FlagsText(d: DecodedPacket): string {
  if (d.df && d.mf) return 'DF, +';
  if (d.df) return 'DF';
  if (d.mf) return '+';
  return 'none';
}

/** TCP options as tcpdump lists them: `mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7`. */
export function tcpOptionsText(data: Uint8Array, start: number, end: number): string {
  const parts: string[] = [];
  let o = start;
  const u16 = (i: number) => (data[i]! << 8) | data[i + 1]!;
  const u32 = (i: number) => ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
  while (o < end) {
    const kind = data[o]!;
    if (kind === 0) {
      parts.push('eol');
      break;
    }
    if (kind === 1) {
      parts.push('nop');
      o++;
      continue;
    }
    if (o + 1 >= end) break;
    const len = data[o + 1]!;
    if (len < 2 || o + len > end) {
      parts.push(`bad opt ${kind}`);
      break;
    }
    if (kind === 2 && len === 4) parts.push(`mss ${u16(o + 2)}`);
    else if (kind === 3 && len === 3) parts.push(`wscale ${data[o + 2]!}`);
    else if (kind === 4 && len === 2) parts.push('sackOK');
    else if (kind === 5 && (len - 2) % 8 === 0) {
      const blocks: string[] = [];
      for (let b = o + 2; b + 8 <= o + len; b += 8) blocks.push(`{${u32(b)}:${u32(b + 4)}}`);
      parts.push(`sack ${blocks.length} ${blocks.join('')}`);
    } else if (kind === 8 && len === 10) parts.push(`TS val ${u32(o + 2)} ecr ${u32(o + 6)}`);
    else if (kind === 30) parts.push('mptcp');
    else if (kind === 34) parts.push('tfo');
    else parts.push(`opt-${kind}:${len}`);
    o += len;
  }
  return parts.join(',');
}

/** ICMP destination-unreachable wording (RFC 792, RFC 1812 codes; tcpdump print-icmp.c phrasing). */
function unreachableText(code: number, dst: string, inner: EmbeddedHeader, mtu: number): string {
  switch (code) {
    case 0:
      return `net ${dst} unreachable`;
    case 1:
      return `host ${dst} unreachable`;
    case 2:
      return `${dst} protocol ${inner.proto} unreachable`;
    case 3:
      // The port where the capture kept it (a short snaplen may cut the quote before it).
      if (inner.proto === Proto.UDP && inner.l4Quoted >= 4) return `${dst} udp port ${inner.dport} unreachable`;
      if (inner.proto === Proto.TCP && inner.l4Quoted >= 4) return `${dst} tcp port ${inner.dport} unreachable`;
      return `${dst} port unreachable`;
    case 4:
      return `${dst} unreachable - need to frag (mtu ${mtu})`;
    case 5:
      return `${dst} unreachable - source route failed`;
    case 6:
      return `net ${dst} unreachable - unknown`;
    case 7:
      return `host ${dst} unreachable - unknown`;
    case 8:
      return `src host ${dst} isolated`;
    case 9:
      return `net ${dst} unreachable - admin prohibited`;
    case 10:
      return `host ${dst} unreachable - admin prohibited`;
    case 11:
      return `net ${dst} unreachable - tos prohibited`;
    case 12:
      return `host ${dst} unreachable - tos prohibited`;
    case 13:
      return `host ${dst} unreachable - admin prohibited filter`;
    case 14:
      return `host ${dst} unreachable - host precedence violation`;
    case 15:
      return `host ${dst} unreachable - precedence cutoff`;
    default:
      return `${dst} unreachable - code ${code}`;
  }
}

/** The ICMP message as words, without the trailing length: `echo request, id 1, seq 2`. */
export function icmpText(d: DecodedPacket): string {
  const inner = d.inner;
  const dst = inner.present ? ipv4ToString(inner.dst) : '?';
  switch (d.icmpType) {
    case 0:
      return `echo reply, id ${d.icmpId}, seq ${d.icmpSeq}`;
    case 8:
      return `echo request, id ${d.icmpId}, seq ${d.icmpSeq}`;
    case 3:
      return unreachableText(d.icmpCode, dst, inner, d.icmpMtu);
    case 4:
      return 'source quench';
    case 5: {
      const kind = ['net', 'host', 'tos-net', 'tos-host'][d.icmpCode] ?? `code-${d.icmpCode}`;
      return `redirect ${dst} to ${kind} ${ipv4ToString(d.icmpGateway)}`;
    }
    case 11:
      return d.icmpCode === 1 ? 'ip reassembly time exceeded' : 'time exceeded in-transit';
    case 12:
      return `parameter problem - code ${d.icmpCode}`;
    case 13:
      return `time stamp query id ${d.icmpId} seq ${d.icmpSeq}`;
    case 14:
      return `time stamp reply id ${d.icmpId} seq ${d.icmpSeq}`;
    default:
      return `type ${d.icmpType}, code ${d.icmpCode}`;
  }
}

const ICMPV6_UNREACH = ['unreachable route', 'unreachable prohibited', 'beyond scope', 'unreachable address', 'unreachable port', 'source address failed policy', 'reject route'];

const ICMPV6_NAMES: ReadonlyMap<number, string> = new Map([
  [130, 'multicast listener query'],
  [131, 'multicast listener report'],
  [132, 'multicast listener done'],
  [133, 'router solicitation'],
  [134, 'router advertisement'],
  [137, 'redirect'],
  [143, 'multicast listener report v2'],
]);

/** ICMPv6 as words (RFC 4443, RFC 4861; tcpdump print-icmp6.c phrasing), without the length. */
export function icmpv6Text(d: DecodedPacket): string {
  const dst = d.inner.present ? ipv6ToString(d.inner.dst6) : '?';
  switch (d.icmpType) {
    case 1:
      return `destination unreachable, ${ICMPV6_UNREACH[d.icmpCode] ?? `code ${d.icmpCode}`} ${dst}`;
    case 2:
      return `packet too big, mtu ${d.icmpMtu}`;
    case 3:
      return d.icmpCode === 1 ? 'time exceeded in-transit for reassembly' : 'time exceeded in-transit';
    case 4:
      return `parameter problem, code ${d.icmpCode}`;
    case 128:
      return `echo request, id ${d.icmpId}, seq ${d.icmpSeq}`;
    case 129:
      return `echo reply, id ${d.icmpId}, seq ${d.icmpSeq}`;
    case 135:
      return `neighbor solicitation, who has ${ipv6ToString(d.ndTarget6)}`;
    case 136:
      return `neighbor advertisement, tgt is ${ipv6ToString(d.ndTarget6)}`;
    default:
      return ICMPV6_NAMES.get(d.icmpType) ?? `type ${d.icmpType}, code ${d.icmpCode}`;
  }
}

const LAYER_NAMES = ['', 'link', 'network', 'transport', 'payload'];

/** `link`, `network`, `transport`, `payload`; '' when whole. */
export function layerName(layer: number): string {
  return LAYER_NAMES[layer] ?? '';
}

/** Whether the capture cut a header (not merely the payload, which snaplen often does on purpose). */
export function headerTruncated(d: DecodedPacket): boolean {
  return d.truncatedAt !== Layer.NONE && d.truncatedAt !== Layer.PAYLOAD;
}

export function isIp(d: DecodedPacket): boolean {
  return d.net === Net.IPV4 || d.net === Net.IPV6;
}
