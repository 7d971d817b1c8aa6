/**
 * The decoded fields of one packet as a plain object for ndjson (`natlens packets --format ndjson`).
 * Addresses are strings, time is ISO-8601 with nanoseconds, and a layer's object appears only when
 * the packet has that layer; fields that do not apply are left out rather than set to null/undefined.
 */
import { describeLinkType } from '../ingest/link-types.js';
import { ipv4ToString, ipv6ToString, macToString } from '../model/address.js';
import type { CaptureRecord } from '../model/capture.js';
import type { DecodedPacket } from '../model/packet.js';
import { Net, Proto } from '../model/packet.js';
import { isoNs } from '../model/time.js';
import { directionOf, ipProtocolName, layerName, tcpFlagsText } from './packet-names.js';

const hex32 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;
const hex16 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;

export function packetToJson(rec: CaptureRecord, d: DecodedPacket, iface: string): Record<string, unknown> {
  const o: Record<string, unknown> = {
    frame: rec.frame,
    file: rec.file,
    offset: rec.offset,
    time: isoNs(rec.tsSec, rec.tsNsec),
  };
  if (iface !== '') o.interface = iface;
  o.caplen = rec.caplen;
  o.len = rec.origLen;
  o.link = linkJson(d);
  if (d.net === Net.ARP) o.arp = arpJson(d);
  if ((d.net === Net.IPV4 || d.net === Net.IPV6) && d.ipTotalLength !== 0) {
    o.ip = ipJson(d);
    if (d.fragOffset === 0) addTransport(o, d);
  }
  if (d.payloadLength > 0) {
    o.payload = {
      offset: d.payloadOffset,
      length: d.payloadLength,
      captured: d.payloadCaptured,
      hash: hex32(d.payloadHash),
    };
  }
  if (d.truncatedAt !== 0) o.truncated = layerName(d.truncatedAt);
  if (d.malformed !== '') o.malformed = d.malformed;
  return o;
}

function linkJson(d: DecodedPacket): Record<string, unknown> {
  const l: Record<string, unknown> = { type: describeLinkType(d.linkType) };
  if (d.srcMac !== 0) l.srcMac = macToString(d.srcMac);
  if (d.dstMac !== 0) l.dstMac = macToString(d.dstMac);
  if (d.vlanCount > 0) l.vlan = Array.from(d.vlanIds.subarray(0, d.vlanCount));
  const dir = directionOf(d.packetType);
  if (dir !== '') l.direction = dir;
  if (d.ifIndex >= 0) l.ifIndex = d.ifIndex;
  if (d.etherType !== 0) l.etherType = hex16(d.etherType);
  return l;
}

function arpJson(d: DecodedPacket): Record<string, unknown> {
  const a: Record<string, unknown> = { op: d.arpOp === 1 ? 'request' : d.arpOp === 2 ? 'reply' : d.arpOp };
  if (d.arpSha !== 0 || d.arpSpa !== 0 || d.arpTpa !== 0) {
    a.senderMac = macToString(d.arpSha);
    a.senderIp = ipv4ToString(d.arpSpa);
    a.targetMac = macToString(d.arpTha);
    a.targetIp = ipv4ToString(d.arpTpa);
  }
  return a;
}

function ipJson(d: DecodedPacket): Record<string, unknown> {
  const v4 = d.net === Net.IPV4;
  const ip: Record<string, unknown> = {
    version: v4 ? 4 : 6,
    src: v4 ? ipv4ToString(d.src) : ipv6ToString(d.src6),
    dst: v4 ? ipv4ToString(d.dst) : ipv6ToString(d.dst6),
  };
  if (v4 || d.fragment) ip.id = d.ipId;
  ip.ttl = d.ttl;
  ip.tos = d.tos;
  if (!v4 && d.flowLabel !== 0) ip.flowLabel = d.flowLabel;
  ip.headerLength = d.ipHeaderLength;
  ip.totalLength = d.ipTotalLength;
  ip.proto = d.proto;
  ip.protoName = ipProtocolName(d.proto);
  if (v4) ip.df = d.df;
  if (d.fragment) {
    ip.fragment = true;
    ip.mf = d.mf;
    ip.fragOffset = d.fragOffset;
  }
  if (d.ipOptions) ip.options = true;
  return ip;
}

function addTransport(o: Record<string, unknown>, d: DecodedPacket): void {
  const v4 = d.net === Net.IPV4;
  if (d.proto === Proto.TCP && (d.sport !== 0 || d.tcpHeaderLength !== 0)) {
    const t: Record<string, unknown> = { sport: d.sport, dport: d.dport };
    if (d.tcpHeaderLength !== 0) {
      t.flags = tcpFlagsText(d.tcpFlags);
      t.seq = d.tcpSeq;
      t.ack = d.tcpAck;
      t.win = d.tcpWindow;
      t.headerLength = d.tcpHeaderLength;
      if (d.tcpMss !== 0) t.mss = d.tcpMss;
    }
    o.tcp = t;
  } else if (d.proto === Proto.UDP && (d.sport !== 0 || d.payloadOffset !== 0)) {
    o.udp = { sport: d.sport, dport: d.dport };
  } else if ((d.proto === Proto.ICMP && v4) || (d.proto === Proto.ICMPV6 && !v4)) {
    if (d.payloadOffset === 0 && d.icmpType === 0 && d.icmpCode === 0) return; // header not captured
    const i: Record<string, unknown> = { type: d.icmpType, code: d.icmpCode };
    const echo = v4 ? d.icmpType === 0 || d.icmpType === 8 : d.icmpType === 128 || d.icmpType === 129;
    if (echo) {
      i.id = d.icmpId;
      i.seq = d.icmpSeq;
    }
    if (d.icmpMtu !== 0) i.mtu = d.icmpMtu;
    if (d.icmpGateway !== 0) i.gateway = ipv4ToString(d.icmpGateway);
    if (!v4 && (d.icmpType === 135 || d.icmpType === 136 || d.icmpType === 137))
      i.target = ipv6ToString(d.ndTarget6);
    if (d.inner.present) i.inner = innerJson(d, v4);
    o[v4 ? 'icmp' : 'icmp6'] = i;
  }
}

function innerJson(d: DecodedPacket, v4: boolean): Record<string, unknown> {
  const e = d.inner;
  const j: Record<string, unknown> = {
    src: v4 ? ipv4ToString(e.src) : ipv6ToString(e.src6),
    dst: v4 ? ipv4ToString(e.dst) : ipv6ToString(e.dst6),
    proto: e.proto,
    protoName: ipProtocolName(e.proto),
  };
  if (v4 || e.ipId !== 0) j.id = e.ipId;
  j.ttl = e.ttl;
  j.totalLength = e.totalLength;
  if (e.proto === Proto.TCP || e.proto === Proto.UDP) {
    j.sport = e.sport;
    j.dport = e.dport;
    if (e.proto === Proto.TCP) j.seq = e.tcpSeq;
  } else if (e.proto === Proto.ICMP || e.proto === Proto.ICMPV6) {
    j.icmpType = e.icmpType;
    if (e.icmpId !== 0 || e.icmpSeq !== 0) {
      j.icmpId = e.icmpId;
      j.icmpSeq = e.icmpSeq;
    }
  }
  return j;
}
