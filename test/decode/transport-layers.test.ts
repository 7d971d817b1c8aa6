import { describe, expect, it } from 'vitest';
import { xxh32 } from '../../src/decode/xxhash32.js';
import { ipv4ToString, ipv6ToString } from '../../src/model/address.js';
import { Layer, Proto, TcpFlag } from '../../src/model/packet.js';
import * as fx from './fixtures/packets.js';
import { bytesOf, decodeFixture } from './helpers.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('TCP', () => {
  it('decodes a SYN with its MSS option', () => {
    const d = decodeFixture(fx.ETH_TCP_SYN);
    expect(d.proto).toBe(Proto.TCP);
    expect(d.sport).toBe(56716);
    expect(d.dport).toBe(8080);
    expect(d.tcpFlags).toBe(TcpFlag.SYN);
    expect(d.tcpSeq).toBe(367197385);
    expect(d.tcpAck).toBe(0);
    expect(d.tcpWindow).toBe(65280);
    expect(d.tcpHeaderLength).toBe(40);
    expect(d.tcpMss).toBe(1360);
    expect(d.payloadLength).toBe(0);
    expect(d.payloadHash).toBe(0);
  });

  it('keeps seq/ack above 2^31 unsigned', () => {
    const d = decodeFixture(fx.ETH_TCP_SYN_ACK);
    expect(d.tcpFlags).toBe(TcpFlag.SYN | TcpFlag.ACK);
    expect(d.tcpSeq).toBe(3735003227);
    expect(d.tcpAck).toBe(367197386);
    expect(d.tcpWindow).toBe(64704);
    expect(d.ttl).toBe(63);
  });

  it('hashes the segment payload', () => {
    const d = decodeFixture(fx.ETH_TCP_PSH_ACK_DATA);
    expect(d.tcpFlags).toBe(TcpFlag.PSH | TcpFlag.ACK);
    expect(d.tcpSeq).toBe(3735003228);
    expect(d.tcpMss).toBe(0);
    expect(d.tcpHeaderLength).toBe(32);
    expect(d.payloadOffset).toBe(14 + 20 + 32);
    expect(d.payloadLength).toBe(13);
    expect(d.payloadCaptured).toBe(13);
    const body = ascii('hello-from-b\n');
    expect(d.payloadHash).toBe(xxh32(body, 0, body.length));
  });

  it('decodes a RST', () => {
    const d = decodeFixture(fx.ETH_TCP_RST_ACK);
    expect(d.tcpFlags).toBe(TcpFlag.RST | TcpFlag.ACK);
    expect(d.sport).toBe(8081);
    expect(d.tcpAck).toBe(2095939897);
    expect(d.tcpWindow).toBe(0);
  });
});

describe('UDP', () => {
  it('decodes ports and payload', () => {
    const d = decodeFixture(fx.ETH_UDP);
    expect(d.proto).toBe(Proto.UDP);
    expect(d.sport).toBe(42597);
    expect(d.dport).toBe(9999);
    expect(d.payloadLength).toBe(6);
    const body = ascii('probe\n');
    expect(d.payloadHash).toBe(xxh32(body, 0, body.length));
  });

  it('flags a UDP length that overruns the IP payload', () => {
    const b = bytesOf(fx.ETH_UDP);
    b[14 + 20 + 4] = 0x01; // UDP length 0x010e = 270 > 14
    const d = decodeFixture({ linkType: 1, hex: Buffer.from(b).toString('hex') });
    expect(d.malformed).toMatch(/UDP length/);
    expect(d.payloadLength).toBe(6);
  });
});

describe('ICMP', () => {
  it('decodes echo id/seq and hashes the data after them', () => {
    const d = decodeFixture(fx.ETH_ICMP_ECHO_REQUEST);
    expect(d.icmpType).toBe(8);
    expect(d.icmpCode).toBe(0);
    expect(d.icmpId).toBe(10558);
    expect(d.icmpSeq).toBe(1);
    expect(d.payloadOffset).toBe(42);
    expect(d.payloadLength).toBe(56);
    expect(d.inner.present).toBe(false);
    const b = bytesOf(fx.ETH_ICMP_ECHO_REQUEST);
    expect(d.payloadHash).toBe(xxh32(b, 42, 98));
  });

  it('frag-needed: next-hop MTU and the quoted echo request (RFC 1191)', () => {
    const d = decodeFixture(fx.ETH_ICMP_FRAG_NEEDED);
    expect(ipv4ToString(d.src)).toBe('10.99.1.1');
    expect(d.icmpType).toBe(3);
    expect(d.icmpCode).toBe(4);
    expect(d.icmpMtu).toBe(1400);
    expect(d.payloadLength).toBe(576 - 28);
    expect(d.payloadCaptured).toBe(548);
    const i = d.inner;
    expect(i.present).toBe(true);
    expect(ipv4ToString(i.src)).toBe('10.99.1.2');
    expect(ipv4ToString(i.dst)).toBe('10.99.2.2');
    expect(i.proto).toBe(Proto.ICMP);
    expect(i.ipId).toBe(0);
    expect(i.ttl).toBe(64);
    expect(i.totalLength).toBe(1500);
    expect(i.icmpType).toBe(8);
    expect(i.icmpId).toBe(10559);
    expect(i.icmpSeq).toBe(1);
  });

  it.each([
    [fx.ETH_ICMP_NET_UNREACHABLE, 0, '10.99.77.7', 36586, 10560, 64],
    [fx.ETH_ICMP_HOST_UNREACHABLE, 1, '10.99.78.1', 47340, 10578, 64],
    [fx.ETH_ICMP_ADMIN_PROHIBITED, 13, '10.99.79.1', 11203, 10664, 64],
  ])('unreachable code %#: quoted header names the lost echo', (f, code, dst, ipId, echoId, ttl) => {
    const d = decodeFixture(f);
    expect(d.icmpType).toBe(3);
    expect(d.icmpCode).toBe(code);
    expect(d.icmpMtu).toBe(0);
    expect(d.inner.present).toBe(true);
    expect(ipv4ToString(d.inner.dst)).toBe(dst);
    expect(d.inner.ipId).toBe(ipId);
    expect(d.inner.icmpId).toBe(echoId);
    expect(d.inner.ttl).toBe(ttl);
  });

  it('time exceeded quotes the header as it arrived (TTL 1)', () => {
    const d = decodeFixture(fx.ETH_ICMP_TIME_EXCEEDED);
    expect(d.icmpType).toBe(11);
    expect(d.icmpCode).toBe(0);
    expect(d.inner.ttl).toBe(1);
    expect(d.inner.ipId).toBe(7393);
    expect(d.inner.icmpId).toBe(10707);
  });

  it('redirect: gateway and quoted header', () => {
    const d = decodeFixture(fx.ETH_ICMP_REDIRECT);
    expect(d.icmpType).toBe(5);
    expect(d.icmpCode).toBe(1);
    expect(ipv4ToString(d.icmpGateway)).toBe('10.99.1.3');
    expect(ipv4ToString(d.inner.dst)).toBe('10.99.5.5');
    expect(d.inner.ttl).toBe(63);
    expect(d.inner.ipId).toBe(47386);
  });

  it('port unreachable quotes the UDP ports', () => {
    const d = decodeFixture(fx.ETH_ICMP_PORT_UNREACHABLE);
    expect(d.icmpCode).toBe(3);
    expect(d.inner.proto).toBe(Proto.UDP);
    expect(d.inner.sport).toBe(42597);
    expect(d.inner.dport).toBe(9999);
    expect(d.inner.ipId).toBe(59450);
    expect(d.inner.ttl).toBe(63);
  });
});

describe('ICMPv6', () => {
  it('echo request id/seq', () => {
    const d = decodeFixture(fx.ETH_ICMPV6_ECHO_REQUEST);
    expect(d.icmpType).toBe(128);
    expect(d.icmpId).toBe(10800);
    expect(d.icmpSeq).toBe(1);
    expect(d.payloadLength).toBe(56);
  });

  it('neighbour solicitation and advertisement targets', () => {
    const ns = decodeFixture(fx.ETH_ICMPV6_NS);
    expect(ns.icmpType).toBe(135);
    expect(ipv6ToString(ns.ndTarget6)).toBe('fd99:1::1');
    expect(ipv6ToString(ns.dst6)).toBe('ff02::1:ff00:1');
    const na = decodeFixture(fx.ETH_ICMPV6_NA);
    expect(na.icmpType).toBe(136);
    expect(ipv6ToString(na.ndTarget6)).toBe('fd99:1::1');
    const dad = decodeFixture(fx.ETH_NS_DAD);
    expect(ipv6ToString(dad.src6)).toBe('::');
    expect(ipv6ToString(dad.ndTarget6)).toBe('fe80::8819:3aff:fed3:6afd');
  });

  it('packet too big: MTU and the quoted echo request', () => {
    const d = decodeFixture(fx.ETH_ICMPV6_PACKET_TOO_BIG);
    expect(d.icmpType).toBe(2);
    expect(d.icmpMtu).toBe(1400);
    expect(d.payloadLength).toBe(1240 - 8);
    const i = d.inner;
    expect(i.present).toBe(true);
    expect(ipv6ToString(i.src6)).toBe('fd99:1::2');
    expect(ipv6ToString(i.dst6)).toBe('fd99:2::2');
    expect(i.proto).toBe(Proto.ICMPV6);
    expect(i.ttl).toBe(64);
    expect(i.totalLength).toBe(40 + 1408);
    expect(i.icmpType).toBe(128);
    expect(i.icmpId).toBe(10801);
    expect(i.icmpSeq).toBe(1);
    expect(d.truncatedAt).toBe(Layer.NONE);
  });
});

describe('payload fingerprint', () => {
  it('covers the first PAYLOAD_HASH_LIMIT captured bytes only', async () => {
    const { PAYLOAD_HASH_LIMIT } = await import('../../src/decode/payload.js');
    const d = decodeFixture(fx.ETH_ICMP_FRAG_NEEDED);
    const b = bytesOf(fx.ETH_ICMP_FRAG_NEEDED);
    expect(d.payloadCaptured).toBe(548);
    expect(d.payloadHash).toBe(xxh32(b, 42, 42 + PAYLOAD_HASH_LIMIT));
    // So a capture with a smaller snaplen that still kept the prefix agrees.
    const snapped = decodeFixture({ linkType: 1, hex: Buffer.from(b.subarray(0, 42 + PAYLOAD_HASH_LIMIT)).toString('hex') });
    expect(snapped.payloadHash).toBe(d.payloadHash);
    // The forwarded copy of a fragment (TTL changed) hashes the same; different data does not.
    const first = decodeFixture(fx.ETH_IPV4_FRAGMENT_FIRST);
    const last = decodeFixture(fx.ETH_IPV4_FRAGMENT_LAST);
    expect(first.payloadHash).not.toBe(last.payloadHash);
  });
});
