/**
 * Oracle: pcap-parser (an independent JavaScript reader) must see the same records as ours in every
 * classic microsecond pcap — timestamp, captured and original length, bytes — record by record.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { classicMicroCaptures } from './captures-under-test.js';
import { readAll } from './read-all.js';

const require = createRequire(import.meta.url);
const pcapParser = require('pcap-parser') as { parse(path: string): NodeJS.EventEmitter };

interface ParserPacket {
  header: { timestampSeconds: number; timestampMicroseconds: number; capturedLength: number; originalLength: number };
  data: Buffer;
}

function parseAll(path: string): Promise<ParserPacket[]> {
  return new Promise((resolvePackets, reject) => {
    const out: ParserPacket[] = [];
    const parser = pcapParser.parse(path);
    parser.on('packet', (p: ParserPacket) => out.push({ header: p.header, data: Buffer.from(p.data) }));
    parser.on('error', reject);
    parser.on('end', () => resolvePackets(out));
  });
}

describe('reader agrees with pcap-parser on classic µs pcaps', () => {
  const captures = classicMicroCaptures();
  it('has field and generated captures to compare', () => {
    expect(captures.filter((c) => c.path.includes('/shared/field/')).length).toBeGreaterThanOrEqual(10);
    expect(captures.some((c) => c.path.endsWith('us-big.pcap'))).toBe(true);
  });
  for (const c of captures) {
    it(c.path.replace(/^.*\/(field|natlens-generated-[^/]+)\//, ''), async () => {
      const theirs = await parseAll(c.path);
      const { records, warnings } = readAll(c.path);
      expect(warnings).toEqual([]);
      expect(theirs.length).toBeGreaterThan(0);
      expect(records.length).toBe(theirs.length);
      for (let i = 0; i < theirs.length; i++) {
        const t = theirs[i]!;
        const r = records[i]!;
        expect([r.frame, r.tsSec, r.tsNsec, r.caplen, r.origLen]).toEqual([
          i + 1,
          t.header.timestampSeconds,
          t.header.timestampMicroseconds * 1000,
          t.header.capturedLength,
          t.header.originalLength,
        ]);
        expect(Buffer.from(r.data).equals(t.data)).toBe(true);
      }
    });
  }
});
