/**
 * pcapng Interface Statistics Blocks: when a capture really started and stopped, and how many packets the
 * capture itself lost. Generated files in both byte orders, and the real ones dumpcap writes in the lab.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeCaptures } from '../../src/correlate/capture-merge.js';
import { openCapture } from '../../src/ingest/open-capture.js';
import { LAB_AVAILABLE, useLabOutput } from '../lab/lab-output.js';
import { pcapngFile } from '../support/capture-writer.mjs';
import { ethernetFrame, icmpEcho, ipv4, ipv4Packet } from '../support/frames.mjs';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';

const frame = ethernetFrame({ src: '020000000001', dst: '020000000002', payload: ipv4Packet({ src: ipv4('10.1.0.2'), dst: ipv4('192.0.2.9'), proto: 1, payload: icmpEcho({ type: 8, id: 7, seq: 1 }) }) });

function statsOf(bytes: Uint8Array) {
  const dir = mkdtempSync(join(tmpdir(), 'natlens-isb-'));
  const path = join(dir, 'c.pcapng');
  writeFileSync(path, bytes);
  const c = openCapture(path);
  let packets = 0;
  for (const _ of c.records()) packets++;
  return { packets, stats: c.statistics, path };
}

/** The capture window mergeCaptures gives the file at `path` (its run, its drops). */
function windowOf(path: string) {
  return mergeCaptures([path], { interfaceNames: new Map(), onWarning: () => {} }, { packet: () => {} })[0]!;
}

describe('pcapng interface statistics', () => {
  for (const littleEndian of [true, false]) {
    it(`reads start, end and the drop counters (${littleEndian ? 'little' : 'big'}-endian, nanosecond interface)`, () => {
      const sec = 1_796_534_683n;
      const { stats } = statsOf(
        pcapngFile([
          {
            littleEndian,
            blocks: [
              { type: 'idb', name: 'wan9', tsresol: 9 },
              { type: 'epb', ts: sec * 1_000_000_000n + 5n, data: frame },
              { type: 'isb', ts: (sec + 2n) * 1_000_000_000n, start: sec * 1_000_000_000n - 250_000_000n, end: (sec + 2n) * 1_000_000_000n, ifrecv: 12n, ifdrop: 3n, osdrop: 4n },
            ],
          },
        ]),
      );
      expect(stats).toHaveLength(1);
      const s = stats[0]!;
      expect(s.interfaceId).toBe(0);
      expect(s.received).toBe(12);
      expect(s.interfaceDropped).toBe(3);
      expect(s.osDropped).toBe(4);
      // Read in the interface's resolution first, then as microseconds (dumpcap's habit).
      expect(s.start[0]).toEqual({ sec: Number(sec) - 1, nsec: 750_000_000 });
      expect(s.end[0]).toEqual({ sec: Number(sec) + 2, nsec: 0 });
      expect(s.start).toHaveLength(2);
    });
  }

  it('picks the reading that fits the packets: dumpcap writes microseconds on a nanosecond interface', () => {
    const sec = 1_796_534_683n;
    const bytes = pcapngFile([
      {
        blocks: [
          { type: 'idb', name: 'lan1', tsresol: 9 },
          { type: 'epb', ts: sec * 1_000_000_000n + 500_000_000n, data: frame },
          { type: 'epb', ts: (sec + 1n) * 1_000_000_000n, data: frame },
          // µs counts, as dumpcap writes them: 0.2 s before the first packet, 2.3 s after the last.
          { type: 'isb', ts: 0n, start: sec * 1_000_000n + 300_000n, end: (sec + 3n) * 1_000_000n + 300_000n, ifdrop: 0n },
        ],
      },
    ]);
    const { path } = statsOf(bytes);
    const w = windowOf(path);
    expect(w.ranFrom).toEqual({ sec: Number(sec), nsec: 300_000_000 });
    // The recorded end less the second a stopped dumpcap may not have written.
    expect(w.ranTo).toEqual({ sec: Number(sec) + 2, nsec: 300_000_000 });
    expect(w.dropped).toBe(0);
  });

  it('a start read a moment after the first packet (dumpcap reads its clock after opening): the run begins with that packet', () => {
    const sec = 1_796_594_501n;
    const bytes = pcapngFile([
      {
        blocks: [
          { type: 'idb', name: 'wan9.7', tsresol: 9 },
          { type: 'epb', ts: sec * 1_000_000_000n + 4_277_811n, data: frame },
          { type: 'epb', ts: (sec + 6n) * 1_000_000_000n, data: frame },
          // µs counts: the start 201 µs after the first packet, as a real dumpcap run wrote it; the end after the last.
          { type: 'isb', ts: 0n, start: sec * 1_000_000n + 4_479n, end: (sec + 7n) * 1_000_000n + 500_000n, ifdrop: 0n },
        ],
      },
    ]);
    const { path } = statsOf(bytes);
    const w = windowOf(path);
    expect(w.ranFrom).toEqual(w.first);
    expect(w.ranFrom).toEqual({ sec: Number(sec), nsec: 4_277_811 });
    expect(w.ranTo).toEqual({ sec: Number(sec) + 6, nsec: 500_000_000 });
  });

  it('a stop recorded less than a second after the last packet: the run ends with that packet (the last block may be unwritten)', () => {
    const sec = 1_796_606_785n;
    const bytes = pcapngFile([
      {
        blocks: [
          { type: 'idb', name: 'net1', tsresol: 9 },
          { type: 'epb', ts: sec * 1_000_000_000n, data: frame },
          { type: 'epb', ts: sec * 1_000_000_000n + 134_579_905n, data: frame },
          // As a real dumpcap run wrote it, stopped by SIGINT during a ping every 50 ms: 0.26 s after the last packet written.
          { type: 'isb', ts: 0n, start: sec * 1_000_000n - 100_000n, end: sec * 1_000_000n + 393_935n, ifrecv: 2n, ifdrop: 0n },
        ],
      },
    ]);
    const w = windowOf(statsOf(bytes).path);
    expect(w.ranTo).toEqual(w.last);
    expect(w.ranFrom).toEqual({ sec: Number(sec) - 1, nsec: 900_000_000 });
  });

  it('a classic pcap says nothing of its run or its drops', () => {
    const w = windowOf(join(__dirname, '../../samples/healthy', readdirSync(join(__dirname, '../../samples/healthy')).find((f) => f.endsWith('.pcap'))!));
    expect(w.ranFrom).toBeNull();
    expect(w.dropped).toBeNull();
  });
});

describe.skipIf(!LAB_AVAILABLE)('pcapng interface statistics written by dumpcap in the lab', () => {
  const out = useLabOutput();

  it('every lab pcapng: one block per interface, counting its packets, no drops, a run around its packets', () => {
    // One dumpcap per interface writes one interface per file; one for both (pcapng-multi), two in one file.
    const files = readdirSync(out()).flatMap((d) => {
      try {
        return readdirSync(join(out(), d)).filter((f) => f.endsWith('.pcapng')).map((f) => join(out(), d, f));
      } catch {
        return [];
      }
    });
    expect(files.length).toBeGreaterThan(0);
    for (const path of files) {
      const c = openCapture(path);
      const packets = new Map<number, number>();
      for (const r of c.records()) packets.set(r.interfaceId, (packets.get(r.interfaceId) ?? 0) + 1);
      expect(c.statistics.map((s) => s.interfaceId).sort(), path).toEqual([...packets.keys()].sort());
      for (const s of c.statistics) expect(s.received, path).toBe(packets.get(s.interfaceId));
      const w = windowOf(path);
      expect(w.dropped, path).toBe(0);
      const ns = (t: { sec: number; nsec: number }) => t.sec * 1e9 + t.nsec;
      expect(w.ranFrom, path).not.toBeNull();
      expect(w.ranTo, path).not.toBeNull();
      expect(ns(w.ranFrom!)).toBeLessThanOrEqual(ns(w.first!));
      expect(ns(w.ranTo!)).toBeGreaterThanOrEqual(ns(w.last!));
      // dumpcap starts before the lab's traffic and stops within seconds of it.
      expect(ns(w.first!) - ns(w.ranFrom!)).toBeLessThan(10e9);
      expect(ns(w.ranTo!) - ns(w.last!)).toBeLessThan(10e9);
    }
  });
});
