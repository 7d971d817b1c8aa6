import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { ipv4ToString, ipv6ToString, macToString } from '../../src/model/address.js';
import { LinkType } from '../../src/model/capture.js';
import { Layer, Net, newDecodedPacket, PacketType, Proto } from '../../src/model/packet.js';
import * as fx from './fixtures/packets.js';
import { bytesOf, decodeFixture } from './helpers.js';

describe('Ethernet (LINKTYPE 1)', () => {
  it('reads MACs and EtherType of an untagged frame', () => {
    const d = decodeFixture(fx.ETH_ICMP_ECHO_REQUEST);
    expect(d.linkType).toBe(LinkType.EN10MB);
    expect(macToString(d.dstMac)).toBe('8a:19:3a:d3:6a:fd');
    expect(macToString(d.srcMac)).toBe('5a:c2:7e:3b:09:5b');
    expect(d.etherType).toBe(0x0800);
    expect(d.vlanCount).toBe(0);
    expect(d.netOffset).toBe(14);
    expect(d.packetType).toBe(PacketType.UNKNOWN);
    expect(d.ifIndex).toBe(-1);
  });

  it('skips one 802.1Q tag and keeps its id', () => {
    const d = decodeFixture(fx.VLAN_8021Q);
    expect(d.vlanCount).toBe(1);
    expect(d.vlanIds[0]).toBe(100);
    expect(d.etherType).toBe(0x0800);
    expect(d.netOffset).toBe(18);
    expect(d.net).toBe(Net.IPV4);
    expect(ipv4ToString(d.src)).toBe('10.99.1.2');
    expect(d.icmpId).toBe(10558);
    expect(d.truncatedAt).toBe(Layer.NONE);
  });

  it('skips stacked 802.1ad + 802.1Q tags, outermost first', () => {
    const d = decodeFixture(fx.VLAN_QINQ);
    expect(d.vlanCount).toBe(2);
    expect([d.vlanIds[0], d.vlanIds[1]]).toEqual([200, 300]);
    expect(d.netOffset).toBe(22);
    expect(d.ipId).toBe(7267);
    expect(d.icmpSeq).toBe(1);
  });

  it('marks an 802.3 length field / unknown EtherType as another network layer', () => {
    const b = bytesOf(fx.ETH_ICMP_ECHO_REQUEST);
    b[12] = 0x88; // LLDP
    b[13] = 0xcc;
    const d = newDecodedPacket();
    decodePacket(LinkType.EN10MB, b, d);
    expect(d.net).toBe(Net.OTHER);
    expect(d.etherType).toBe(0x88cc);
    expect(d.malformed).toBe('');
  });
});

describe('Linux cooked v1 (LINKTYPE 113)', () => {
  it('reads the packet type and the sender MAC', () => {
    const arp = decodeFixture(fx.SLL_ARP_REQUEST_IN);
    expect(arp.packetType).toBe(PacketType.BROADCAST);
    expect(macToString(arp.srcMac)).toBe('5a:c2:7e:3b:09:5b');
    expect(arp.net).toBe(Net.ARP);
    expect(arp.netOffset).toBe(16);

    const inbound = decodeFixture(fx.SLL_ICMP_ECHO_IN);
    expect(inbound.packetType).toBe(PacketType.HOST);
    expect(inbound.ttl).toBe(64);
    const outbound = decodeFixture(fx.SLL_ICMP_ECHO_OUT);
    expect(outbound.packetType).toBe(PacketType.OUTGOING);
    expect(macToString(outbound.srcMac)).toBe('16:40:fc:7a:9c:ae');
    // The router forwarded it: same IP id, TTL one less.
    expect(outbound.ipId).toBe(inbound.ipId);
    expect(outbound.ttl).toBe(63);
    expect(outbound.payloadHash).toBe(inbound.payloadHash);
  });
});

describe('Linux cooked v2 (LINKTYPE 276)', () => {
  it('reads interface index and direction of an -i any capture', () => {
    const a = decodeFixture(fx.SLL2_ICMP_ECHO_IN);
    expect(a.ifIndex).toBe(2);
    expect(a.packetType).toBe(PacketType.HOST);
    expect(a.netOffset).toBe(20);
    expect(ipv4ToString(a.dst)).toBe('10.99.2.2');
    expect(a.icmpId).toBe(10879);
    const b = decodeFixture(fx.SLL2_ICMP_ECHO_OUT);
    expect(b.ifIndex).toBe(3);
    expect(b.packetType).toBe(PacketType.OUTGOING);
    expect(b.ttl).toBe(63);
    const na = decodeFixture(fx.SLL2_ICMPV6_NA_IN);
    expect(na.net).toBe(Net.IPV6);
    expect(na.icmpType).toBe(136);
    expect(ipv6ToString(na.ndTarget6)).toBe('fd99:1::2');
  });
});

describe('raw IP link types', () => {
  it('RAW (101) picks v4 or v6 by the version nibble', () => {
    const v4 = decodeFixture(fx.RAW_IPV4);
    expect(v4.net).toBe(Net.IPV4);
    expect(v4.netOffset).toBe(0);
    expect(ipv4ToString(v4.src)).toBe('10.99.201.1');
    expect(v4.icmpId).toBe(10965);
    const v6 = decodeFixture(fx.RAW_IPV6);
    expect(v6.net).toBe(Net.IPV6);
    expect(ipv6ToString(v6.dst6)).toBe('fd99:201::2');
    expect(v6.flowLabel).toBe(0xb7535);
    expect(v6.icmpId).toBe(11022);
  });

  it('IPV4 (228) and IPV6 (229) carry the same bytes as RAW', () => {
    const d = newDecodedPacket();
    decodePacket(LinkType.IPV4, bytesOf(fx.RAW_IPV4), d);
    expect(d.icmpSeq).toBe(1);
    expect(d.proto).toBe(Proto.ICMP);
    decodePacket(LinkType.IPV6, bytesOf(fx.RAW_IPV6), d);
    expect(d.proto).toBe(Proto.ICMPV6);
    expect(d.icmpId).toBe(11022);
    // An IPv6 packet in an IPV4 link is malformed, not guessed.
    decodePacket(LinkType.IPV4, bytesOf(fx.RAW_IPV6), d);
    expect(d.malformed).not.toBe('');
    expect(d.icmpId).toBe(0);
  });

  it('rejects a RAW packet that is neither v4 nor v6', () => {
    const b = bytesOf(fx.RAW_IPV4);
    b[0] = 0x55;
    const d = newDecodedPacket();
    decodePacket(LinkType.RAW, b, d);
    expect(d.malformed).toMatch(/version 5/);
    expect(d.net).toBe(Net.NONE);
  });
});

describe('NULL (0) / LOOP (108)', () => {
  // BSD loopback captures: a 4-byte address family before the IP header of the real packets above.
  function withFamily(af: number, littleEndian: boolean, ip: Uint8Array): Uint8Array {
    const b = new Uint8Array(4 + ip.length);
    new DataView(b.buffer).setUint32(0, af, littleEndian);
    b.set(ip, 4);
    return b;
  }

  it.each([
    [LinkType.NULL, 2, true, Net.IPV4],
    [LinkType.NULL, 2, false, Net.IPV4],
    [LinkType.LOOP, 2, false, Net.IPV4],
    [LinkType.NULL, 10, true, Net.IPV6],
    [LinkType.NULL, 24, true, Net.IPV6],
    [LinkType.NULL, 28, false, Net.IPV6],
    [LinkType.NULL, 30, true, Net.IPV6],
    [LinkType.LOOP, 30, false, Net.IPV6],
  ])('link %i AF %i (little-endian %s) → net %i', (link, af, le, net) => {
    const ip = bytesOf(net === Net.IPV4 ? fx.RAW_IPV4 : fx.RAW_IPV6);
    const d = newDecodedPacket();
    decodePacket(link, withFamily(af, le, ip), d);
    expect(d.net).toBe(net);
    expect(d.netOffset).toBe(4);
    expect(d.icmpSeq).toBe(1);
    expect(d.truncatedAt).toBe(Layer.NONE);
  });

  it('leaves other families undecoded', () => {
    const d = newDecodedPacket();
    decodePacket(LinkType.NULL, withFamily(23, true, bytesOf(fx.RAW_IPV4)), d);
    expect(d.net).toBe(Net.OTHER);
  });
});

it('marks an unknown link type malformed without throwing', () => {
  const d = newDecodedPacket();
  decodePacket(147, bytesOf(fx.RAW_IPV4), d);
  expect(d.malformed).toMatch(/147/);
  expect(d.net).toBe(Net.NONE);
});

describe('cooked headers that name no EtherType', () => {
  it('SLL with ARPHRD_NETLINK (824) is not read as IP', () => {
    const b = bytesOf(fx.SLL_ICMP_ECHO_IN);
    b[2] = 0x03; // hatype 0x0338 = 824
    b[3] = 0x38;
    const d = newDecodedPacket();
    decodePacket(LinkType.LINUX_SLL, b, d);
    expect(d.net).toBe(Net.OTHER);
    expect(d.srcMac).toBe(0);
  });

  it('SLL2 followed by an 802.1Q tag (libpcap re-inserts stripped tags)', () => {
    const sll2 = bytesOf(fx.SLL2_ICMP_ECHO_IN);
    const b = new Uint8Array(sll2.length + 4);
    b.set(sll2.subarray(0, 20));
    b.set([0x00, 0x2a, 0x08, 0x00], 20); // VLAN 42, then IPv4
    b.set(sll2.subarray(20), 24);
    b[0] = 0x81;
    b[1] = 0x00;
    const d = newDecodedPacket();
    decodePacket(LinkType.LINUX_SLL2, b, d);
    expect(d.vlanCount).toBe(1);
    expect(d.vlanIds[0]).toBe(42);
    expect(d.netOffset).toBe(24);
    expect(d.icmpId).toBe(10879);
  });
});
