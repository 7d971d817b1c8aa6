import { describe, expect, it } from 'vitest';
import type { CaptureRecord } from '../../src/model/capture.js';
import { newDecodedPacket } from '../../src/model/packet.js';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { clockOf, formatPacketLine } from '../../src/present/packet-line.js';
import { packetToJson } from '../../src/present/packet-json.js';
import * as fx from '../decode/fixtures/packets.js';
import type { PacketFixture } from '../decode/fixtures/packets.js';
import { bytesOf } from '../decode/helpers.js';

// 2026-11-26T10:16:00.146984000Z, frame 29 of eth.pcap.
function record(f: PacketFixture, data = bytesOf(f), origLen = data.length): CaptureRecord {
  return {
    file: 'eth.pcap',
    frame: 29,
    offset: 4242,
    tsSec: Date.UTC(2026, 10, 26, 10, 16, 0) / 1000,
    tsNsec: 146984000,
    caplen: data.length,
    origLen,
    linkType: f.linkType,
    interfaceId: 0,
    interfaceName: '',
    data,
  };
}

function line(f: PacketFixture, iface = 'eth0', cut?: number): string {
  const full = bytesOf(f);
  const data = cut === undefined ? full : full.subarray(0, cut);
  const rec = record(f, data, full.length);
  const d = newDecodedPacket();
  decodePacket(f.linkType, data, d);
  return formatPacketLine(rec, d, iface);
}

function json(f: PacketFixture, iface = 'eth0', cut?: number): Record<string, unknown> {
  const full = bytesOf(f);
  const data = cut === undefined ? full : full.subarray(0, cut);
  const d = newDecodedPacket();
  decodePacket(f.linkType, data, d);
  return packetToJson(record(f, data, full.length), d, iface);
}

/** Everything after frame, time and interface. */
const body = (s: string) => s.split(' ').slice(3).join(' ');

describe('clockOf', () => {
  it('prints UTC time of day with nanoseconds', () => {
    expect(clockOf(Date.UTC(2026, 10, 26, 9, 58, 42) / 1000, 116213)).toBe('09:58:42.000116213');
    expect(clockOf(0, 0)).toBe('00:00:00.000000000');
    expect(clockOf(86399, 999999999)).toBe('23:59:59.999999999');
  });
});

describe('formatPacketLine', () => {
  it('starts with frame, time and interface', () => {
    const s = line(fx.ETH_ICMP_REDIRECT, 'net1');
    expect(s.startsWith('29 10:16:00.146984000 net1 IP ')).toBe(true);
    expect(line(fx.ETH_ARP_REQUEST, '').split(' ')[2]).toBe('-');
  });

  it.each([
    [fx.ETH_ARP_REQUEST, 'ARP, Request who-has 10.99.1.1 tell 10.99.1.2, length 28'],
    [fx.ETH_ARP_REPLY, 'ARP, Reply 10.99.1.1 is-at 8a:19:3a:d3:6a:fd, length 28'],
    [
      fx.ETH_ICMP_ECHO_REQUEST,
      'IP (tos 0x0, ttl 64, id 7267, offset 0, flags [DF], proto ICMP (1), length 84) 10.99.1.2 > 10.99.2.2: ICMP echo request, id 10558, seq 1, length 64',
    ],
    [
      fx.ETH_ICMP_FRAG_NEEDED,
      'IP (tos 0xc0, ttl 64, id 22472, offset 0, flags [none], proto ICMP (1), length 576) 10.99.1.1 > 10.99.1.2: ICMP 10.99.2.2 unreachable - need to frag (mtu 1400), length 556 {IP (ttl 64, id 0, length 1500) 10.99.1.2 > 10.99.2.2: ICMP echo request, id 10559, seq 1}',
    ],
    [
      fx.ETH_ICMP_NET_UNREACHABLE,
      'IP (tos 0xc0, ttl 64, id 22473, offset 0, flags [none], proto ICMP (1), length 112) 10.99.1.1 > 10.99.1.2: ICMP net 10.99.77.7 unreachable, length 92 {IP (ttl 64, id 36586, length 84) 10.99.1.2 > 10.99.77.7: ICMP echo request, id 10560, seq 1}',
    ],
    [
      fx.ETH_ICMP_REDIRECT,
      'IP (tos 0xc0, ttl 64, id 22923, offset 0, flags [none], proto ICMP (1), length 112) 10.99.1.1 > 10.99.1.2: ICMP redirect 10.99.5.5 to host 10.99.1.3, length 92 {IP (ttl 63, id 47386, length 84) 10.99.1.2 > 10.99.5.5: ICMP echo request, id 10710, seq 1}',
    ],
    [
      fx.ETH_ICMP_PORT_UNREACHABLE,
      'IP (tos 0xc0, ttl 63, id 49895, offset 0, flags [none], proto ICMP (1), length 62) 10.99.2.2 > 10.99.1.2: ICMP 10.99.2.2 udp port 9999 unreachable, length 42 {IP (ttl 63, id 59450, length 34) 10.99.1.2.42597 > 10.99.2.2.9999: UDP}',
    ],
    [
      fx.ETH_TCP_SYN_ACK,
      'IP (tos 0x0, ttl 63, id 0, offset 0, flags [DF], proto TCP (6), length 60) 10.99.2.2.8080 > 10.99.1.2.56716: Flags [S.], seq 3735003227, ack 367197386, win 64704, options [mss 1360,sackOK,TS val 2799873110 ecr 538379665,nop,wscale 10], length 0',
    ],
    [
      fx.ETH_TCP_PSH_ACK_DATA,
      'IP (tos 0x0, ttl 63, id 62690, offset 0, flags [DF], proto TCP (6), length 65) 10.99.2.2.8080 > 10.99.1.2.56716: Flags [P.], seq 3735003228, ack 367197386, win 64, options [nop,nop,TS val 2799873116 ecr 538379665], length 13',
    ],
    [
      fx.ETH_UDP,
      'IP (tos 0x0, ttl 64, id 59450, offset 0, flags [DF], proto UDP (17), length 34) 10.99.1.2.42597 > 10.99.2.2.9999: UDP, length 6',
    ],
    [
      fx.ETH_IPV4_OPTIONS_RR,
      'IP (tos 0x0, ttl 64, id 7394, offset 0, flags [DF], proto ICMP (1), length 124, options) 10.99.1.2 > 10.99.2.2: ICMP echo request, id 10708, seq 1, length 64',
    ],
    [
      fx.ETH_IPV4_FRAGMENT_LAST,
      'IP (tos 0x0, ttl 64, id 7395, offset 1376, flags [none], proto ICMP (1), length 652) 10.99.1.2 > 10.99.2.2: ICMP fragment, length 632',
    ],
    [
      fx.ETH_ICMPV6_NS,
      'IP6 (hlim 255, proto ICMPv6 (58), payload length 32) fd99:1::2 > ff02::1:ff00:1: ICMP6, neighbor solicitation, who has fd99:1::1, length 32',
    ],
    [
      fx.ETH_ICMPV6_NA,
      'IP6 (hlim 255, proto ICMPv6 (58), payload length 32) fd99:1::1 > fd99:1::2: ICMP6, neighbor advertisement, tgt is fd99:1::1, length 32',
    ],
    [
      fx.ETH_ICMPV6_PACKET_TOO_BIG,
      'IP6 (flowlabel 0xfe2d6, hlim 64, proto ICMPv6 (58), payload length 1240) fd99:1::1 > fd99:1::2: ICMP6, packet too big, mtu 1400, length 1240 {IP6 (hlim 64, length 1448) fd99:1::2 > fd99:2::2: ICMP6 echo request, id 10801, seq 1}',
    ],
    [
      fx.ETH_IPV6_FRAGMENT_FIRST,
      'IP6 (flowlabel 0xf6ac6, hlim 64, proto ICMPv6 (58), payload length 1360) frag (0x52e24472:0|1352+) fd99:1::2 > fd99:2::2: ICMP6, echo request, id 10802, seq 1, length 1352',
    ],
  ])('%#: tcpdump-like body', (f, want) => {
    expect(body(line(f))).toBe(want);
  });

  it('shows cooked-capture direction and VLAN tags', () => {
    expect(body(line(fx.SLL_ARP_REQUEST_IN, 'any'))).toMatch(/^B ARP, Request who-has 10\.99\.1\.1 tell 10\.99\.1\.2/);
    expect(body(line(fx.SLL2_ICMP_ECHO_IN, 'dR0'))).toMatch(/^In IP \(tos 0x0, ttl 64, id 8487,/);
    expect(body(line(fx.SLL2_ICMP_ECHO_OUT, 'dR1'))).toMatch(/^Out IP \(tos 0x0, ttl 63, id 8487,/);
    expect(body(line(fx.VLAN_QINQ))).toMatch(/^vlan 200\.300 IP \(/);
    expect(body(line(fx.ETH_ICMP_ECHO_REQUEST))).toMatch(/^IP /);
  });

  it('marks a cut header [truncated] and keeps what was read', () => {
    expect(body(line(fx.ETH_TCP_SYN, 'eth0', 14 + 20 + 10))).toBe(
      'IP (tos 0x0, ttl 64, id 48985, offset 0, flags [DF], proto TCP (6), length 60) 10.99.1.2.56716 > 10.99.2.2.8080: TCP [truncated]',
    );
    expect(body(line(fx.ETH_ICMP_ECHO_REQUEST, 'eth0', 20))).toBe('IP, length 84 [truncated]');
    expect(body(line(fx.ETH_ICMP_ECHO_REQUEST, 'eth0', 10))).toBe('EN10MB (1), length 98 [truncated]');
    // A snaplen cut in the payload is normal capture practice: no mark, the claimed length stays.
    expect(body(line(fx.ETH_ICMP_ECHO_REQUEST, 'eth0', 60))).toMatch(/ICMP echo request, id 10558, seq 1, length 64$/);
  });

  it('marks malformed headers', () => {
    const b = bytesOf(fx.ETH_ICMP_ECHO_REQUEST);
    b[14] = 0x43; // IHL 3
    const d = newDecodedPacket();
    decodePacket(1, b, d);
    expect(formatPacketLine(record(fx.ETH_ICMP_ECHO_REQUEST, b), d, 'eth0')).toMatch(
      /IP \(tos 0x0, ttl 64, id 7267, .*\[malformed: IPv4 header length 12 < 20\]$/,
    );
  });
});

describe('packetToJson', () => {
  it('gives record facts and the decoded layers', () => {
    const j = json(fx.ETH_TCP_SYN);
    expect(j).toMatchObject({
      frame: 29,
      file: 'eth.pcap',
      offset: 4242,
      interface: 'eth0',
      caplen: 74,
      len: 74,
      link: { type: 'EN10MB (1)', srcMac: '5a:c2:7e:3b:09:5b', dstMac: '8a:19:3a:d3:6a:fd', etherType: '0x0800' },
      ip: { version: 4, src: '10.99.1.2', dst: '10.99.2.2', id: 48985, ttl: 64, tos: 0, df: true, proto: 6, protoName: 'TCP' },
      tcp: { sport: 56716, dport: 8080, flags: 'S', seq: 367197385, ack: 0, win: 65280, headerLength: 40, mss: 1360 },
    });
    expect(j.time).toBe('2026-11-26T10:16:00.146984000Z');
    expect(j).not.toHaveProperty('payload');
    expect(j).not.toHaveProperty('truncated');
    expect(j).not.toHaveProperty('udp');
    expect(Object.values(j).includes(undefined)).toBe(false);
  });

  it('includes ICMP error details with the quoted header', () => {
    const j = json(fx.ETH_ICMP_FRAG_NEEDED);
    expect(j.icmp).toEqual({
      type: 3,
      code: 4,
      mtu: 1400,
      inner: {
        src: '10.99.1.2',
        dst: '10.99.2.2',
        proto: 1,
        protoName: 'ICMP',
        id: 0,
        ttl: 64,
        totalLength: 1500,
        icmpType: 8,
        icmpId: 10559,
        icmpSeq: 1,
      },
    });
    expect(j.payload).toMatchObject({ offset: 42, length: 548, captured: 548 });
    expect((j.payload as { hash: string }).hash).toMatch(/^0x[0-9a-f]{8}$/);
  });

  it('covers ARP, cooked direction, IPv6 fragments, NA targets and truncation', () => {
    expect(json(fx.ETH_ARP_REPLY).arp).toEqual({
      op: 'reply',
      senderMac: '8a:19:3a:d3:6a:fd',
      senderIp: '10.99.1.1',
      targetMac: '5a:c2:7e:3b:09:5b',
      targetIp: '10.99.1.2',
    });
    expect(json(fx.SLL2_ICMP_ECHO_OUT).link).toMatchObject({ type: 'LINUX_SLL2 (276)', direction: 'Out', ifIndex: 3 });
    expect(json(fx.VLAN_QINQ).link).toMatchObject({ vlan: [200, 300] });
    const frag = json(fx.ETH_IPV6_FRAGMENT_LAST);
    expect(frag.ip).toMatchObject({ version: 6, id: 0x52e24472, fragment: true, mf: false, fragOffset: 1352, flowLabel: 0xf6ac6 });
    expect(frag).not.toHaveProperty('icmp6');
    expect(json(fx.ETH_ICMPV6_NA).icmp6).toEqual({ type: 136, code: 0, target: 'fd99:1::1' });
    expect(json(fx.ETH_TCP_SYN, '', 40)).toMatchObject({ truncated: 'transport', tcp: { sport: 56716, dport: 8080 } });
    expect(json(fx.ETH_TCP_SYN, '')).not.toHaveProperty('interface');
  });
});
