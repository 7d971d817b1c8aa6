import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/model/errors.js';
import { openCapture } from '../../src/ingest/open-capture.js';
import { concat, pcapFile, pcapFileHeader, pcapngFile, pcapRecord } from '../support/capture-writer.mjs';
import { readAll, readBytes } from './read-all.js';

const data = (n: number, fill = 0) => new Uint8Array(n).fill(fill);
const dir = mkdtempSync(join(tmpdir(), 'natlens-malformed-'));
function file(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/** The InputError a call throws, as data. */
function errorOf(fn: () => unknown): { code: string; file: string; offset: number | undefined } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    const ie = e as InputError;
    return { code: ie.code, file: ie.file, offset: ie.offset };
  }
  throw new Error('expected an InputError');
}

const goodPcap = () => pcapFile({ records: [{ sec: 1, frac: 1, data: data(60, 1) }, { sec: 2, frac: 2, data: data(70, 2) }] });

describe('malformed captures: errors', () => {
  it('a text file is not a capture', () => {
    const p = file('notes.pcap', 'net.ipv4.ip_forward = 1\n');
    expect(errorOf(() => openCapture(p))).toEqual({ code: 'not-a-capture', file: p, offset: 0 });
  });

  it('an empty file', () => {
    const p = file('empty.pcap', '');
    expect(errorOf(() => openCapture(p))).toEqual({ code: 'empty-file', file: p, offset: 0 });
  });

  it('a missing file and a directory are io errors naming the path', () => {
    const missing = join(dir, 'nope.pcap');
    expect(errorOf(() => openCapture(missing))).toEqual({ code: 'io', file: missing, offset: undefined });
    expect(errorOf(() => openCapture(dir))).toEqual({ code: 'io', file: dir, offset: undefined });
  });

  it('a pcap file header cut short', () => {
    const p = file('short-header.pcap', pcapFileHeader().subarray(0, 20));
    expect(errorOf(() => openCapture(p))).toEqual({ code: 'truncated', file: p, offset: 0 });
  });

  it('an unsupported pcap version', () => {
    const p = file('v3.pcap', pcapFileHeader({ versionMajor: 3 }));
    expect(errorOf(() => openCapture(p))).toEqual({ code: 'bad-header', file: p, offset: 4 });
  });

  it('a pcapng block length that is not a multiple of 4, or below 12', () => {
    for (const length of [13, 8, 0]) {
      const bytes = pcapngFile([{ blocks: [{ type: 'idb' }, { type: 'raw', blockType: 6, body: data(32), length }] }]);
      const p = file(`len-${length}.pcapng`, bytes);
      expect(errorOf(() => readAll(p))).toEqual({ code: 'bad-block', file: p, offset: 28 + 20 });
    }
  });

  it('a pcapng block claiming gigabytes is refused without allocating them', () => {
    const bytes = pcapngFile([{ blocks: [{ type: 'idb' }, { type: 'raw', blockType: 6, body: data(32), length: 0xfffffff0 }] }]);
    const p = file('huge-block.pcapng', bytes);
    const before = process.memoryUsage().arrayBuffers;
    expect(errorOf(() => readAll(p))).toEqual({ code: 'bad-block', file: p, offset: 48 });
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a pcapng block whose trailer differs from its header', () => {
    const bytes = pcapngFile([{ blocks: [{ type: 'idb' }, { type: 'epb', ts: 1n, data: data(60) }, { type: 'raw', blockType: 6, body: data(32), trailer: 40 }] }]);
    const p = file('trailer.pcapng', bytes);
    const seen: number[] = [];
    expect(
      errorOf(() => {
        for (const r of openCapture(p).records()) seen.push(r.frame);
      }),
    ).toEqual({ code: 'bad-block', file: p, offset: 28 + 20 + 32 + 60 });
    expect(seen).toEqual([1]);
  });

  it('an EPB whose captured length exceeds its block, and one naming an undeclared interface', () => {
    const over = pcapngFile([{ blocks: [{ type: 'idb' }, { type: 'epb', ts: 1n, data: data(60), caplen: 200 }] }]);
    expect(errorOf(() => readBytes(over))).toMatchObject({ code: 'bad-block', offset: 48 });
    const noIf = pcapngFile([{ blocks: [{ type: 'idb' }, { type: 'epb', interfaceId: 3, ts: 1n, data: data(60) }] }]);
    expect(errorOf(() => readBytes(noIf))).toMatchObject({ code: 'bad-block', offset: 48 });
  });

  it('a pcapng file whose section header is cut short', () => {
    const p = file('short-shb.pcapng', pcapngFile([{ blocks: [] }]).subarray(0, 20));
    expect(errorOf(() => readAll(p))).toEqual({ code: 'truncated', file: p, offset: 0 });
  });

  it('a pcapng section header with a broken byte-order magic', () => {
    const bytes = pcapngFile([{ blocks: [{ type: 'idb' }] }]);
    bytes.set([0xde, 0xad, 0xbe, 0xef], 8);
    expect(errorOf(() => readBytes(bytes))).toMatchObject({ code: 'not-a-capture', offset: 0 });
    // A second section may not be sniffed first: the reader itself must refuse it.
    const two = concat([pcapngFile([{ blocks: [{ type: 'idb' }] }]), pcapngFile([{ blocks: [] }])]);
    two.set([0xde, 0xad, 0xbe, 0xef], 48 + 8);
    expect(errorOf(() => readBytes(two))).toMatchObject({ code: 'bad-header', offset: 48 + 8 });
  });

  it('a classic pcap record claiming more than 256 MiB mid-file: the records before it, then bad-header', () => {
    const bytes = concat([pcapFileHeader(), pcapRecord({ sec: 1, frac: 0, data: data(60, 1) }), pcapRecord({ sec: 2, frac: 0, data: data(60, 2), caplen: 0x7fffffff }), pcapRecord({ sec: 3, frac: 0, data: data(60, 3) })]);
    const p = file('absurd-caplen.pcap', bytes);
    const seen: number[] = [];
    const before = process.memoryUsage().arrayBuffers;
    expect(
      errorOf(() => {
        for (const r of openCapture(p).records()) seen.push(r.frame);
      }),
    ).toEqual({ code: 'bad-header', file: p, offset: 24 + 16 + 60 });
    expect(seen).toEqual([1]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 1024 * 1024);
  });
});

describe('malformed captures: warnings, and the rest is used', () => {
  it('a classic pcap whose last record is cut short (tcpdump killed mid-write)', () => {
    const whole = goodPcap();
    for (const cut of [1, 10, 16, 40]) {
      const p = file(`cut-${cut}.pcap`, whole.subarray(0, whole.length - cut));
      const { records, warnings } = readAll(p);
      expect(records.map((r) => r.frame)).toEqual([1]);
      expect(warnings.map((w) => [w.code, w.file, w.offset])).toEqual([['truncated', p, 24 + 16 + 60]]);
    }
  });

  it('a classic pcap cut inside the next record header', () => {
    const whole = goodPcap();
    const p = file('cut-header.pcap', whole.subarray(0, 24 + 16 + 60 + 9));
    const { records, warnings } = readAll(p);
    expect(records.map((r) => r.frame)).toEqual([1]);
    expect(warnings.map((w) => [w.code, w.offset])).toEqual([['truncated', 100]]);
  });

  it('a record claiming 100 MiB near the end of a small file: truncated, quickly, without allocating it', () => {
    const bytes = concat([pcapFileHeader(), pcapRecord({ sec: 1, frac: 0, data: data(60, 1) }), pcapRecord({ sec: 2, frac: 0, data: data(60, 2), caplen: 100 * 1024 * 1024 })]);
    const before = process.memoryUsage().arrayBuffers;
    const { records, warnings } = readBytes(bytes);
    expect(records.map((r) => r.frame)).toEqual([1]);
    expect(warnings.map((w) => [w.code, w.offset])).toEqual([['truncated', 100]]);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 1024 * 1024);
  });

  it('a pcapng file whose last block is cut short', () => {
    const whole = pcapngFile([{ blocks: [{ type: 'idb' }, { type: 'epb', ts: 1n, data: data(60) }, { type: 'epb', ts: 2n, data: data(60) }] }]);
    for (const cut of [1, 50, 88]) {
      const p = file(`cut-${cut}.pcapng`, whole.subarray(0, whole.length - cut));
      const { records, warnings } = readAll(p);
      expect(records.map((r) => r.frame)).toEqual([1]);
      expect(warnings.map((w) => [w.code, w.offset])).toEqual([['truncated', 28 + 20 + 92]]);
    }
  });

  it('a classic pcap of an unknown link type: a warning naming file and type, no packets', () => {
    const p = file('usb.pcap', pcapFile({ linkType: 189, records: [{ sec: 1, frac: 0, data: data(30) }] }));
    const { records, warnings } = readAll(p);
    expect(records).toEqual([]);
    expect(warnings.map((w) => [w.code, w.file, w.offset])).toEqual([['unknown-link-type', p, 20]]);
    expect(warnings[0]!.message).toContain('189');
  });

  it('a pcapng interface with a timestamp resolution finer than 1e-15 s: a warning, its packets skipped', () => {
    const bytes = pcapngFile([{ blocks: [{ type: 'idb', tsresol: 20 }, { type: 'idb' }, { type: 'epb', interfaceId: 0, ts: 1n, data: data(20) }, { type: 'epb', interfaceId: 1, ts: 1n, data: data(20) }] }]);
    const { records, warnings } = readBytes(bytes);
    expect(records.map((r) => [r.frame, r.interfaceId])).toEqual([[2, 1]]);
    expect(warnings.map((w) => [w.code, w.offset])).toEqual([['bad-header', 28]]);
  });
});
