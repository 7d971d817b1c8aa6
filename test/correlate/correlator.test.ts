import { describe, expect, test } from 'vitest';
import type { CaptureRecord } from '../../src/model/capture.js';
import { LinkType } from '../../src/model/capture.js';
import { Net, PacketType, Proto, TcpFlag, newDecodedPacket, type DecodedPacket } from '../../src/model/packet.js';
import { finishCorrelator, findRoot, newCorrelator, pushPacket, type CorrelatorState } from '../../src/correlate/correlator.js';
import { FEW_SAMPLES, MAX_SAMPLES, MAX_UNMATCHED_SAMPLES, SAMPLED_CONNECTIONS, samplesKept, slot, type Connection } from '../../src/correlate/connection.js';
import { Dir } from '../../src/correlate/packet-info.js';
import { fingerprint } from '../../src/correlate/fingerprint.js';

// Synthetic packets through pushPacket: a gateway with interface 0 inside (LAN) and 1 outside (WAN),
// SNAT to 203.0.113.9. Each packet is described by the fields the decoder would fill.

const LAN = 0;
const WAN = 1;
const APP = 0x0a000005; // 10.0.0.5
const REMOTE = 0xc6336401; // 198.51.100.1
const EIP = 0xcb007109; // 203.0.113.9
const GW_LAN_MAC = 0x02aa00000001;
const GW_WAN_MAC = 0x02bb00000001;
const APP_MAC = 0x02cc00000001;
const UP_MAC = 0x02dd00000001;
const MS = 1e6;

interface Pkt {
  iface: number;
  /** ns since the start of the run */
  t: number;
  proto?: number;
  src: number;
  dst: number;
  sport?: number;
  dport?: number;
  ttl: number;
  ipId: number;
  payloadLength?: number;
  payloadHash?: number;
  tcpSeq?: number;
  tcpAck?: number;
  tcpFlags?: number;
  icmpType?: number;
  icmpId?: number;
  icmpSeq?: number;
  srcMac?: number;
  dstMac?: number;
  packetType?: number;
  /** IP fragmentation: a first fragment (MF set, offset 0), and DF. */
  firstFragment?: boolean;
  df?: boolean;
}

const BASE_SEC = 1_795_687_113;

class Feeder {
  readonly s: CorrelatorState;
  private readonly d: DecodedPacket = newDecodedPacket();
  private readonly rec: CaptureRecord = {
    file: 'x',
    frame: 0,
    offset: 0,
    tsSec: 0,
    tsNsec: 0,
    caplen: 0,
    origLen: 0,
    linkType: LinkType.EN10MB,
    interfaceId: 0,
    interfaceName: '',
    data: new Uint8Array(0),
  };
  private readonly frames = [0, 0];

  constructor(opts: { macs?: [number, number][]; local?: number[]; windowNs?: number } = {}) {
    this.s = newCorrelator({ localAddresses: new Set(opts.local ?? [EIP]), macs: new Map(opts.macs ?? []), windowNs: opts.windowNs ?? 250 * MS });
  }

  /** Push one packet (the reader's and decoder's reused structs, overwritten); returns its frame number in its file. */
  push(p: Pkt): number {
    const d = this.d;
    const frame = ++this.frames[p.iface]!;
    this.rec.frame = frame;
    this.rec.tsSec = BASE_SEC + Math.floor(p.t / 1e9);
    this.rec.tsNsec = p.t % 1e9;
    d.net = Net.IPV4;
    d.truncatedAt = 0;
    d.fragment = p.firstFragment === true;
    d.mf = p.firstFragment === true;
    d.fragOffset = 0;
    d.proto = p.proto ?? Proto.UDP;
    d.src = p.src;
    d.dst = p.dst;
    d.sport = p.sport ?? 0;
    d.dport = p.dport ?? 0;
    d.ttl = p.ttl;
    d.ipId = p.ipId;
    d.payloadLength = p.payloadLength ?? 32;
    d.payloadHash = p.payloadHash ?? 0x1234567;
    d.ipTotalLength = 28 + d.payloadLength;
    d.df = p.df === true;
    d.tcpSeq = p.tcpSeq ?? 0;
    d.tcpAck = p.tcpAck ?? 0;
    d.tcpFlags = p.tcpFlags ?? 0;
    d.icmpType = p.icmpType ?? 0;
    d.icmpCode = 0;
    d.icmpId = p.icmpId ?? 0;
    d.icmpSeq = p.icmpSeq ?? 0;
    d.srcMac = p.srcMac ?? 0;
    d.dstMac = p.dstMac ?? 0;
    d.packetType = p.packetType ?? PacketType.UNKNOWN;
    d.inner.present = false;
    pushPacket(this.s, this.rec, d, p.iface, p.iface);
    return frame;
  }

  finish(): CorrelatorState {
    finishCorrelator(this.s);
    return this.s;
  }
}

/** A UDP request from the app on LAN and its SNATed copy on WAN `dt` ns later. */
function request(i: number, t: number, o: { sport?: number; mapped?: number; ipId?: number; hash?: number } = {}): [Pkt, Pkt] {
  const sport = o.sport ?? 30000;
  const base = { proto: Proto.UDP, dst: REMOTE, dport: 53, ipId: o.ipId ?? i & 0xffff, payloadHash: o.hash ?? (i * 2654435761) >>> 0 };
  return [
    { ...base, iface: LAN, t, src: APP, sport, ttl: 64, srcMac: APP_MAC, dstMac: GW_LAN_MAC },
    { ...base, iface: WAN, t: t + 30_000, src: EIP, sport: o.mapped ?? 40000, ttl: 63, srcMac: GW_WAN_MAC, dstMac: UP_MAC },
  ];
}

function conn(s: CorrelatorState, iface: number, src: number, sport: number): Connection {
  const c = s.connections.find((x) => x.iface === iface && x.src === src && x.sport === sport);
  expect(c, `connection on ${iface} from ${src}:${sport}`).toBeDefined();
  return c!;
}

const count = (c: Connection, connDir: 0 | 1, dir: 1 | 2, matched: boolean): number => c.counts[slot(connDir, dir, matched)]!;

describe('correlator: matching a packet with its copy on the other interface', () => {
  test('a request and its NATed copy are one matched pair: counts, peer, latency, samples, one flow', () => {
    const f = new Feeder();
    const [a, b] = request(1, 1 * MS);
    const fa = f.push(a);
    const fb = f.push(b);
    const s = f.finish();
    expect(s.matchedPairs).toBe(1);
    expect(s.connections).toHaveLength(2);
    const lan = conn(s, LAN, APP, 30000);
    const wan = conn(s, WAN, EIP, 40000);
    expect(count(lan, 0, Dir.IN, true)).toBe(1);
    expect(count(wan, 0, Dir.OUT, true)).toBe(1);
    expect([...lan.counts].reduce((x, y) => x + y)).toBe(1);
    expect(lan.firstDir).toBe(Dir.IN);
    expect(wan.firstDir).toBe(Dir.OUT);
    expect(lan.peer?.frame).toBe(fb);
    expect(lan.peer?.iface).toBe(WAN);
    expect(lan.peer?.src).toBe(EIP);
    expect(lan.peer?.sport).toBe(40000);
    expect(lan.peer?.connId).toBe(wan.id);
    expect(lan.replyPeer).toBeNull();
    expect([...lan.latencies]).toEqual([30_000]);
    expect(findRoot(s, lan.id)).toBe(findRoot(s, wan.id));
    expect(lan.samples.map((p) => p.frame)).toEqual([fa]);
    expect(lan.samples[0]!.match?.frame).toBe(fb);
    expect(lan.samples[0]!.dir).toBe(Dir.IN);
    expect(wan.samples[0]!.match?.frame).toBe(fa);
    expect(wan.samples[0]!.dir).toBe(Dir.OUT);
    // The same packet, read again (packets are made when read, not kept: packet-store.ts).
    expect(lan.first).toEqual(lan.samples[0]);
    expect(lan.last.t).toBe(1 * MS);
    expect(wan.last.t).toBe(1 * MS + 30_000);
    expect(s.pairDeltas.get(`${LAN}>${WAN}`)).toEqual([30_000]);
    // The gateway's MACs were learned from the pair.
    expect(s.options.macs.get(WAN)).toBe(GW_WAN_MAC);
    expect(s.options.macs.get(LAN)).toBe(GW_LAN_MAC);
  });

  test('the copy arriving first (capture clocks apart) still pairs, the higher TTL being the arrival', () => {
    const f = new Feeder();
    const [a, b] = request(1, 5 * MS);
    f.push({ ...b, t: 4 * MS });
    f.push(a);
    const s = f.finish();
    expect(s.matchedPairs).toBe(1);
    const lan = conn(s, LAN, APP, 30000);
    expect(count(lan, 0, Dir.IN, true)).toBe(1);
    expect([...lan.latencies]).toEqual([-1 * MS]);
    expect(lan.peer?.iface).toBe(WAN);
  });

  test('TTL not exactly one apart: no match, both unmatched, two flows', () => {
    const f = new Feeder();
    const [a, b] = request(1, 1 * MS);
    f.push(a);
    f.push({ ...b, ttl: 62 });
    const s = f.finish();
    expect(s.matchedPairs).toBe(0);
    const lan = conn(s, LAN, APP, 30000);
    const wan = conn(s, WAN, EIP, 40000);
    expect(findRoot(s, lan.id)).not.toBe(findRoot(s, wan.id));
    expect(count(lan, 0, Dir.IN, false)).toBe(1);
    // The WAN copy's source MAC is not known as the gateway's (nothing learned): by the local address.
    expect(count(wan, 0, Dir.OUT, false)).toBe(1);
    expect(lan.peer).toBeNull();
    expect(lan.samples[0]!.match).toBeNull();
    expect(lan.unmatchedInHead).toEqual([1 * MS]);
    expect(lan.unmatchedInTail).toEqual([1 * MS]);
  });

  test('TTL two apart is not a copy, whichever interface is seen first', () => {
    for (const [lanTtl, wanTtl, copyFirst] of [[64, 62, false], [64, 62, true], [62, 64, false], [62, 64, true]] as const) {
      const f = new Feeder();
      const [a, b] = request(1, 1 * MS);
      if (copyFirst) {
        f.push({ ...b, t: 0, ttl: wanTtl });
        f.push({ ...a, ttl: lanTtl });
      } else {
        f.push({ ...a, ttl: lanTtl });
        f.push({ ...b, ttl: wanTtl });
      }
      expect(f.finish().matchedPairs).toBe(0);
    }
  });

  test('a different invariant (payload, IP ID, TCP seq) is not a copy', () => {
    for (const change of [{ payloadHash: 7 }, { ipId: 999 }, { payloadLength: 33 }]) {
      const f = new Feeder();
      const [a, b] = request(1, 1 * MS);
      f.push(a);
      f.push({ ...b, ...change });
      expect(f.finish().matchedPairs).toBe(0);
    }
  });

  test('a fingerprint collision is not a copy: the fields themselves are compared', () => {
    // Two packets, differing in IP ID and payload, that share a fingerprint (32-bit: a birthday search
    // finds one fast; with the payload alone varying there is none to find, the key being a bijection of it).
    const d = newDecodedPacket();
    Object.assign(d, { proto: Proto.UDP, payloadLength: 32 });
    const seen = new Map<number, [number, number]>();
    let pair: [[number, number], [number, number]] | null = null;
    for (let i = 1; pair === null && i < 4_000_000; i++) {
      const fields: [number, number] = [i & 0xffff, Math.imul(i, 0x9e3779b1) >>> 0];
      [d.ipId, d.payloadHash] = fields;
      const k = fingerprint(d);
      const other = seen.get(k);
      if (other !== undefined) pair = [other, fields];
      else seen.set(k, fields);
    }
    expect(pair).not.toBeNull();
    if (pair === null) return;
    const [a, b] = request(1, 1 * MS, { ipId: pair[0][0], hash: pair[0][1] });
    const f = new Feeder();
    f.push(a);
    f.push({ ...b, ipId: pair[1][0], payloadHash: pair[1][1] });
    expect(f.finish().matchedPairs).toBe(0);
    // Same fields: a match (the search above really produced colliding keys of matchable packets).
    const g = new Feeder();
    g.push(a);
    g.push(b);
    expect(g.finish().matchedPairs).toBe(1);
  });

  test('a copy on the same interface is not a match unless the link layer shows one arriving and one leaving', () => {
    const f = new Feeder();
    const [a, b] = request(1, 1 * MS);
    f.push(a);
    f.push({ ...b, iface: LAN });
    expect(f.finish().matchedPairs).toBe(0);
    // The same packet seen twice leaving (two captures of one interface) is not a pair either.
    const g = new Feeder({ macs: [[LAN, GW_LAN_MAC]] });
    g.push({ ...a, srcMac: GW_LAN_MAC, dstMac: APP_MAC });
    g.push({ ...b, iface: LAN, srcMac: GW_LAN_MAC, dstMac: APP_MAC });
    expect(g.finish().matchedPairs).toBe(0);
  });

  test('hairpin: an inside host reaching another through its EIP, DNATed back out of the interface it came in on', () => {
    const APP2 = 0x0a000006; // 10.0.0.6, behind EIP 203.0.113.9
    const APP2_MAC = 0x02cc00000002;
    const f = new Feeder({ macs: [[LAN, GW_LAN_MAC], [WAN, GW_WAN_MAC]] });
    const base = { proto: Proto.UDP, sport: 30000, dport: 8080, ipId: 77, payloadHash: 0xabcdef };
    f.push({ ...base, iface: LAN, t: 0, src: APP, dst: EIP, ttl: 64, srcMac: APP_MAC, dstMac: GW_LAN_MAC });
    f.push({ ...base, iface: LAN, t: 20_000, src: APP, dst: APP2, ttl: 63, srcMac: GW_LAN_MAC, dstMac: APP2_MAC });
    const s = f.finish();
    expect(s.matchedPairs).toBe(1);
    const inbound = conn(s, LAN, APP, 30000);
    expect(inbound.peer?.dst).toBe(APP2);
    expect(inbound.peer?.iface).toBe(LAN);
    expect(count(inbound, 0, Dir.IN, true)).toBe(1);
  });

  test('link-layer direction vetoes: an arrival the capture says was outgoing is not matched as inbound', () => {
    const f = new Feeder();
    const [a, b] = request(1, 1 * MS);
    f.push({ ...a, packetType: PacketType.OUTGOING });
    f.push({ ...b, packetType: PacketType.OUTGOING });
    const s = f.finish();
    expect(s.matchedPairs).toBe(0);
    expect(count(conn(s, LAN, APP, 30000), 0, Dir.OUT, false)).toBe(1);
  });

  test('a lost request: finalised unmatched at expiry, inbound by the gateway MAC, sampled', () => {
    const f = new Feeder({ macs: [[LAN, GW_LAN_MAC], [WAN, GW_WAN_MAC]] });
    const frames: number[] = [];
    for (let i = 0; i < 10; i++) {
      const [a, b] = request(i, i * 10 * MS);
      frames.push(f.push(a));
      if (i !== 4) f.push(b);
    }
    const s = f.finish();
    expect(s.matchedPairs).toBe(9);
    const lan = conn(s, LAN, APP, 30000);
    expect(count(lan, 0, Dir.IN, true)).toBe(9);
    expect(count(lan, 0, Dir.IN, false)).toBe(1);
    expect(lan.unmatchedInHead).toEqual([40 * MS]);
    const lost = lan.samples.find((p) => p.frame === frames[4]);
    expect(lost?.match).toBeNull();
    expect(lost?.dir).toBe(Dir.IN);
    expect(lan.samples.filter((p) => p.match !== null)).toHaveLength(9);
    expect([...lan.latencies]).toHaveLength(9);
  });

  test('an expired pending packet cannot be matched by a copy arriving after the window', () => {
    const f = new Feeder();
    const [a, b] = request(1, 0);
    f.push(a);
    f.push({ ...b, t: 260 * MS });
    const s = f.finish();
    expect(s.matchedPairs).toBe(0);
    const lan = conn(s, LAN, APP, 30000);
    expect(count(lan, 0, Dir.IN, false)).toBe(1);
    // Inside the window it pairs.
    const g = new Feeder();
    g.push(a);
    g.push({ ...b, t: 240 * MS });
    expect(g.finish().matchedPairs).toBe(1);
  });

  test('a copy exactly one window later still pairs, also when older packets expire just before it', () => {
    const f = new Feeder();
    f.push(request(9, 0, { sport: 31000 })[0]);
    const [a, b] = request(1, 1);
    f.push(a);
    f.push({ ...b, t: 1 + 250 * MS });
    const s = f.finish();
    expect(s.matchedPairs).toBe(1);
    expect([...conn(s, LAN, APP, 30000).latencies]).toEqual([250 * MS]);
  });

  test('a pending packet expires (is finalised) when time moves past the window, not at the end', () => {
    const f = new Feeder({ macs: [[LAN, GW_LAN_MAC], [WAN, GW_WAN_MAC]] });
    const [a] = request(1, 0);
    f.push(a);
    // While packets come, connections are the correlator's numbers: the first one is connection 0.
    const unmatched = (): readonly number[] => f.s.unmatched[0]?.inHead ?? [];
    expect(unmatched()).toEqual([]);
    f.push(request(2, 250 * MS, { sport: 31000 })[0]);
    expect(unmatched()).toEqual([]);
    f.push(request(3, 251 * MS, { sport: 31000 })[0]);
    expect(unmatched()).toEqual([0]);
    f.finish();
    const lan = conn(f.s, LAN, APP, 30000);
    expect(lan.unmatchedInHead).toEqual([0]);
    expect(lan.samples[0]!.dir).toBe(Dir.IN);
    expect(count(lan, 0, Dir.IN, false)).toBe(1);
  });

  test('TCP retransmission with the same seq and a new IP ID pairs with its own copy; a lost retransmission stays unmatched', () => {
    const f = new Feeder();
    const tcp = (iface: number, t: number, ipId: number): Pkt => ({
      iface,
      t,
      proto: Proto.TCP,
      src: iface === LAN ? APP : EIP,
      dst: REMOTE,
      sport: iface === LAN ? 30000 : 40000,
      dport: 443,
      ttl: iface === LAN ? 64 : 63,
      ipId,
      payloadLength: 0,
      payloadHash: 0,
      tcpSeq: 1000,
      tcpFlags: TcpFlag.SYN,
    });
    const l1 = f.push(tcp(LAN, 0, 1));
    const l2 = f.push(tcp(LAN, 1 * MS, 2));
    const w2 = f.push(tcp(WAN, 1 * MS + 20_000, 2));
    const w1 = f.push(tcp(WAN, 1 * MS + 40_000, 1));
    const l3 = f.push(tcp(LAN, 2 * MS, 3));
    const s = f.finish();
    expect(s.matchedPairs).toBe(2);
    const lan = conn(s, LAN, APP, 30000);
    expect(lan.sawSyn).toBe(true);
    const byFrame = new Map(lan.samples.map((p) => [p.frame, p]));
    expect(byFrame.get(l1)?.match?.frame).toBe(w1);
    expect(byFrame.get(l2)?.match?.frame).toBe(w2);
    expect(byFrame.get(l3)?.match).toBeNull();
    expect(count(lan, 0, Dir.IN, true)).toBe(2);
    expect(count(lan, 0, Dir.IN, false)).toBe(1);
    // The observed translation is the first matched inbound packet's partner (the retransmission's).
    expect(lan.peer?.frame).toBe(w2);
    expect([...lan.latencies]).toEqual([20_000, 1 * MS + 40_000]);
  });

  test('of two identical pending packets the copy pairs with the nearer one in time', () => {
    const f = new Feeder();
    const [a, b] = request(1, 0, { ipId: 0, hash: 5 });
    const fa1 = f.push(a);
    const fa2 = f.push({ ...a, t: 100 * MS });
    f.push({ ...b, t: 101 * MS });
    const s = f.finish();
    expect(s.matchedPairs).toBe(1);
    const lan = conn(s, LAN, APP, 30000);
    expect(lan.samples.find((p) => p.frame === fa2)?.match).not.toBeNull();
    expect(lan.samples.find((p) => p.frame === fa1)?.match).toBeNull();
    expect([...lan.latencies]).toEqual([1 * MS]);
  });

  test('of two identical pending packets equally far from the copy, the copy pairs with the first', () => {
    // 2 ms apart: not a capture duplicate (those are dropped within 1 ms), but a tie for the copy between them.
    const f = new Feeder();
    const [a, b] = request(1, 0, { ipId: 0, hash: 5 });
    const fa1 = f.push({ ...a, t: 10 * MS });
    const fa2 = f.push({ ...a, t: 12 * MS });
    f.push({ ...b, t: 11 * MS });
    const s = f.finish();
    const lan = conn(s, LAN, APP, 30000);
    expect(lan.samples.find((p) => p.frame === fa1)?.match).not.toBeNull();
    expect(lan.samples.find((p) => p.frame === fa2)?.match).toBeNull();
  });

  test('replies share the connection (reply direction) and set replyPeer', () => {
    const f = new Feeder();
    const [a, b] = request(1, 0);
    f.push(a);
    f.push(b);
    const rep = { proto: Proto.UDP, src: REMOTE, sport: 53, ipId: 77, payloadHash: 99 };
    const wr = f.push({ ...rep, iface: WAN, t: 1 * MS, dst: EIP, dport: 40000, ttl: 60, srcMac: UP_MAC, dstMac: GW_WAN_MAC });
    const lr = f.push({ ...rep, iface: LAN, t: 1 * MS + 30_000, dst: APP, dport: 30000, ttl: 59, srcMac: GW_LAN_MAC, dstMac: APP_MAC });
    const s = f.finish();
    expect(s.connections).toHaveLength(2);
    const lan = conn(s, LAN, APP, 30000);
    const wan = conn(s, WAN, EIP, 40000);
    expect(count(wan, 1, Dir.IN, true)).toBe(1);
    expect(count(lan, 1, Dir.OUT, true)).toBe(1);
    expect(wan.replyPeer?.frame).toBe(lr);
    expect(wan.samples.find((p) => p.frame === wr)?.connDir).toBe(1);
    expect(lan.samples.find((p) => p.frame === lr)?.match?.frame).toBe(wr);
    expect(s.pairDeltas.get(`${WAN}>${LAN}`)).toEqual([30_000]);
  });

  test('ICMP echo: the echo id keys the connection and NAT may rewrite it', () => {
    const f = new Feeder();
    const echo = { proto: Proto.ICMP, icmpType: 8, icmpSeq: 3, dst: REMOTE, ipId: 11, payloadHash: 5 };
    f.push({ ...echo, iface: LAN, t: 0, src: APP, icmpId: 77, ttl: 64 });
    f.push({ ...echo, iface: WAN, t: 10_000, src: EIP, icmpId: 4242, ttl: 63 });
    // Another echo id from the same host is another connection.
    f.push({ ...echo, iface: LAN, t: 20_000, src: APP, icmpId: 78, ipId: 12, ttl: 64 });
    const s = f.finish();
    expect(s.matchedPairs).toBe(1);
    const lan = conn(s, LAN, APP, 77);
    expect(lan.dport).toBe(0);
    expect(lan.peer?.sport).toBe(4242);
    expect(s.connections.filter((c) => c.iface === LAN)).toHaveLength(2);
  });

  test('samples: the first MAX_SAMPLES packets, then the first unmatched arrivals only', () => {
    const f = new Feeder({ macs: [[LAN, GW_LAN_MAC], [WAN, GW_WAN_MAC]] });
    const lostFrames: number[] = [];
    const n = MAX_SAMPLES + 30;
    for (let i = 0; i < n; i++) {
      const [a, b] = request(i, i * MS);
      const fa = f.push(a);
      if (i >= MAX_SAMPLES && i % 2 === 0) lostFrames.push(fa);
      else f.push(b);
    }
    const s = f.finish();
    const lan = conn(s, LAN, APP, 30000);
    const wan = conn(s, WAN, EIP, 40000);
    expect(lan.samples).toHaveLength(MAX_SAMPLES + MAX_UNMATCHED_SAMPLES);
    expect(lan.samples.slice(MAX_SAMPLES).map((p) => p.frame)).toEqual(lostFrames.slice(0, MAX_UNMATCHED_SAMPLES));
    expect(lan.samples.map((p) => p.sample)).toEqual(lan.samples.map((_, i) => i));
    expect(wan.samples).toHaveLength(MAX_SAMPLES);
    // The sampled ones past the first MAX_SAMPLES on WAN are not there; matched LAN samples point at WAN frames.
    for (const p of lan.samples.slice(0, MAX_SAMPLES)) expect(p.match?.iface).toBe(WAN);
    expect(count(lan, 0, Dir.IN, false)).toBe(lostFrames.length);
    expect(lan.unmatchedInHead).toHaveLength(Math.min(32, lostFrames.length));
    expect(lan.last.t).toBe((n - 1) * MS);
    expect([...lan.latencies]).toHaveLength(Math.min(64, n - lostFrames.length));
  });

  test('connections past the first SAMPLED_CONNECTIONS keep FEW_SAMPLES first packets (memory for captures of very many)', () => {
    const f = new Feeder({ macs: [[LAN, GW_LAN_MAC], [WAN, GW_WAN_MAC]] });
    // Each flow (one UDP connection on LAN, one on WAN) opens two connections; every flow sends 10 requests.
    const flows = SAMPLED_CONNECTIONS / 2 + 10;
    let k = 0;
    for (let r = 0; r < 10; r++) {
      for (let i = 0; i < flows; i++) {
        const [a, b] = request(k, k * 1000, { sport: 1024 + i, mapped: 1024 + i, ipId: k & 0xffff });
        f.push(a);
        f.push(b);
        k++;
      }
    }
    const s = f.finish();
    expect(s.connections.length).toBe(2 * flows);
    const kept = s.connections.map((c) => c.samples.length);
    expect(kept.slice(0, SAMPLED_CONNECTIONS).every((n) => n === 10)).toBe(true);
    expect(kept.slice(SAMPLED_CONNECTIONS).every((n) => n === FEW_SAMPLES)).toBe(true);
    expect(samplesKept(SAMPLED_CONNECTIONS - 1)).toBe(MAX_SAMPLES);
    // Counting does not depend on sampling.
    expect(s.connections.every((c) => count(c, 0, c.iface === LAN ? Dir.IN : Dir.OUT, true) === 10)).toBe(true);
  });

  test('a sampled packet matched by an unsampled one gets its partner materialised (and vice versa)', () => {
    const f = new Feeder();
    // WAN connection already has MAX_SAMPLES samples; a new LAN connection's first packet pairs with an unsampled WAN copy.
    for (let i = 0; i < MAX_SAMPLES; i++) f.push({ ...request(i, i * 1000)[1], ttl: 50 });
    const [a, b] = request(100, 1 * MS, { sport: 31000 });
    const fa = f.push(a);
    const fb = f.push(b);
    const s = f.finish();
    const lan = conn(s, LAN, APP, 31000);
    expect(lan.samples[0]!.match?.frame).toBe(fb);
    expect(lan.samples[0]!.match?.match?.frame).toBe(fa);
    expect(lan.peer?.frame).toBe(fb);
    expect(lan.peer?.connDir).toBe(0);
  });

  test('many packets pending at once (beyond any initial capacity) all pair, copies arriving in reverse order', () => {
    const f = new Feeder();
    const n = 20_000;
    const pairs = Array.from({ length: n }, (_, i) => request(i, i * 5_000, { sport: 1024 + (i % 4000), mapped: 20000 + (i % 4000) }));
    for (const [a] of pairs) f.push(a);
    const last = n * 5_000;
    for (let i = n - 1; i >= 0; i--) f.push({ ...pairs[i]![1], t: last + (n - i) });
    const s = f.finish();
    expect(s.matchedPairs).toBe(n);
    expect(s.connections).toHaveLength(8000);
    const lanBySport = new Map(s.connections.filter((c) => c.iface === LAN).map((c) => [c.sport, c]));
    const bad = s.connections.filter(
      (c) => [...c.counts].reduce((x, y) => x + y) !== 5 || findRoot(s, c.id) !== findRoot(s, (c.iface === LAN ? c : lanBySport.get(c.sport - 20000 + 1024)!).id),
    );
    expect(bad).toEqual([]);
  });

  test('many connections (table growth, colliding tuples): ids by first appearance, each packet in its own', () => {
    const f = new Feeder();
    const n = 30_000;
    for (let i = 0; i < n; i++) {
      // Addresses and ports chosen so that naive hashes collide: src and port swap roles.
      const src = (0x0a000000 + (i >>> 4)) >>> 0;
      const sport = 1000 + (i & 15) * 16;
      f.push({ iface: LAN, t: i * 1000, proto: Proto.UDP, src, dst: REMOTE, sport, dport: 53, ttl: 64, ipId: i & 0xffff, payloadHash: i });
    }
    // Second round: the replies (reversed tuple) land in the same connections.
    for (let i = 0; i < n; i++) {
      const src = (0x0a000000 + (i >>> 4)) >>> 0;
      const sport = 1000 + (i & 15) * 16;
      f.push({ iface: LAN, t: n * 1000 + i * 1000, proto: Proto.UDP, src: REMOTE, dst: src, sport: 53, dport: sport, ttl: 60, ipId: (i + 7) & 0xffff, payloadHash: ~i });
    }
    const s = f.finish();
    expect(s.connections).toHaveLength(n);
    const bad = s.connections.filter(
      (c, i) =>
        c.id !== i ||
        c.src !== (0x0a000000 + (i >>> 4)) >>> 0 ||
        c.sport !== 1000 + (i & 15) * 16 ||
        c.counts[slot(0, Dir.IN, false)]! + c.counts[slot(0, Dir.OUT, false)]! !== 1 ||
        c.counts[slot(1, Dir.IN, false)]! + c.counts[slot(1, Dir.OUT, false)]! !== 1,
    );
    expect(bad.map((c) => c.id)).toEqual([]);
  });

  test('an ICMP error quoting a connection is attached to it', () => {
    const f = new Feeder();
    const [a] = request(1, 0);
    f.push(a);
    const d = newDecodedPacket();
    Object.assign(d, { net: Net.IPV4, proto: Proto.ICMP, src: 0x0a0000fe, dst: APP, ttl: 64, icmpType: 3, icmpCode: 4, icmpMtu: 1400 });
    Object.assign(d.inner, { present: true, proto: Proto.UDP, src: APP, dst: REMOTE, sport: 30000, dport: 53, l4Quoted: 8 });
    const rec = { file: 'x', frame: 9, offset: 0, tsSec: BASE_SEC, tsNsec: 1000, caplen: 0, origLen: 0, linkType: 1, interfaceId: 0, interfaceName: '', data: new Uint8Array(0) };
    pushPacket(f.s, rec, d, LAN, LAN);
    // Quoting an unknown connection: an orphan.
    d.inner.sport = 1;
    pushPacket(f.s, { ...rec, frame: 10 }, d, LAN, LAN);
    // A quote the capture cut before the ports (tcpdump -s 64 keeps 2 of its 8 bytes: the source port): the connection
    // between the quoted addresses from that port; from another port, none.
    Object.assign(d.inner, { sport: 30000, dport: 0, l4Quoted: 2 });
    pushPacket(f.s, { ...rec, frame: 11 }, d, LAN, LAN);
    Object.assign(d.inner, { sport: 30001 });
    pushPacket(f.s, { ...rec, frame: 12 }, d, LAN, LAN);
    // Cut inside the quoted IP header, past its source (16 of 20 bytes): the latest connection from that source.
    Object.assign(d.inner, { present: false, srcOnly: true, dst: 0, sport: 0, l4Quoted: 0 });
    pushPacket(f.s, { ...rec, frame: 13 }, d, LAN, LAN);
    const s = f.finish();
    const lan = conn(s, LAN, APP, 30000);
    expect(lan.errors.map((e) => [e.frame, e.type, e.code, e.mtu])).toEqual([[9, 3, 4, 1400], [11, 3, 4, 1400], [13, 3, 4, 1400]]);
    expect(s.orphanErrors.map((e) => e.frame)).toEqual([10, 12]);
  });

  test('what is not followed is counted: IPv6 (routable only), non-IP, multicast, later fragments', () => {
    const f = new Feeder();
    const d = newDecodedPacket();
    const rec = { file: 'x', frame: 1, offset: 0, tsSec: BASE_SEC, tsNsec: 0, caplen: 0, origLen: 0, linkType: 1, interfaceId: 0, interfaceName: '', data: new Uint8Array(0) };
    d.net = Net.IPV6;
    d.dst6.set([0x20010db8, 0, 0, 1]);
    pushPacket(f.s, rec, d, 0, 0);
    // Link-local (neighbour discovery) and multicast IPv6: in every capture, not counted.
    d.dst6.set([0xfe800000, 0, 0, 1]);
    pushPacket(f.s, rec, d, 0, 0);
    d.dst6.set([0xff020000, 0, 0, 1]);
    pushPacket(f.s, rec, d, 0, 0);
    d.net = Net.OTHER;
    pushPacket(f.s, rec, d, 0, 0);
    Object.assign(d, { net: Net.IPV4, src: APP, dst: 0xe0000001 });
    pushPacket(f.s, rec, d, 0, 0);
    Object.assign(d, { net: Net.IPV4, src: APP, dst: REMOTE, fragment: true, fragOffset: 1480 });
    pushPacket(f.s, rec, d, 0, 0);
    // Unicast IP in a link-layer broadcast or multicast frame (a subnet's directed broadcast the snapshot does not
    // name): never forwarded, as the kernel forwards only what came to its own MAC. Ethernet's group bit, and the
    // cooked captures' packet types.
    Object.assign(d, { net: Net.IPV4, src: APP, dst: 0x0a4dffff, fragment: false, fragOffset: 0, dstMac: 0xffffffffffff, packetType: PacketType.UNKNOWN });
    pushPacket(f.s, rec, d, 0, 0);
    Object.assign(d, { dstMac: 0x01005e000001 });
    pushPacket(f.s, rec, d, 0, 0);
    Object.assign(d, { dstMac: 0, packetType: PacketType.BROADCAST });
    pushPacket(f.s, rec, d, 0, 0);
    Object.assign(d, { packetType: PacketType.MULTICAST });
    pushPacket(f.s, rec, d, 0, 0);
    const s = f.finish();
    expect(s.ignored).toMatchObject({ ipv6: 1, nonIp: 1, multicast: 1 + 4, fragments: 1 });
    expect(s.connections).toHaveLength(0);
    expect(s.packets).toBe(10);
  });
});

describe('correlator: duplicates captured on one interface', () => {
  test('the same packet twice on LAN within a millisecond counts once and is not lost', () => {
    const f = new Feeder();
    const [a, b] = request(1, 1 * MS);
    f.push(a);
    f.push({ ...a, t: a.t + 5_000 });
    f.push(b);
    const s = f.finish();
    expect(s.ignored.duplicates).toBe(1);
    expect(s.matchedPairs).toBe(1);
    const lan = conn(s, LAN, APP, 30000);
    expect(count(lan, 0, Dir.IN, true)).toBe(1);
    expect(count(lan, 0, Dir.IN, false)).toBe(0);
  });

  test('a retransmission (new IP ID) or a repeat later than a millisecond is its own packet', () => {
    const f = new Feeder();
    const [a] = request(1, 1 * MS);
    f.push(a);
    f.push({ ...a, t: a.t + 5_000, ipId: a.ipId + 1 });
    f.push({ ...a, t: a.t + 3 * MS });
    const s = f.finish();
    expect(s.ignored.duplicates).toBe(0);
    expect(count(conn(s, LAN, APP, 30000), 0, Dir.IN, false)).toBe(3);
  });

  test('second copies that come after 150 other matched pairs (a capture out of time order, copied twice) count once', () => {
    // mergecap of a dumpcap capture with itself: each copy at its packet's time, but a batch of packets later.
    const f = new Feeder();
    const pairs = Array.from({ length: 150 }, (_, i) => request(i + 1, 1 * MS + i * 50_000));
    // The first packet's second copy while it waits for its NATed one: the capture holds packets twice.
    f.push(pairs[0]![0]);
    f.push(pairs[0]![0]);
    for (const [k, [a, b]] of pairs.entries()) {
      if (k > 0) f.push(a);
      f.push(b);
    }
    for (const [k, [a, b]] of pairs.entries()) {
      if (k > 0) f.push(a);
      f.push(b);
    }
    const s = f.finish();
    expect(s.ignored.duplicates).toBe(2 * 150);
    expect(s.matchedPairs).toBe(150);
    expect(count(conn(s, LAN, APP, 30000), 0, Dir.IN, true)).toBe(150);
    expect(count(conn(s, LAN, APP, 30000), 0, Dir.IN, false)).toBe(0);
    expect(count(conn(s, WAN, EIP, 40000), 0, Dir.OUT, false)).toBe(0);
  });

  test('a second copy of a matched packet is not paired with an older pending packet of the same fingerprint', () => {
    // TIME_WAIT ACKs carry IP ID 0: one the gateway dropped 200 ms ago still waits when the next, forwarded, is shown twice.
    const f = new Feeder();
    const x = request(1, 1 * MS);
    f.push(x[0]);
    f.push(x[0]);
    f.push(x[1]);
    const dropped = request(2, 10 * MS, { ipId: 0 })[0];
    const [a, b] = request(2, 210 * MS, { ipId: 0 });
    f.push(dropped);
    f.push(a);
    f.push(b);
    f.push(b);
    const s = f.finish();
    expect(s.ignored.duplicates).toBe(2);
    expect(s.matchedPairs).toBe(2);
    expect(count(conn(s, WAN, EIP, 40000), 0, Dir.OUT, true)).toBe(2);
    expect(count(conn(s, LAN, APP, 30000), 0, Dir.IN, false)).toBe(1);
  });

  test('the copy on the other interface is not a duplicate (TTL one lower)', () => {
    const f = new Feeder();
    const [a, b] = request(1, 1 * MS);
    f.push(a);
    f.push({ ...b, t: a.t + 100 });
    expect(f.finish().ignored.duplicates).toBe(0);
  });
});

/**
 * A segment of the app's TCP connection to REMOTE:80 as it arrives on LAN (TTL 64), or its SNATed copy on WAN
 * (TTL 63, from the EIP); the payload hash follows the sequence number. Acknowledges 5000.
 */
function appSegment(iface: number, t: number, seq: number, len: number, ipId: number): Pkt {
  return {
    iface,
    t,
    proto: Proto.TCP,
    src: iface === LAN ? APP : EIP,
    dst: REMOTE,
    sport: iface === LAN ? 30000 : 40000,
    dport: 80,
    ttl: iface === LAN ? 64 : 63,
    ipId,
    payloadLength: len,
    payloadHash: (seq * 2654435761) >>> 0,
    tcpSeq: seq,
    tcpAck: 5000,
    tcpFlags: TcpFlag.ACK | TcpFlag.PSH,
    srcMac: iface === LAN ? APP_MAC : GW_WAN_MAC,
    dstMac: iface === LAN ? GW_LAN_MAC : UP_MAC,
  };
}

describe('correlator: TCP acknowledgments vouch for copies the capture missed', () => {
  // The app's segment on LAN (TTL 64) and its SNATed copy on WAN (TTL 63); the server's ACK arrives on WAN
  // and is forwarded to LAN. Sequence numbers as the app and the server use them (NAT keeps them).
  const ack = (iface: number, t: number, ackNo: number, ipId: number): Pkt => ({
    iface,
    t,
    proto: Proto.TCP,
    src: REMOTE,
    dst: iface === LAN ? APP : EIP,
    sport: 80,
    dport: iface === LAN ? 30000 : 40000,
    ttl: iface === LAN ? 63 : 64,
    ipId,
    payloadLength: 0,
    payloadHash: 0,
    tcpSeq: 5000,
    tcpAck: ackNo,
    tcpFlags: TcpFlag.ACK,
    srcMac: iface === LAN ? GW_LAN_MAC : UP_MAC,
    dstMac: iface === LAN ? APP_MAC : GW_WAN_MAC,
  });
  const macs: [number, number][] = [[LAN, GW_LAN_MAC], [WAN, GW_WAN_MAC]];

  test('a segment with no captured copy that the server acknowledged (no retransmission) was forwarded', () => {
    const f = new Feeder({ macs });
    f.push(appSegment(LAN, 0, 1000, 100, 1));
    f.push(appSegment(WAN, 30_000, 1000, 100, 1));
    // The second segment's copy is missing from the WAN capture; the server acknowledges both.
    f.push(appSegment(LAN, 1 * MS, 1100, 100, 2));
    f.push(ack(WAN, 2 * MS, 1200, 77));
    f.push(ack(LAN, 2 * MS + 30_000, 1200, 77));
    const s = f.finish();
    const lan = conn(s, LAN, APP, 30000);
    expect(count(lan, 0, Dir.IN, false)).toBe(0);
    expect(count(lan, 0, Dir.IN, true)).toBe(2);
    expect(s.unseenCopies).toBe(1);
    const missed = lan.samples.find((p) => p.tcpSeq === 1100)!;
    expect(missed.match).toBeNull();
    expect(missed.copyUnseen).toBe(true);
  });

  test('a segment the gateway dropped and the app retransmitted stays lost, though the retransmission was acknowledged', () => {
    const f = new Feeder({ macs });
    f.push(appSegment(LAN, 0, 1000, 100, 1));
    f.push(appSegment(WAN, 30_000, 1000, 100, 1));
    f.push(appSegment(LAN, 1 * MS, 1100, 100, 2)); // dropped at the gateway
    f.push(appSegment(LAN, 201 * MS, 1100, 100, 3)); // retransmitted (RTO), forwarded
    f.push(appSegment(WAN, 201 * MS + 30_000, 1100, 100, 3));
    f.push(ack(WAN, 202 * MS, 1200, 78));
    f.push(ack(LAN, 202 * MS + 30_000, 1200, 78));
    const s = f.finish();
    const lan = conn(s, LAN, APP, 30000);
    expect(count(lan, 0, Dir.IN, false)).toBe(1);
    expect(s.unseenCopies).toBe(0);
  });

  test('an acknowledgment that does not reach the segment end, or a bare ACK, vouches for nothing', () => {
    const f = new Feeder({ macs });
    f.push(appSegment(LAN, 0, 1000, 100, 1));
    f.push(ack(WAN, 1 * MS, 1050, 79)); // partial: bytes 1050..1099 not acknowledged
    f.push(ack(LAN, 1 * MS + 30_000, 1050, 79));
    f.push({ ...ack(LAN, 2 * MS, 9000, 80), src: APP, dst: REMOTE, sport: 30000, dport: 80, ttl: 64, tcpSeq: 1100, srcMac: APP_MAC, dstMac: GW_LAN_MAC });
    const s = f.finish();
    expect(count(conn(s, LAN, APP, 30000), 0, Dir.IN, false)).toBe(2);
    expect(s.unseenCopies).toBe(0);
  });
});

describe('correlator: packets whose TTL ran out at the gateway', () => {
  test('a request arriving with TTL 1 and no copy (a traceroute probe) is not judged lost; one with TTL 2 is', () => {
    const f = new Feeder({ macs: [[LAN, GW_LAN_MAC], [WAN, GW_WAN_MAC]] });
    const [a, b] = request(1, 0);
    f.push(a);
    f.push(b);
    f.push({ ...request(2, 1 * MS)[0], ttl: 1 }); // expires at the gateway: time-exceeded, no copy
    f.push({ ...request(3, 2 * MS)[0], ttl: 2 }); // could have been forwarded (TTL 1 on the way out), was not
    const s = f.finish();
    const lan = conn(s, LAN, APP, 30000);
    expect(count(lan, 0, Dir.IN, false)).toBe(2);
    expect([...lan.expiredIn]).toEqual([1, 0]);
    expect(lan.unmatchedInHead).toEqual([2 * MS]);
  });
});

describe('correlator: segmentation offload (a segment that arrived merged and left cut into pieces)', () => {
  // The app's data on LAN as one merged segment (GRO, or TSO over a veth: TTL 64), and what left WAN: pieces of
  // MSS bytes (TTL 63), the first with the merged segment's IP ID, sequence number and first bytes, each next
  // one where the last ended, IP ID one higher; PSH only on the last. No acknowledgment is captured at all:
  // the pairing must not lean on TCP's (tcp-acks.ts).
  const MSS = 1448;
  const FIRST_BYTES = 0x5eed;
  const data = (iface: number, t: number, seq: number, len: number, ipId: number, o: Partial<Pkt> = {}): Pkt => ({
    ...appSegment(iface, t, seq, len, ipId),
    payloadHash: seq === 1000 ? FIRST_BYTES : (seq * 2654435761) >>> 0,
    tcpFlags: TcpFlag.ACK,
    srcMac: iface === LAN ? APP_MAC : GW_LAN_MAC,
    ...o,
  });
  const macs: [number, number][] = [[LAN, GW_LAN_MAC], [WAN, GW_WAN_MAC]];
  /** The merged segment (3 × MSS from seq 1000) and its three pieces. */
  const merged = (t: number, o: Partial<Pkt> = {}): Pkt => data(LAN, t, 1000, 3 * MSS, 700, { tcpFlags: TcpFlag.ACK | TcpFlag.PSH, ...o });
  const piece = (k: number, t: number, o: Partial<Pkt> = {}): Pkt =>
    data(WAN, t, 1000 + k * MSS, MSS, 700 + k, { tcpFlags: k === 2 ? TcpFlag.ACK | TcpFlag.PSH : TcpFlag.ACK, srcMac: GW_WAN_MAC, ...o });

  test('the merged arrival is matched to its first piece, the other pieces count as forwarded with it', () => {
    const f = new Feeder({ macs });
    const m = f.push(merged(0));
    const p0 = f.push(piece(0, 20_000));
    f.push(piece(1, 21_000));
    const p2 = f.push(piece(2, 22_000));
    const s = f.finish();
    const lan = conn(s, LAN, APP, 30000);
    const wan = conn(s, WAN, EIP, 40000);
    expect(count(lan, 0, Dir.IN, true)).toBe(1);
    expect(count(lan, 0, Dir.IN, false)).toBe(0);
    expect(count(wan, 0, Dir.OUT, true)).toBe(3);
    expect(count(wan, 0, Dir.OUT, false)).toBe(0);
    expect(s.unseenCopies).toBe(0);
    expect(findRoot(s, lan.id)).toBe(findRoot(s, wan.id));
    expect(s.cut.mergedOn[LAN]).toBe(1);
    expect(s.cut.piecesOn[WAN]).toBe(3);
    const arrival = lan.samples.find((p) => p.frame === m)!;
    expect(arrival.offload).toBe('merged');
    expect(arrival.match?.frame).toBe(p0);
    const last = wan.samples.find((p) => p.frame === p2)!;
    expect(last.offload).toBe('piece');
    expect(last.match?.frame).toBe(m);
    expect(lan.latencies[0]).toBe(20_000);
  });

  test('the first piece captured before the merged arrival (clocks a little apart) is paired all the same', () => {
    const f = new Feeder({ macs });
    f.push(piece(0, 0));
    f.push(merged(5_000));
    f.push(piece(1, 21_000));
    f.push(piece(2, 22_000));
    const s = f.finish();
    expect(count(conn(s, LAN, APP, 30000), 0, Dir.IN, false)).toBe(0);
    expect(count(conn(s, WAN, EIP, 40000), 0, Dir.OUT, true)).toBe(3);
  });

  test('fixed-ID GSO (every piece with the merged IP ID) is followed too', () => {
    const f = new Feeder({ macs });
    f.push(merged(0));
    for (let k = 0; k < 3; k++) f.push(piece(k, 20_000 + k * 1_000, { ipId: 700 }));
    const s = f.finish();
    expect(count(conn(s, WAN, EIP, 40000), 0, Dir.OUT, true)).toBe(3);
  });

  test.each([
    ['other first bytes', { payloadHash: 0xbad }],
    ['another IP ID', { ipId: 999 }],
    ['another acknowledgment number', { tcpAck: 5001 }],
    ['a TTL two lower', { ttl: 62 }],
    ['the same interface', { iface: LAN, ttl: 63, srcMac: GW_LAN_MAC, dstMac: APP_MAC }],
    ['a reset flag', { tcpFlags: TcpFlag.ACK | TcpFlag.RST }],
  ])('a smaller segment with %s is no piece of it: the arrival stays unmatched', (_what, o) => {
    const f = new Feeder({ macs });
    f.push(merged(0));
    f.push(piece(0, 20_000, o as Partial<Pkt>));
    const s = f.finish();
    expect(count(conn(s, LAN, APP, 30000), 0, Dir.IN, false)).toBe(1);
    expect(s.cut.mergedOn[LAN]).toBeUndefined();
  });

  test('a later segment that does not start where the last piece ended, or runs past the merged end, is not taken for a piece', () => {
    const f = new Feeder({ macs });
    f.push(merged(0));
    f.push(piece(0, 20_000));
    f.push(piece(1, 21_000, { tcpSeq: 1000 + MSS + 1 })); // a gap: not the next piece
    f.push(data(WAN, 22_000, 1000 + MSS, 3 * MSS, 701, { srcMac: GW_WAN_MAC })); // beyond the merged end
    const s = f.finish();
    const wan = conn(s, WAN, EIP, 40000);
    expect(count(wan, 0, Dir.OUT, true)).toBe(1);
    expect(count(wan, 0, Dir.OUT, false)).toBe(2);
  });

  test('a segment that arrived as large as it left is matched as itself, not as a merged one', () => {
    const f = new Feeder({ macs });
    f.push(merged(0));
    f.push(data(WAN, 20_000, 1000, 3 * MSS, 700, { tcpFlags: TcpFlag.ACK | TcpFlag.PSH, srcMac: GW_WAN_MAC }));
    const s = f.finish();
    expect(s.matchedPairs).toBe(1);
    expect(s.cut.mergedOn[LAN]).toBeUndefined();
    expect(conn(s, LAN, APP, 30000).samples[0]!.offload).toBeNull();
  });
});

describe('correlator: a datagram fragmented again to a smaller MTU as it left', () => {
  // An echo request of 3000 bytes without DF from outside (WAN, TTL 64) to the EIP, in 1500-byte fragments, DNATed
  // to the app and fragmented again to LAN's 1280 (TTL 63). Only first fragments carry the ICMP header (the rest
  // are left out); the first fragments' lengths differ, their IP ID, ICMP type, sequence and first bytes do not.
  const first = (iface: number, t: number, payload: number, o: Partial<Pkt> = {}): Pkt => ({
    iface,
    t,
    proto: Proto.ICMP,
    src: REMOTE,
    dst: iface === WAN ? EIP : APP,
    ttl: iface === WAN ? 64 : 63,
    ipId: 4242,
    payloadLength: payload,
    payloadHash: 0xf1257,
    icmpType: 8,
    icmpId: 77,
    icmpSeq: 1,
    firstFragment: true,
    srcMac: iface === WAN ? UP_MAC : GW_LAN_MAC,
    dstMac: iface === WAN ? GW_WAN_MAC : APP_MAC,
    ...o,
  });
  const macs: [number, number][] = [[LAN, GW_LAN_MAC], [WAN, GW_WAN_MAC]];

  test('the first fragment that left is matched with the larger one that arrived', () => {
    const f = new Feeder({ macs, local: [EIP] });
    const a = f.push(first(WAN, 0, 1472));
    const b = f.push(first(LAN, 30_000, 1252));
    const s = f.finish();
    const wan = conn(s, WAN, REMOTE, 77);
    expect(count(wan, 0, Dir.IN, true)).toBe(1);
    expect(count(wan, 0, Dir.IN, false)).toBe(0);
    expect(s.cut.refragmentedOn[LAN]).toBe(1);
    expect(wan.samples.find((p) => p.frame === a)!.match?.frame).toBe(b);
  });

  test('a datagram that arrived whole and left fragmented is matched by its first fragment', () => {
    const f = new Feeder({ macs, local: [EIP] });
    f.push(first(WAN, 0, 1400, { firstFragment: false }));
    f.push(first(LAN, 30_000, 1252));
    const s = f.finish();
    expect(count(conn(s, WAN, REMOTE, 77), 0, Dir.IN, true)).toBe(1);
  });

  test.each([
    ['DF set on the arrival (it could not have been fragmented: mtu-exceeded territory)', { df: true }, {}],
    ['another IP ID', {}, { ipId: 4243 }],
    ['other first bytes', {}, { payloadHash: 0xbad }],
    ['another echo sequence', {}, { icmpSeq: 2 }],
    ['a TTL two lower', {}, { ttl: 62 }],
    ['a larger first fragment than the arrival', {}, { payloadLength: 1500 }],
  ])('no pairing with %s', (_what, arrivalChange, leftChange) => {
    const f = new Feeder({ macs, local: [EIP] });
    f.push(first(WAN, 0, 1472, arrivalChange as Partial<Pkt>));
    f.push(first(LAN, 30_000, 1252, leftChange as Partial<Pkt>));
    const s = f.finish();
    expect(count(conn(s, WAN, REMOTE, 77), 0, Dir.IN, false)).toBe(1);
    expect(s.cut.refragmentedOn[LAN]).toBeUndefined();
  });
});
