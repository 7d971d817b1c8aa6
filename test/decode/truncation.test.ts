import { describe, expect, it } from 'vitest';
import { decodePacket } from '../../src/decode/decode-packet.js';
import { ipv4ToString } from '../../src/model/address.js';
import { LinkType } from '../../src/model/capture.js';
import type { LayerId } from '../../src/model/packet.js';
import { Layer, newDecodedPacket } from '../../src/model/packet.js';
import type { PacketFixture } from './fixtures/packets.js';
import * as fx from './fixtures/packets.js';
import { bytesOf } from './helpers.js';

const all = Object.entries(fx).filter((e): e is [string, PacketFixture] => typeof e[1] === 'object');

describe('a capture cut short', () => {
  it.each(all)('%s: every shorter length is marked truncated, never thrown or called malformed', (_name, f) => {
    const full = bytesOf(f);
    const d = newDecodedPacket();
    decodePacket(f.linkType, full, d);
    expect(d.truncatedAt).toBe(Layer.NONE);
    expect(d.malformed).toBe('');
    for (let n = 0; n < full.length; n++) {
      decodePacket(f.linkType, full.subarray(0, n), d);
      expect({ n, truncatedAt: d.truncatedAt, malformed: d.malformed }).toEqual({
        n,
        truncatedAt: expect.any(Number) as number,
        malformed: '',
      });
      expect(d.truncatedAt).not.toBe(Layer.NONE);
    }
  });

  function layerAt(f: PacketFixture, n: number): LayerId {
    const d = newDecodedPacket();
    decodePacket(f.linkType, bytesOf(f).subarray(0, n), d);
    return d.truncatedAt;
  }

  it('names the layer the cut falls in', () => {
    // Ethernet 0–13, IPv4 14–33, ICMP header 34–41, echo data 42–97.
    expect(layerAt(fx.ETH_ICMP_ECHO_REQUEST, 13)).toBe(Layer.LINK);
    expect(layerAt(fx.ETH_ICMP_ECHO_REQUEST, 14)).toBe(Layer.NETWORK);
    expect(layerAt(fx.ETH_ICMP_ECHO_REQUEST, 33)).toBe(Layer.NETWORK);
    expect(layerAt(fx.ETH_ICMP_ECHO_REQUEST, 34)).toBe(Layer.TRANSPORT);
    expect(layerAt(fx.ETH_ICMP_ECHO_REQUEST, 41)).toBe(Layer.TRANSPORT);
    expect(layerAt(fx.ETH_ICMP_ECHO_REQUEST, 42)).toBe(Layer.PAYLOAD);
    // A tag cut in half is still the link layer.
    expect(layerAt(fx.VLAN_QINQ, 20)).toBe(Layer.LINK);
    // IPv4 options cut off: network.
    expect(layerAt(fx.ETH_IPV4_OPTIONS_RR, 14 + 40)).toBe(Layer.NETWORK);
    // TCP options cut off: transport.
    expect(layerAt(fx.ETH_TCP_SYN, 14 + 20 + 30)).toBe(Layer.TRANSPORT);
    // Inside the IPv6 hop-by-hop / fragment header: network.
    expect(layerAt(fx.ETH_MLD_HOP_BY_HOP, 14 + 40 + 4)).toBe(Layer.NETWORK);
    expect(layerAt(fx.ETH_IPV6_FRAGMENT_FIRST, 14 + 40 + 6)).toBe(Layer.NETWORK);
    // NS without its whole target: transport.
    expect(layerAt(fx.ETH_ICMPV6_NS, 14 + 40 + 20)).toBe(Layer.TRANSPORT);
    // SLL2 header cut: link.
    expect(layerAt(fx.SLL2_ICMP_ECHO_IN, 19)).toBe(Layer.LINK);
  });

  it('TCP options cut off: the payload length is still known (the copy on the other interface is compared by it)', () => {
    // 13 bytes of data behind a 32-byte TCP header (timestamps); tcpdump -s 60 keeps 26 bytes of that header.
    const f = fx.ETH_TCP_PSH_ACK_DATA;
    const full = newDecodedPacket();
    decodePacket(f.linkType, bytesOf(f), full);
    expect(full.payloadLength).toBe(13);
    const cut = newDecodedPacket();
    decodePacket(f.linkType, bytesOf(f).subarray(0, 60), cut);
    expect(cut.truncatedAt).toBe(Layer.TRANSPORT);
    expect([cut.payloadLength, cut.payloadCaptured, cut.tcpSeq, cut.tcpAck, cut.tcpFlags]).toEqual([full.payloadLength, 0, full.tcpSeq, full.tcpAck, full.tcpFlags]);
  });

  it('the TCP header itself cut: what was captured of it is read (tcpdump -s 54 of -i any keeps 18 bytes)', () => {
    const f = fx.ETH_TCP_PSH_ACK_DATA;
    const full = newDecodedPacket();
    decodePacket(f.linkType, bytesOf(f), full);
    const at = (n: number) => {
      const d = newDecodedPacket();
      decodePacket(f.linkType, bytesOf(f).subarray(0, 14 + 20 + n), d);
      expect(d.truncatedAt).toBe(Layer.TRANSPORT);
      return [d.sport, d.dport, d.tcpSeq, d.tcpAck, d.tcpFlags, d.payloadLength, d.tcpWindow];
    };
    const { sport, dport, tcpSeq, tcpAck, tcpFlags, payloadLength, tcpWindow } = full;
    expect(at(18)).toEqual([sport, dport, tcpSeq, tcpAck, tcpFlags, payloadLength, tcpWindow]);
    expect(at(14)).toEqual([sport, dport, tcpSeq, tcpAck, tcpFlags, payloadLength, 0]);
    expect(at(12)).toEqual([sport, dport, tcpSeq, tcpAck, 0, 0, 0]);
    expect(at(8)).toEqual([sport, dport, tcpSeq, 0, 0, 0, 0]);
  });

  it('a 96-byte snaplen keeps the frag-needed MTU and the quoted header', () => {
    const d = newDecodedPacket();
    decodePacket(LinkType.EN10MB, bytesOf(fx.ETH_ICMP_FRAG_NEEDED).subarray(0, 96), d);
    expect(d.truncatedAt).toBe(Layer.PAYLOAD);
    expect(d.icmpMtu).toBe(1400);
    expect(d.payloadLength).toBe(548);
    expect(d.payloadCaptured).toBe(96 - 42);
    expect(d.inner.present).toBe(true);
    expect(ipv4ToString(d.inner.dst)).toBe('10.99.2.2');
    expect(d.inner.icmpId).toBe(10559);
  });

  it('a quote the snaplen cut gives what it holds: the echo id from 6 of its 8 transport bytes, the source port from 2', () => {
    // Ethernet 14 + IP 20 + ICMP 8 + quoted IP 20: the quoted transport header starts at byte 62.
    const d = newDecodedPacket();
    const echo = bytesOf(fx.ETH_ICMP_NET_UNREACHABLE);
    const quote = (n: number) => {
      decodePacket(LinkType.EN10MB, echo.subarray(0, n), d);
      return { present: d.inner.present, l4: d.inner.l4Quoted, id: d.inner.icmpId, seq: d.inner.icmpSeq, ipId: d.inner.ipId };
    };
    expect(quote(echo.length)).toEqual({ present: true, l4: 8, id: 10560, seq: 1, ipId: 0x8eea });
    expect(quote(70)).toEqual({ present: true, l4: 8, id: 10560, seq: 1, ipId: 0x8eea });
    expect(quote(68)).toEqual({ present: true, l4: 6, id: 10560, seq: 0, ipId: 0x8eea }); // tcpdump's old default snaplen
    expect(quote(64)).toEqual({ present: true, l4: 2, id: 0, seq: 0, ipId: 0x8eea });
    expect(quote(62)).toEqual({ present: true, l4: 0, id: 0, seq: 0, ipId: 0x8eea });
    expect(quote(61).present).toBe(false);
    // Cut inside the quoted IP header, past its source address (`tcpdump -i any -s 64`: 16 of its 20 bytes).
    decodePacket(LinkType.EN10MB, echo.subarray(0, 58), d);
    expect([d.inner.present, d.inner.srcOnly, ipv4ToString(d.inner.src), d.inner.proto, d.inner.ipId]).toEqual([false, true, '10.99.1.2', 1, 0x8eea]);
    decodePacket(LinkType.EN10MB, echo.subarray(0, 57), d);
    expect([d.inner.present, d.inner.srcOnly]).toEqual([false, false]);
    const udp = bytesOf(fx.ETH_ICMP_PORT_UNREACHABLE);
    decodePacket(LinkType.EN10MB, udp.subarray(0, 64), d);
    expect([d.inner.l4Quoted, d.inner.sport, d.inner.dport]).toEqual([2, 42597, 0]);
    decodePacket(LinkType.EN10MB, udp.subarray(0, 66), d);
    expect([d.inner.l4Quoted, d.inner.sport, d.inner.dport]).toEqual([4, 42597, 9999]);
  });

  it('a quote too short for the inner ports leaves them 0 without truncating the packet', () => {
    // Keep the outer datagram whole but claim only 20 quoted bytes: shrink IP total length to 20+8+20.
    const b = bytesOf(fx.ETH_ICMP_PORT_UNREACHABLE).slice(0, 14 + 48);
    b[14 + 2] = 0;
    b[14 + 3] = 48;
    const d = newDecodedPacket();
    decodePacket(LinkType.EN10MB, b, d);
    expect(d.truncatedAt).toBe(Layer.NONE);
    expect(d.inner.present).toBe(true);
    expect(d.inner.ipId).toBe(59450);
    expect(d.inner.sport).toBe(0);
  });
});

describe('the reused struct', () => {
  it('carries nothing over from the previous packet', () => {
    const d = newDecodedPacket();
    decodePacket(LinkType.EN10MB, bytesOf(fx.ETH_ICMP_FRAG_NEEDED), d);
    decodePacket(LinkType.LINUX_SLL2, bytesOf(fx.SLL2_ICMPV6_NA_IN), d);
    decodePacket(LinkType.EN10MB, bytesOf(fx.VLAN_QINQ), d);
    decodePacket(LinkType.EN10MB, bytesOf(fx.ETH_TCP_SYN), d);
    const fresh = newDecodedPacket();
    decodePacket(LinkType.EN10MB, bytesOf(fx.ETH_TCP_SYN), fresh);
    expect(d).toEqual(fresh);
    decodePacket(LinkType.EN10MB, bytesOf(fx.ETH_ARP_REPLY), d);
    decodePacket(LinkType.EN10MB, bytesOf(fx.ETH_ARP_REPLY), fresh);
    expect(d).toEqual(fresh);
  });
});

describe('garbage in', () => {
  // Deterministic xorshift so a failure reproduces.
  let seed = 0x9e3779b9;
  const rnd = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };

  it('never throws on mutated real frames or random bytes, for every link type', () => {
    const d = newDecodedPacket();
    const links = Object.values(LinkType);
    for (const [, f] of all) {
      const base = bytesOf(f);
      for (let k = 0; k < 300; k++) {
        const b = base.slice(0, 1 + Math.floor(rnd() * base.length));
        const flips = 1 + Math.floor(rnd() * 6);
        for (let j = 0; j < flips; j++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
        expect(() => decodePacket(f.linkType, b, d)).not.toThrow();
        expect(d.payloadCaptured).toBeLessThanOrEqual(b.length);
      }
    }
    for (let k = 0; k < 2000; k++) {
      const b = new Uint8Array(Math.floor(rnd() * 128));
      for (let j = 0; j < b.length; j++) b[j] = Math.floor(rnd() * 256);
      expect(() => decodePacket(links[k % links.length]!, b, d)).not.toThrow();
    }
  });
});
