import { describe, expect, it } from 'vitest';
import { pcapFile } from '../support/capture-writer.mjs';
import { readBytes } from './read-all.js';

const frame = (n: number, fill: number) => new Uint8Array(n).fill(fill);

describe('classic pcap reader', () => {
  for (const littleEndian of [true, false]) {
    for (const nanosecond of [false, true]) {
      it(`${nanosecond ? 'ns' : 'µs'} ${littleEndian ? 'little' : 'big'}-endian: fields, frames, offsets, bytes`, () => {
        const bytes = pcapFile({
          littleEndian,
          nanosecond,
          snaplen: 96,
          linkType: 1,
          records: [
            { sec: 1_795_687_113, frac: nanosecond ? 123_456_789 : 123_456, data: frame(60, 1) },
            { sec: 1_795_687_114, frac: 0, data: frame(96, 2), origLen: 1514 },
            { sec: 4_294_967_295, frac: nanosecond ? 999_999_999 : 999_999, data: frame(14, 3) },
          ],
        });
        const { records, warnings, format, interfaces } = readBytes(bytes);
        expect(warnings).toEqual([]);
        expect(format).toBe(nanosecond ? 'pcap-ns' : 'pcap');
        expect(interfaces).toEqual([{ id: 0, name: '', linkType: 1, snaplen: 96, tsresol: nanosecond ? '1e-9' : '1e-6' }]);
        expect(records.map((r) => [r.frame, r.offset, r.tsSec, r.tsNsec, r.caplen, r.origLen, r.linkType, r.interfaceId])).toEqual([
          [1, 24, 1_795_687_113, nanosecond ? 123_456_789 : 123_456_000, 60, 60, 1, 0],
          [2, 24 + 16 + 60, 1_795_687_114, 0, 96, 1514, 1, 0],
          [3, 24 + 16 + 60 + 16 + 96, 4_294_967_295, nanosecond ? 999_999_999 : 999_999_000, 14, 14, 1, 0],
        ]);
        expect(records.map((r) => [r.data.length, r.data[0], r.data[r.data.length - 1]])).toEqual([
          [60, 1, 1],
          [96, 2, 2],
          [14, 3, 3],
        ]);
      });
    }
  }

  it('reads the same records whatever the read size (records straddling buffer refills)', () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ sec: 1_700_000_000 + i, frac: i, data: frame(1 + ((i * 37) % 300), i & 0xff) }));
    const bytes = pcapFile({ records });
    const whole = readBytes(bytes).records;
    for (const chunk of [1, 7, 16, 17, 4096]) {
      const got = readBytes(bytes, chunk).records;
      expect(got.length).toBe(200);
      expect(got).toEqual(whole);
    }
    expect(whole.map((r) => r.data.length)).toEqual(records.map((r) => r.data.length));
  });

  it('grows its buffer for a record larger than the first read (3 MiB jumbo record)', () => {
    const big = frame(3 * 1024 * 1024, 9);
    big[big.length - 1] = 7;
    const { records, warnings } = readBytes(pcapFile({ records: [{ sec: 1, frac: 0, data: frame(10, 1) }, { sec: 2, frac: 0, data: big }, { sec: 3, frac: 0, data: frame(10, 3) }] }), 65536);
    expect(warnings).toEqual([]);
    expect(records.map((r) => r.caplen)).toEqual([10, big.length, 10]);
    expect(records[1]!.data[big.length - 1]).toBe(7);
  });

  it('carries a µs field of 1e6 or more into the seconds instead of producing nsec ≥ 1e9', () => {
    const { records } = readBytes(pcapFile({ records: [{ sec: 10, frac: 2_500_000, data: frame(1, 0) }] }));
    expect([records[0]!.tsSec, records[0]!.tsNsec]).toEqual([12, 500_000_000]);
  });

  it('masks the FCS bits of the link-type word (pcap-savefile(5))', () => {
    const { records } = readBytes(pcapFile({ linkType: 0x10000000 | 1, records: [{ sec: 1, frac: 0, data: frame(20, 0) }] }));
    expect(records[0]!.linkType).toBe(1);
  });

  it('names LINUX_SLL2 records from the ifindex map', () => {
    const sll2 = (ifindex: number) => {
      const b = new Uint8Array(20 + 20);
      new DataView(b.buffer).setUint32(4, ifindex);
      return b;
    };
    const bytes = pcapFile({ linkType: 276, records: [{ sec: 1, frac: 0, data: sll2(218) }, { sec: 1, frac: 1, data: sll2(220) }, { sec: 1, frac: 2, data: sll2(5) }] });
    const names = new Map([
      [218, 'inside0'],
      [220, 'outside1'],
    ]);
    expect(readBytes(bytes, undefined, { interfaceNames: names }).records.map((r) => r.interfaceName)).toEqual(['inside0', 'outside1', '']);
    expect(readBytes(bytes).records.map((r) => r.interfaceName)).toEqual(['', '', '']);
  });
});
