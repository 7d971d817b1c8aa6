/**
 * What a hostile or pathological capture can make the correlator keep is bounded: an ARP scan (a request for
 * every address of a /16) and a flood of ICMP errors quoting one connection (port unreachable for every datagram
 * of a UDP stream) must not grow its state with the capture's length — while what the checks read stays: the
 * first questions and askers, and every kind of error.
 */
import { describe, expect, it } from 'vitest';
import { finishCorrelator, newCorrelator, pushPacket } from '../../src/correlate/correlator.js';
import { Net, Proto, newDecodedPacket } from '../../src/model/packet.js';

const rec = { file: 'x', frame: 0, offset: 0, tsSec: 1_795_687_113, tsNsec: 0, caplen: 0, origLen: 0, linkType: 1, interfaceId: 0, interfaceName: '', data: new Uint8Array(0) };
const GW = 0x0a000001; // 10.0.0.1
const APP = 0x0a000005;
const REMOTE = 0xc6336401; // 198.51.100.1

describe('correlator state under floods', () => {
  it('an ARP scan keeps a bounded number of questions, the first ones whole', () => {
    const s = newCorrelator({ localAddresses: new Set([GW]), macs: new Map(), windowNs: 2.5e8 });
    const d = newDecodedPacket();
    d.net = Net.ARP;
    d.arpOp = 1;
    d.arpSpa = GW;
    for (let i = 0; i < 40_000; i++) {
      d.arpTpa = (0x0a010000 + i) >>> 0;
      rec.tsNsec = i * 1000;
      pushPacket(s, rec, d, 0, 0);
    }
    // Many askers for one target: bounded too.
    for (let i = 0; i < 1000; i++) {
      d.arpSpa = (0x0a020000 + i) >>> 0;
      d.arpTpa = 0x0a010000;
      pushPacket(s, rec, d, 0, 0);
    }
    expect(s.arp.requests).toBe(41_000);
    expect(s.arp.questions.size).toBeLessThanOrEqual(16_384);
    const first = s.arp.questions.get(`0|${0x0a010000}`)!;
    expect(first.requests).toBe(1001);
    expect(first.askers.has(GW)).toBe(true);
    expect(first.askers.size).toBeLessThanOrEqual(64);
  });

  it('a flood of ICMP errors about one connection keeps a bounded list, and still every kind of error', () => {
    const s = newCorrelator({ localAddresses: new Set([GW]), macs: new Map(), windowNs: 2.5e8 });
    const d = newDecodedPacket();
    // The connection: one UDP datagram from the app.
    Object.assign(d, { net: Net.IPV4, proto: Proto.UDP, src: APP, dst: REMOTE, sport: 40000, dport: 53, ttl: 64, ipId: 1, payloadLength: 10 });
    pushPacket(s, rec, d, 0, 0);
    // 10,000 port unreachables quoting it, then one host unreachable.
    const error = (code: number) => {
      Object.assign(d, { proto: Proto.ICMP, src: REMOTE, dst: APP, sport: 0, dport: 0, icmpType: 3, icmpCode: code, ttl: 60, ipId: 2, payloadLength: 36 });
      Object.assign(d.inner, { present: true, proto: Proto.UDP, src: APP, dst: REMOTE, sport: 40000, dport: 53 });
      pushPacket(s, rec, d, 0, 0);
    };
    for (let i = 0; i < 10_000; i++) error(3);
    error(1);
    finishCorrelator(s);
    const errors = s.connections[0]!.errors;
    expect(errors.length).toBeLessThanOrEqual(257);
    expect(errors.some((e) => e.code === 3)).toBe(true);
    expect(errors.some((e) => e.code === 1)).toBe(true);
  });
});
