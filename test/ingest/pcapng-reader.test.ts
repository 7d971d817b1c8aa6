import { describe, expect, it } from 'vitest';
import { pcapngFile } from '../support/capture-writer.mjs';
import { generatedCaptures } from './generated-captures.js';
import { readBytes } from './read-all.js';

const data = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('pcapng reader', () => {
  it('reads two sections in both byte orders, interface ids per section, tsresol, tsoffset, SPB, PB, skipped blocks', () => {
    const multi = generatedCaptures().find((g) => g.name === 'multi-section.pcapng')!;
    for (const chunk of [Number.MAX_SAFE_INTEGER, 5]) {
      const { records, warnings, format, interfaces } = readBytes(multi.bytes, chunk);
      expect(warnings).toEqual([]);
      expect(format).toBe('pcapng');
      expect(interfaces).toEqual([
        { id: 0, name: 'inside', linkType: 1, snaplen: 262144, tsresol: '1e-6' },
        { id: 1, name: 'outside', linkType: 1, snaplen: 262144, tsresol: '1e-9' },
        { id: 2, name: 'pow2', linkType: 1, snaplen: 262144, tsresol: '2^-20' },
        { id: 3, name: 'again', linkType: 1, snaplen: 60, tsresol: '1e-6' },
        { id: 4, name: 'pow2-30', linkType: 1, snaplen: 262144, tsresol: '2^-30' },
      ]);
      // Frame 4 is the custom block: Wireshark numbers it, we count it without yielding it.
      expect(records.map((r) => [r.frame, r.interfaceId, r.interfaceName, r.tsSec, r.tsNsec, r.caplen, r.origLen])).toEqual([
        [1, 0, 'inside', 1_795_687_113, 123_456_000, 58, 58],
        [2, 1, 'outside', 1_795_687_113 + 3600, 987_654_321, 86, 86],
        [3, 2, 'pow2', 1_795_687_113, 500_002_861, 98, 98],
        [5, 0, 'inside', 1_795_687_114, 0, 54, 154],
        [6, 3, 'again', 0, 0, 58, 58],
        [7, 4, 'pow2-30', 1_795_687_115, 114_978_094, 87, 87],
        [8, 4, 'pow2-30', 1_795_687_116, 999_999_999, 98, 98],
        [9, 3, 'again', 1_795_687_117, 5000, 54, 54],
      ]);
    }
  });

  it('gives an SPB the smaller of its original length and the interface snaplen', () => {
    const bytes = pcapngFile([{ blocks: [{ type: 'idb', snaplen: 64 }, { type: 'spb', data: data(100, 4), origLen: 100 }, { type: 'spb', data: data(40, 5), origLen: 40 }] }]);
    const { records } = readBytes(bytes);
    expect(records.map((r) => [r.frame, r.caplen, r.origLen, r.data.length])).toEqual([
      [1, 64, 100, 64],
      [2, 40, 40, 40],
    ]);
  });

  it('skips a custom block larger than its buffer by streaming through it, checking the trailer', () => {
    const bytes = pcapngFile([
      {
        blocks: [
          { type: 'idb' },
          { type: 'raw', blockType: 0x40000bad, body: data(3 * 1024 * 1024, 1) },
          { type: 'raw', blockType: 0x00000004, body: data(2 * 1024 * 1024, 1) },
          { type: 'epb', ts: 5_000_001n, data: data(60, 2) },
        ],
      },
    ]);
    const { records, warnings } = readBytes(bytes, 100_000);
    expect(warnings).toEqual([]);
    expect(records.map((r) => [r.frame, r.tsSec, r.tsNsec, r.data[0]])).toEqual([[2, 5, 1000, 2]]);
    expect(records[0]!.offset).toBe(bytes.length - (32 + 60));
  });

  it('skips the packets of an interface with an unsupported link type, keeping frame numbers', () => {
    const warnings: unknown[] = [];
    const bytes = pcapngFile([
      {
        blocks: [
          { type: 'idb', linkType: 1, name: 'a' },
          { type: 'idb', linkType: 147, name: 'user0' },
          { type: 'epb', interfaceId: 1, ts: 1n, data: data(20, 1) },
          { type: 'epb', interfaceId: 0, ts: 2n, data: data(20, 2) },
        ],
      },
    ]);
    const got = readBytes(bytes, undefined, { onWarning: (w) => warnings.push(w) });
    expect(got.records.map((r) => [r.frame, r.interfaceName])).toEqual([[2, 'a']]);
    expect(got.warnings.map((w) => [w.code, w.file, w.offset])).toEqual([['unknown-link-type', 'mem.pcap', 28 + 32]]);
  });
});
