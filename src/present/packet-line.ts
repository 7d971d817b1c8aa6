/**
 * One line per packet for `natlens packets`, in the spirit of `tcpdump -nn -v -r` but on one line:
 * frame, UTC time to the nanosecond, interface, direction (cooked captures), VLAN tags, then the
 * IP header fields correlation works with (ttl, id) and the transport details. Sequence numbers are
 * absolute (as with tcpdump -S): they are what is compared across the gateway.
 */
import { describeLinkType } from '../ingest/link-types.js';
import { ipv4ToString, ipv6ToString, macToString } from '../model/address.js';
import type { CaptureRecord } from '../model/capture.js';
import type { DecodedPacket } from '../model/packet.js';
import { Net, Proto, TcpFlag } from '../model/packet.js';
import {
  directionOf,
  headerTruncated,
  icmpText,
  icmpv6Text,
  ipProtocolName,
  ipv4FlagsText,
  tcpFlagsText,
  tcpOptionsText,
} from './packet-names.js';

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `HH:MM:SS.nnnnnnnnn` in UTC, exact (no float seconds). */
export function clockOf(tsSec: number, tsNsec: number): string {
  const t = ((tsSec % 86400) + 86400) % 86400;
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  return `${pad2(h)}:${pad2(m)}:${pad2(t % 60)}.${String(tsNsec).padStart(9, '0')}`;
}

export function formatPacketLine(rec: CaptureRecord, d: DecodedPacket, iface: string): string {
  let s = `${rec.frame} ${clockOf(rec.tsSec, rec.tsNsec)} ${iface === '' ? '-' : iface}`;
  const dir = directionOf(d.packetType);
  if (dir !== '') s += ` ${dir}`;
  if (d.vlanCount > 0) s += ` vlan ${Array.from(d.vlanIds.subarray(0, d.vlanCount)).join('.')}`;
  s += ` ${bodyText(rec, d)}`;
  if (headerTruncated(d)) s += ' [truncated]';
  if (d.malformed !== '') s += ` [malformed: ${d.malformed}]`;
  return s;
}

function bodyText(rec: CaptureRecord, d: DecodedPacket): string {
  const netLength = rec.origLen - d.netOffset;
  switch (d.net) {
    case Net.ARP:
      return arpText(d, netLength);
    case Net.IPV4:
    case Net.IPV6:
      return ipText(rec, d, netLength);
    case Net.OTHER:
      return d.etherType === 0
        ? `${describeLinkType(d.linkType)}, non-IP, length ${netLength}`
        : `ethertype 0x${d.etherType.toString(16).padStart(4, '0')}, length ${netLength}`;
    default:
      return `${describeLinkType(d.linkType)}, length ${rec.origLen}`;
  }
}

function arpText(d: DecodedPacket, length: number): string {
  if (d.arpOp === 1 && d.arpSpa !== 0 && d.arpTpa !== 0)
    return `ARP, Request who-has ${ipv4ToString(d.arpTpa)} tell ${ipv4ToString(d.arpSpa)}, length ${length}`;
  if (d.arpOp === 1 && d.arpTpa !== 0) // RFC 5227 probe: sender address 0.0.0.0
    return `ARP, Request who-has ${ipv4ToString(d.arpTpa)} tell 0.0.0.0, length ${length}`;
  if (d.arpOp === 2 && d.arpSha !== 0)
    return `ARP, Reply ${ipv4ToString(d.arpSpa)} is-at ${macToString(d.arpSha)}, length ${length}`;
  return d.arpOp === 0 ? `ARP, length ${length}` : `ARP, op ${d.arpOp}, length ${length}`;
}

function ipHeaderText(d: DecodedPacket): string {
  const proto = `proto ${ipProtocolName(d.proto)} (${d.proto})`;
  if (d.net === Net.IPV4) {
    const opts = d.ipOptions ? ', options' : '';
    return (
      `IP (tos 0x${d.tos.toString(16)}, ttl ${d.ttl}, id ${d.ipId}, offset ${d.fragOffset}, ` +
      `flags [${ipv4FlagsText(d)}], ${proto}, length ${d.ipTotalLength}${opts})`
    );
  }
  let s = 'IP6 (';
  if (d.tos !== 0) s += `class 0x${d.tos.toString(16)}, `;
  if (d.flowLabel !== 0) s += `flowlabel 0x${d.flowLabel.toString(16)}, `;
  s += `hlim ${d.ttl}, ${proto}, payload length ${d.ipTotalLength - 40})`;
  if (d.fragment) {
    const fragLength = d.ipTotalLength - d.ipHeaderLength;
    s += ` frag (0x${d.ipId.toString(16).padStart(8, '0')}:${d.fragOffset}|${fragLength}${d.mf ? '+' : ''})`;
  }
  return s;
}

function ipText(rec: CaptureRecord, d: DecodedPacket, netLength: number): string {
  const v4 = d.net === Net.IPV4;
  // The fixed header was not all there (or not IP at all): nothing but the length is known.
  if (d.ipTotalLength === 0) return `${v4 ? 'IP' : 'IP6'}, length ${netLength}`;
  const src = v4 ? ipv4ToString(d.src) : ipv6ToString(d.src6);
  const dst = v4 ? ipv4ToString(d.dst) : ipv6ToString(d.dst6);
  const head = ipHeaderText(d);
  // payloadOffset is set once the transport header (or the raw IP payload) was whole.
  const l4Whole = d.payloadOffset !== 0;
  if (d.fragOffset !== 0)
    return `${head} ${src} > ${dst}: ${ipProtocolName(d.proto)} fragment, length ${d.payloadLength}`;
  switch (d.proto) {
    case Proto.TCP: {
      if (d.tcpHeaderLength === 0) return `${head} ${src}.${d.sport} > ${dst}.${d.dport}: TCP`;
      let s = `${head} ${src}.${d.sport} > ${dst}.${d.dport}: Flags [${tcpFlagsText(d.tcpFlags)}], seq ${d.tcpSeq}`;
      if (d.tcpFlags & TcpFlag.ACK) s += `, ack ${d.tcpAck}`;
      s += `, win ${d.tcpWindow}`;
      if (d.tcpHeaderLength > 20) {
        const start = d.l4Offset + 20;
        const end = Math.min(d.l4Offset + d.tcpHeaderLength, rec.data.length);
        s += `, options [${tcpOptionsText(rec.data, start, end)}]`;
      }
      return l4Whole ? `${s}, length ${d.payloadLength}` : s;
    }
    case Proto.UDP:
      if (!l4Whole) return `${head} ${src}.${d.sport} > ${dst}.${d.dport}: UDP`;
      return `${head} ${src}.${d.sport} > ${dst}.${d.dport}: UDP, length ${d.payloadLength}`;
    case Proto.ICMP:
      if (!v4 || !l4Whole) break;
      return `${head} ${src} > ${dst}: ICMP ${icmpText(d)}, length ${d.payloadLength + 8}${quotedText(d)}`;
    case Proto.ICMPV6:
      if (v4 || !l4Whole) break;
      return `${head} ${src} > ${dst}: ICMP6, ${icmpv6Text(d)}, length ${d.payloadLength + 8}${quotedText(d)}`;
    default:
      break;
  }
  const length = l4Whole ? `, length ${d.payloadLength}` : '';
  return `${head} ${src} > ${dst}: ${ipProtocolName(d.proto)}${length}`;
}

/** The datagram an ICMP error quotes, in braces: the flow it belongs to. */
function quotedText(d: DecodedPacket): string {
  const i = d.inner;
  if (!i.present) return '';
  const v6 = d.net === Net.IPV6;
  const src = v6 ? ipv6ToString(i.src6) : ipv4ToString(i.src);
  const dst = v6 ? ipv6ToString(i.dst6) : ipv4ToString(i.dst);
  const head = v6 ? `IP6 (hlim ${i.ttl}, length ${i.totalLength})` : `IP (ttl ${i.ttl}, id ${i.ipId}, length ${i.totalLength})`;
  let l4: string;
  switch (i.proto) {
    case Proto.TCP:
      l4 = `${src}.${i.sport} > ${dst}.${i.dport}: TCP seq ${i.tcpSeq}`;
      break;
    case Proto.UDP:
      l4 = `${src}.${i.sport} > ${dst}.${i.dport}: UDP`;
      break;
    case Proto.ICMP:
    case Proto.ICMPV6: {
      const name = i.proto === Proto.ICMP ? 'ICMP' : 'ICMP6';
      const req = i.proto === Proto.ICMP ? 8 : 128;
      const rep = i.proto === Proto.ICMP ? 0 : 129;
      l4 =
        i.icmpType === req || i.icmpType === rep
          ? `${src} > ${dst}: ${name} echo ${i.icmpType === req ? 'request' : 'reply'}, id ${i.icmpId}, seq ${i.icmpSeq}`
          : `${src} > ${dst}: ${name} type ${i.icmpType}`;
      break;
    }
    default:
      l4 = `${src} > ${dst}: ${ipProtocolName(i.proto)}`;
  }
  return ` {${head} ${l4}}`;
}
