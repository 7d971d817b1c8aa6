import { describe, expect, it } from 'vitest';
import { sniffCaptureFormat } from '../../src/ingest/sniff-capture-format.js';
import { hexBytes } from '../support/frames.mjs';

describe('sniffCaptureFormat', () => {
  const table: [string, string, string | null][] = [
    ['µs little-endian', 'd4c3b2a1 0200 0400', 'pcap'],
    ['µs big-endian', 'a1b2c3d4 0002 0004', 'pcap'],
    ['ns little-endian', '4d3cb2a1 0200 0400', 'pcap-ns'],
    ['ns big-endian', 'a1b23c4d 0002 0004', 'pcap-ns'],
    ['pcapng little-endian', '0a0d0d0a 1c000000 4d3c2b1a', 'pcapng'],
    ['pcapng big-endian', '0a0d0d0a 0000001c 1a2b3c4d', 'pcapng'],
    ['pcapng magic, wrong byte-order magic', '0a0d0d0a 1c000000 00000000', null],
    ['pcapng magic only', '0a0d0d0a', 'pcapng'],
    ['text', '6e65742e69707634', null],
    ['too short', 'd4c3b2', null],
    ['modified pcap (Kuznetsov), little-endian', '34cdb2a1 0200 0400', 'pcap'],
    ['modified pcap (Kuznetsov), big-endian', 'a1b2cd34 0002 0004', 'pcap'],
  ];
  for (const [what, hex, want] of table) {
    it(what, () => expect(sniffCaptureFormat(hexBytes(hex))).toBe(want));
  }
});
