/**
 * The old pcap variants Wireshark reads: records with longer headers — Linux's patched libpcaps of 1999 (24
 * bytes under the usual magic, Red Hat 6.1's tcpdump; 24 or 28 under the "modified" magic a1b2cd34) and Nokia
 * IPSO's (20). Nothing but the first records tells most of them apart; read as plain pcap they gave one packet
 * and a false "cut short" (Nokia), or a corrupt file (Red Hat), or no capture at all (modified magic).
 * Written here from the field's real captures in both byte orders, and by editcap, an independent writer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, flowKeys } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { HAVE_TSHARK } from '../support/tshark.js';
import { asVariant, PCAP_VARIANTS as VARIANTS } from './pcap-variant-writer.js';
import { readAll, readBytes, type CopiedRecord } from './read-all.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-pcap-variants-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What a record is, not where it lies in its file. */
const gist = (records: CopiedRecord[]) => records.map(({ offset: _offset, file: _file, ...r }) => ({ ...r, data: Buffer.from(r.data).toString('hex') }));

const classic = fieldSets().flatMap((s) =>
  readdirSync(s.dir)
    .filter((f) => f.endsWith('.pcap') && readFileSync(join(s.dir, f)).readUInt32LE(0) === 0xa1b2c3d4)
    .map((f) => ({ set: s, file: f, path: join(s.dir, f) })),
);

describe.skipIf(!classic.length)('pcap variants written from the real captures', () => {
  for (const v of VARIANTS) {
    for (const le of [true, false]) {
      it(`${v.name}, ${le ? 'little' : 'big'}-endian: every record as in the original`, () => {
        for (const c of classic) {
          const want = readAll(c.path);
          const bytes = asVariant(readFileSync(c.path), v, le);
          // Whole, and a few bytes a read (the look at the first records spans reads).
          for (const chunk of [Number.MAX_SAFE_INTEGER, 7]) {
            const got = readBytes(bytes, chunk);
            expect(got.format).toBe('pcap');
            expect(got.warnings, c.path).toEqual(want.warnings.map((w) => ({ ...w, file: 'mem.pcap' })));
            expect(gist(got.records), c.path).toEqual(gist(want.records));
          }
        }
      });
    }
  }

  it('a variant cut short mid-record: the records before it, and a warning that names its offset', () => {
    const c = classic[0]!;
    const bytes = asVariant(readFileSync(c.path), VARIANTS[0]!, true);
    const got = readBytes(bytes.subarray(0, bytes.length - 10));
    const want = readAll(c.path);
    expect(gist(got.records)).toEqual(gist(want.records.slice(0, -1)));
    expect(got.warnings).toEqual([expect.objectContaining({ code: 'truncated', message: expect.stringMatching(/^last record cut short \(\d+ of \d+ bytes\)/) })]);
  });
});

describe.skipIf(!classic.length || !HAVE_TSHARK)('pcap variants written by editcap', () => {
  const formats = ['modpcap', 'rh6_1pcap', 'suse6_3pcap', 'nokiapcap'];

  it('are read as the original', () => {
    for (const c of classic) {
      const want = gist(readAll(c.path).records);
      for (const format of formats) {
        const out = join(tmp, `${c.set.name}-${c.file}.${format}`);
        const r = spawnSync('editcap', ['-F', format, c.path, out]);
        expect(r.status, String(r.stderr)).toBe(0);
        expect(gist(readAll(out).records), `${c.path} as ${format}`).toEqual(want);
      }
    }
  });

  it('a real bundle whose captures editcap wrote as modified pcap: the same analysis', async () => {
    const set = classic[0]!.set;
    const pcaps = readdirSync(set.dir).filter((f) => f.endsWith('.pcap'));
    const d = editedBundle(set.dir, join(tmp, `bundle-${set.name}`), { 'lab.json': null });
    for (const f of pcaps) {
      const r = spawnSync('editcap', ['-F', 'modpcap', join(set.dir, f), join(d, f)]);
      expect(r.status, String(r.stderr)).toBe(0);
      expect(readFileSync(join(d, f)).readUInt32LE(0)).toBe(0xa1b2cd34);
    }
    const [a, b] = [await analyze([set.dir]), await analyze([d])];
    expect(flowKeys(b)).toEqual(flowKeys(a));
    expect(b.findings.map((f) => [f.check, f.confidence])).toEqual(a.findings.map((f) => [f.check, f.confidence]));
    expect(b.flows.length).toBeGreaterThan(0);
  });
});

describe('plain pcap is still read as plain pcap', () => {
  it('a file whose first records fit no variant keeps its own reading and its error', () => {
    // Two records; the second claims more bytes than any capture holds: corrupt, whatever the variant.
    const head = Buffer.from('d4c3b2a1020004000000000000000000ffff000001000000', 'hex');
    const rec = (caplen: number) => {
      const b = Buffer.alloc(16);
      b.writeUInt32LE(1_700_000_000, 0);
      b.writeUInt32LE(5, 4);
      b.writeUInt32LE(caplen, 8);
      b.writeUInt32LE(caplen, 12);
      return b;
    };
    const bytes = Buffer.concat([head, rec(60), Buffer.alloc(60, 0xee), rec(0x7fffffff), Buffer.alloc(40)]);
    writeFileSync(join(tmp, 'corrupt.pcap'), bytes);
    expect(() => readAll(join(tmp, 'corrupt.pcap'))).toThrow(/record 2 claims 2147483647 captured bytes/);
  });
});
