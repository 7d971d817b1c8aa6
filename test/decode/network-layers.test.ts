import { describe, expect, it } from 'vitest';
import { ipv4ToString, ipv6ToString, macToString } from '../../src/model/address.js';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { LinkType } from '../../src/model/capture.js';
import { Layer, Net, newDecodedPacket, Proto } from '../../src/model/packet.js';
import * as fx from './fixtures/packets.js';
import { bytesOf, decodeFixture } from './helpers.js';

describe('ARP', () => {
  it('decodes a request and a reply', () => {
    const q = decodeFixture(fx.ETH_ARP_REQUEST);
    expect(q.net).toBe(Net.ARP);
    expect(q.arpOp).toBe(1);
    expect(macToString(q.arpSha)).toBe('5a:c2:7e:3b:09:5b');
    expect(ipv4ToString(q.arpSpa)).toBe('10.99.1.2');
    expect(q.arpTha).toBe(0);
    expect(ipv4ToString(q.arpTpa)).toBe('10.99.1.1');
    const r = decodeFixture(fx.ETH_ARP_REPLY);
    expect(r.arpOp).toBe(2);
    expect(macToString(r.arpSha)).toBe('8a:19:3a:d3:6a:fd');
    expect(ipv4ToString(r.arpSpa)).toBe('10.99.1.1');
    expect(ipv4ToString(r.arpTpa)).toBe('10.99.1.2');
    expect(r.truncatedAt).toBe(Layer.NONE);
  });
});

describe('IPv4', () => {
  it('decodes the fixed header', () => {
    const d = decodeFixture(fx.ETH_ICMP_ECHO_REQUEST);
    expect(d.net).toBe(Net.IPV4);
    expect(ipv4ToString(d.src)).toBe('10.99.1.2');
    expect(ipv4ToString(d.dst)).toBe('10.99.2.2');
    expect(d.ipId).toBe(7267);
    expect(d.ttl).toBe(64);
    expect(d.tos).toBe(0);
    expect(d.df).toBe(true);
    expect(d.mf).toBe(false);
    expect(d.fragment).toBe(false);
    expect(d.ipHeaderLength).toBe(20);
    expect(d.ipTotalLength).toBe(84);
    expect(d.ipOptions).toBe(false);
    expect(d.proto).toBe(Proto.ICMP);
    expect(d.l4Offset).toBe(34);
  });

  it('keeps addresses above 2^31 unsigned', () => {
    const b = bytesOf(fx.ETH_ICMP_ECHO_REQUEST);
    b.set([203, 0, 113, 5], 14 + 12);
    b.set([255, 255, 255, 255], 14 + 16);
    const d = newDecodedPacket();
    decodePacket(LinkType.EN10MB, b, d);
    expect(d.src).toBe(0xcb007105);
    expect(d.dst).toBe(0xffffffff);
    expect(ipv4ToString(d.src)).toBe('203.0.113.5');
  });

  it('skips options (record route) to the transport header', () => {
    const d = decodeFixture(fx.ETH_IPV4_OPTIONS_RR);
    expect(d.ipOptions).toBe(true);
    expect(d.ipHeaderLength).toBe(60);
    expect(d.ipTotalLength).toBe(124);
    expect(d.l4Offset).toBe(14 + 60);
    expect(d.icmpType).toBe(8);
    expect(d.icmpId).toBe(10708);
    expect(d.icmpSeq).toBe(1);
    expect(d.payloadLength).toBe(56);
  });

  it('marks fragments; only the first carries the ICMP header', () => {
    const first = decodeFixture(fx.ETH_IPV4_FRAGMENT_FIRST);
    expect(first.fragment).toBe(true);
    expect(first.mf).toBe(true);
    expect(first.fragOffset).toBe(0);
    expect(first.ipId).toBe(7395);
    expect(first.icmpType).toBe(8);
    expect(first.icmpId).toBe(10709);
    expect(first.payloadLength).toBe(1396 - 20 - 8);
    const last = decodeFixture(fx.ETH_IPV4_FRAGMENT_LAST);
    expect(last.fragment).toBe(true);
    expect(last.mf).toBe(false);
    expect(last.fragOffset).toBe(1376);
    expect(last.ipId).toBe(7395);
    expect(last.icmpType).toBe(0);
    expect(last.icmpId).toBe(0);
    // The fragment's data is its payload, hashed so the fragment can be followed across the gateway.
    expect(last.payloadOffset).toBe(34);
    expect(last.payloadLength).toBe(652 - 20);
    expect(last.payloadCaptured).toBe(632);
    expect(last.payloadHash).not.toBe(0);
    expect(last.truncatedAt).toBe(Layer.NONE);
  });
});

describe('IPv6', () => {
  it('decodes the fixed header', () => {
    const d = decodeFixture(fx.ETH_ICMPV6_ECHO_REQUEST);
    expect(d.net).toBe(Net.IPV6);
    expect(ipv6ToString(d.src6)).toBe('fd99:1::2');
    expect(ipv6ToString(d.dst6)).toBe('fd99:2::2');
    expect(d.flowLabel).toBe(0xf6ac6);
    expect(d.ttl).toBe(64);
    expect(d.ipTotalLength).toBe(40 + 64);
    expect(d.ipHeaderLength).toBe(40);
    expect(d.proto).toBe(Proto.ICMPV6);
    expect(d.src).toBe(0);
  });

  it('walks a hop-by-hop header (MLD report with router alert)', () => {
    const d = decodeFixture(fx.ETH_MLD_HOP_BY_HOP);
    expect(d.ipHeaderLength).toBe(48);
    expect(d.proto).toBe(Proto.ICMPV6);
    expect(d.icmpType).toBe(143);
    expect(d.ttl).toBe(1);
    expect(ipv6ToString(d.dst6)).toBe('ff02::16');
    expect(d.payloadLength).toBe(56 - 8 - 8);
    expect(d.truncatedAt).toBe(Layer.NONE);
  });

  it('reads the fragment header; only offset 0 carries ICMPv6', () => {
    const first = decodeFixture(fx.ETH_IPV6_FRAGMENT_FIRST);
    expect(first.fragment).toBe(true);
    expect(first.mf).toBe(true);
    expect(first.fragOffset).toBe(0);
    expect(first.ipId).toBe(0x52e24472);
    expect(first.ipHeaderLength).toBe(48);
    expect(first.proto).toBe(Proto.ICMPV6);
    expect(first.icmpType).toBe(128);
    expect(first.icmpId).toBe(10802);
    const last = decodeFixture(fx.ETH_IPV6_FRAGMENT_LAST);
    expect(last.fragment).toBe(true);
    expect(last.mf).toBe(false);
    expect(last.fragOffset).toBe(1352);
    expect(last.ipId).toBe(0x52e24472);
    expect(last.icmpType).toBe(0);
    expect(last.payloadLength).toBe(656);
  });
});
