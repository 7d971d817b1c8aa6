import { describe, expect, it } from 'vitest';
import { memorySource } from '../../src/ingest/byte-source.js';
import { openCapture } from '../../src/ingest/open-capture.js';
import { LinkType } from '../../src/model/capture.js';
import { enhancedPacketBlock, interfaceDescriptionBlock, sectionHeaderBlock } from '../../src/present/pcapng-writer.js';

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('pcapng-writer', () => {
  it('writes blocks whose lengths are 32-bit aligned and repeated in the trailer', () => {
    for (const b of [sectionHeaderBlock('natlens test'), interfaceDescriptionBlock(1, 65535, 'eth0'), enhancedPacketBlock(0, 1, 2, 5, Uint8Array.of(1, 2, 3, 4, 5), 'x')]) {
      const v = new DataView(b.buffer);
      expect(b.length % 4).toBe(0);
      expect(v.getUint32(4, true)).toBe(b.length);
      expect(v.getUint32(b.length - 4, true)).toBe(b.length);
    }
  });

  it('reads back through the project reader: names, link types, nanosecond times, bytes, original length', () => {
    const data1 = Uint8Array.from({ length: 61 }, (_, i) => i);
    const data2 = Uint8Array.from({ length: 20 }, (_, i) => 255 - i);
    const bytes = concat([
      sectionHeaderBlock('natlens test'),
      interfaceDescriptionBlock(LinkType.EN10MB, 262144, 'eth0'),
      interfaceDescriptionBlock(LinkType.LINUX_SLL2, 262144, 'net1 <weird> ✓'),
      enhancedPacketBlock(0, 1_795_687_122, 116_213_001, 61, data1, 'natlens f1 delivered: same packet as net1 frame 12, 41 µs'),
      // A packet cut short by the original capture keeps its original length.
      enhancedPacketBlock(1, 1_795_687_122, 999_999_999, 1500, data2, ''),
    ]);
    const cap = openCapture('mem.pcapng', { source: memorySource('mem.pcapng', bytes) });
    const got: { frame: number; name: string; link: number; sec: number; nsec: number; cap: number; orig: number; data: number[] }[] = [];
    for (const r of cap.records()) {
      got.push({ frame: r.frame, name: r.interfaceName, link: r.linkType, sec: r.tsSec, nsec: r.tsNsec, cap: r.caplen, orig: r.origLen, data: [...r.data] });
    }
    expect(cap.format).toBe('pcapng');
    expect(got).toEqual([
      { frame: 1, name: 'eth0', link: 1, sec: 1_795_687_122, nsec: 116_213_001, cap: 61, orig: 61, data: [...data1] },
      { frame: 2, name: 'net1 <weird> ✓', link: 276, sec: 1_795_687_122, nsec: 999_999_999, cap: 20, orig: 1500, data: [...data2] },
    ]);
  });

  it('cuts an over-long comment at a UTF-8 character boundary (option length is 16 bits)', () => {
    const b = enhancedPacketBlock(0, 0, 0, 0, new Uint8Array(0), 'µ'.repeat(40_000));
    const v = new DataView(b.buffer);
    const optLen = v.getUint16(28 + 2, true);
    expect(optLen).toBeLessThanOrEqual(65535);
    expect(optLen % 2).toBe(0); // 'µ' is two bytes: no half character
  });
});
