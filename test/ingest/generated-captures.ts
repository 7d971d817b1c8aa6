/**
 * Captures we write ourselves to cover what the field captures do not: nanosecond and big-endian
 * classic pcap, pcapng with two sections in different byte orders, several interfaces, if_tsresol as
 * a power of 10 and of 2, if_tsoffset, SPB and obsolete PB, blocks to skip, 802.1Q tags, LINUX_SLL2.
 * Shared by the pcap-parser and tshark oracle tests and the `natlens packets` tests.
 */
import { pcapFile, pcapngFile } from '../support/capture-writer.mjs';
import { ethernetFrame, icmpEcho, ipv4, ipv4Packet, sll2Frame, tcpSegment, udpDatagram } from '../support/frames.mjs';

export interface GeneratedCapture {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** Classic microsecond pcap: pcap-parser can read it too. */
  readonly classicMicro: boolean;
}

const A = ipv4('192.0.2.10');
const B = ipv4('198.51.100.7');
const C = ipv4('172.16.9.1');

/** A small mix of Ethernet frames: TCP SYN with MSS, UDP, ICMP echo, one 802.1Q-tagged. */
function ethFrames(seed: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  out.push(
    ethernetFrame({
      payload: ipv4Packet({ src: A, dst: B, proto: 6, id: 100 + seed, ttl: 64, df: true, payload: tcpSegment({ src: A, dst: B, sport: 40000 + seed, dport: 443, seq: 0xfedcba98 - seed, mss: 1460 }) }),
    }),
  );
  out.push(
    ethernetFrame({
      payload: ipv4Packet({ src: B, dst: A, proto: 17, id: 7 * seed, ttl: 63, payload: udpDatagram({ src: B, dst: A, sport: 53, dport: 33000 + seed, payload: new Uint8Array(40 + seed).fill(seed) }) }),
    }),
  );
  out.push(
    ethernetFrame({
      payload: ipv4Packet({ src: A, dst: C, proto: 1, id: 0xffff - seed, ttl: 1, payload: icmpEcho({ id: 0x1234, seq: seed, payload: new Uint8Array(56).fill(0xab) }) }),
    }),
  );
  out.push(
    ethernetFrame({
      vlans: [{ id: 100 + seed }],
      payload: ipv4Packet({ src: C, dst: A, proto: 1, id: seed, ttl: 255, payload: icmpEcho({ type: 0, id: 0x1234, seq: seed, payload: new Uint8Array(8) }) }),
    }),
  );
  return out;
}

const T0 = 1_795_687_113; // a 2026 timestamp like the field captures

function classic(nanosecond: boolean, littleEndian: boolean): Uint8Array {
  const frames = [...ethFrames(1), ...ethFrames(2)];
  return pcapFile({
    littleEndian,
    nanosecond,
    snaplen: 65535,
    linkType: 1,
    records: frames.map((data, i) => ({ sec: T0 + i, frac: nanosecond ? 999_999_999 - i * 111_111_111 : 999_999 - i * 111_111, data })),
  });
}

function sll2(): Uint8Array {
  const frames = ethFrames(3).map((f, i) => sll2Frame({ ifindex: i % 2 === 0 ? 218 : 220, packetType: i % 2 === 0 ? 0 : 4, payload: f.subarray(14) }));
  return pcapFile({ linkType: 276, records: frames.map((data, i) => ({ sec: T0, frac: i * 10, data })) });
}

/**
 * Two sections: the first little-endian with a µs interface named "inside", a ns interface with
 * if_tsoffset, and a 2^-20 interface; the second big-endian, restarting interface ids, with SPB,
 * obsolete PB, NRB/ISB/custom blocks and a 2^-30 interface.
 */
function multiSection(): Uint8Array {
  const f = ethFrames(4);
  const g = ethFrames(5);
  return pcapngFile([
    {
      littleEndian: true,
      blocks: [
        { type: 'idb', linkType: 1, name: 'inside', snaplen: 262144 },
        { type: 'idb', linkType: 1, name: 'outside', tsresol: 9, tsoffset: 3600n },
        { type: 'idb', linkType: 1, name: 'pow2', tsresol: 0x80 | 20 },
        { type: 'epb', interfaceId: 0, ts: BigInt(T0) * 1_000_000n + 123_456n, data: f[0]! },
        { type: 'epb', interfaceId: 1, ts: BigInt(T0) * 1_000_000_000n + 987_654_321n, data: f[1]! },
        { type: 'raw', blockType: 4, body: new Uint8Array(8) }, // NRB (empty record list)
        { type: 'epb', interfaceId: 2, ts: (BigInt(T0) << 20n) + 0x80000n + 3n, data: f[2]! },
        { type: 'raw', blockType: 0x00000bad, body: new Uint8Array(16).fill(7) }, // custom block
        { type: 'epb', interfaceId: 0, ts: BigInt(T0 + 1) * 1_000_000n, data: f[3]!, origLen: f[3]!.length + 100 },
        { type: 'raw', blockType: 5, body: new Uint8Array(12) }, // ISB
      ],
    },
    {
      littleEndian: false,
      blocks: [
        { type: 'idb', linkType: 1, name: 'again', snaplen: 60 },
        { type: 'idb', linkType: 1, name: 'pow2-30', tsresol: 0x80 | 30 },
        { type: 'spb', data: g[0]!.subarray(0, 60), origLen: g[0]!.length },
        { type: 'pb', interfaceId: 1, ts: (BigInt(T0 + 2) << 30n) + 123_456_789n, data: g[1]! },
        { type: 'epb', interfaceId: 1, ts: (BigInt(T0 + 3) << 30n) + (1n << 30n) - 1n, data: g[2]! },
        { type: 'epb', interfaceId: 0, ts: BigInt(T0 + 4) * 1_000_000n + 5n, data: g[3]!.subarray(0, 60), origLen: g[3]!.length },
      ],
    },
  ]);
}

export function generatedCaptures(): GeneratedCapture[] {
  return [
    { name: 'us-little.pcap', bytes: classic(false, true), classicMicro: true },
    { name: 'us-big.pcap', bytes: classic(false, false), classicMicro: true },
    { name: 'ns-little.pcap', bytes: classic(true, true), classicMicro: false },
    { name: 'ns-big.pcap', bytes: classic(true, false), classicMicro: false },
    { name: 'sll2-any.pcap', bytes: sll2(), classicMicro: true },
    { name: 'multi-section.pcapng', bytes: multiSection(), classicMicro: false },
  ];
}
