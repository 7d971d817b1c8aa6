/**
 * A capture rotated by tcpdump (`-C` by size: eth0.pcap, eth0.pcap1, …; `-G` by time) is one capture of its
 * interface in several files, one after the other. Taken file by file, no two of them overlap, and nothing
 * could be judged; each interface is covered from its first file's first packet to its last file's last.
 * Real field sets, each interface's capture cut into rotated files, give the original's analysis.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { coverage } from '../../src/correlate/correlate.js';
import { fileBaseName, type CaptureWindow } from '../../src/correlate/capture-merge.js';
import { editedBundle, flowKeys, pcapPrefix, pcapRecords, pcapSuffix } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput } from '../lab/lab-output.js';
import { HAVE_TSHARK } from '../support/tshark.js';
import { pcapngFile } from '../support/capture-writer.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-rotated-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));


/**
 * The classic pcap cut into `parts` files as tcpdump rotates it: `-C` names them name, name1, name2…; `-G` by the
 * time in a strftime pattern (`eth0-%H%M%S.pcap`), which names no interface tcpdump knows.
 */
function rotated(dir: string, name: string, bytes: Buffer, parts: number, naming: 'size' | 'time' = 'size'): void {
  const n = pcapRecords(bytes).length;
  const cuts = Array.from({ length: parts + 1 }, (_, k) => Math.round((k * n) / parts));
  for (let k = 0; k < parts; k++) {
    const piece = pcapPrefix(pcapSuffix(bytes, cuts[k]!), cuts[k + 1]! - cuts[k]!);
    const start = new Date(piece.readUInt32LE(24) * 1000).toISOString().slice(11, 19).replace(/:/g, '');
    writeFileSync(join(dir, naming === 'time' ? `${name.replace(/\.pcap$/, '')}-${start}.pcap` : k === 0 ? name : `${name}${k}`), piece);
  }
}

const sets = fieldSets().filter((s) => ['ip-forward-off', 'forward-drop', 'healthy', 'snat-missing'].includes(s.name));

describe.skipIf(sets.length === 0)('captures rotated into several files per interface, on real field sets', () => {
  for (const set of sets) {
    for (const parts of [2, 3]) {
      it(`${set.name}, each interface in ${parts} files: the original's analysis`, async () => {
        const original = await analyze([set.dir]);
        const dir = editedBundle(set.dir, join(tmp, `${set.name}-${parts}`), { 'eth0.pcap': null, 'net1.pcap': null });
        for (const name of ['eth0.pcap', 'net1.pcap']) rotated(dir, name, readFileSync(join(set.dir, name)), parts);
        const a = await analyze([dir]);
        expect(a.warnings.map((w) => w.code)).not.toContain('no-overlap');
        expect(a.inputs.filter((i) => i.kind === 'capture')).toHaveLength(2 * parts);
        expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
        expect(flowKeys(a)).toEqual(flowKeys(original));
      });
    }
    it(`${set.name}, each interface in 3 files named by time (-G): taken for it by MAC, the original's analysis`, async () => {
      const original = await analyze([set.dir]);
      const dir = editedBundle(set.dir, join(tmp, `${set.name}-G`), { 'eth0.pcap': null, 'net1.pcap': null });
      for (const name of ['eth0.pcap', 'net1.pcap']) rotated(dir, name, readFileSync(join(set.dir, name)), 3, 'time');
      const a = await analyze([dir]);
      expect(a.warnings.filter((w) => w.code === 'interface-by-mac')).toHaveLength(6);
      expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
      expect(flowKeys(a)).toEqual(flowKeys(original));
    });
  }
});

/**
 * Lab bundle `dir` with each capture cut by editcap (an independent writer) into 3 files of as many packets, as dumpcap's
 * ring buffer names them (`lan1_00001_20261207110535.pcap`): per-interface captures, a multi-interface pcapng, an -i any
 * capture. A file's first frame may be stamped before the last frames of the one before (a capture is a little out of
 * time order), so a reply may be read before its request.
 */
function ringBuffer(dir: string, name: string): string {
  const out = join(tmp, `ring-${name}`);
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(dir)) {
    if (!/\.pcap(ng)?$/.test(f)) {
      copyFileSync(join(dir, f), join(out, f));
      continue;
    }
    const n = Number(spawnSync('capinfos', ['-c', '-M', '-T', '-r', join(dir, f)], { encoding: 'utf8' }).stdout.trim().split('\t')[1]);
    const r = spawnSync('editcap', ['-c', String(Math.max(1, Math.ceil(n / 3))), join(dir, f), join(out, f)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`editcap -c ${f}: ${r.stderr}`);
  }
  return out;
}

describe.skipIf(!LAB_AVAILABLE || !HAVE_TSHARK)('captures rotated by dumpcap\'s ring buffer, on lab bundles', () => {
  // point-to-point: a link without MACs, whose files only their names tell (dumpcap's file number and time left off).
  it.each(['intermittent-drop', 'rules-lost', 'arp-disabled', 'backend-route-elsewhere', 'healthy', 'snat-missing', 'point-to-point'])(
    '%s, each capture in 3 files: the original\'s analysis',
    async (scenario) => {
      const dir = join(await labOutput(), scenario);
      const original = await analyze([dir]);
      const a = await analyze([ringBuffer(dir, scenario)]);
      expect(a.warnings.map((w) => w.code)).not.toContain('no-overlap');
      expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
      expect(flowKeys(a)).toEqual(flowKeys(original));
    },
    LAB_WAIT_MS,
  );
});

interface Frame {
  readonly iface: number;
  readonly ns: bigint;
  readonly data: Uint8Array;
}

/** The frames of a little-endian classic pcap (µs or ns, by its magic), read here rather than by natlens's reader. */
function pcapFrames(b: Buffer, iface: number): Frame[] {
  const scale = b.readUInt32LE(0) === 0xa1b23c4d ? 1n : 1000n;
  return pcapRecords(b).map((r) => ({ iface, ns: BigInt(r.sec) * 1_000_000_000n + BigInt(r.frac) * scale, data: r.data }));
}

/**
 * Frames of two interfaces as dumpcap writes them (`-i eth0 -i net1`): each interface's packets in batches, 200 ms of one
 * interface then 200 ms of the other, so that a frame is often stamped after the frames that follow it.
 */
function dumpcapOrder(a: Frame[], b: Frame[]): Frame[] {
  const start = [a[0]!.ns, b[0]!.ns].reduce((x, y) => (x < y ? x : y));
  const slice = (f: Frame) => (f.ns - start) / 200_000_000n;
  const last = [...a, ...b].reduce((m, f) => (slice(f) > m ? slice(f) : m), 0n);
  const out: Frame[] = [];
  for (let s = 0n; s <= last; s++) for (const frames of [a, b]) out.push(...frames.filter((f) => slice(f) === s));
  return out;
}

const pcapng = (names: string[], frames: Frame[]) =>
  pcapngFile([{ blocks: [...names.map((name) => ({ type: 'idb' as const, name, tsresol: 9 })), ...frames.map((f) => ({ type: 'epb' as const, interfaceId: f.iface, ts: f.ns, data: f.data }))] }]);

describe.skipIf(sets.length === 0)('a capture of two interfaces out of time order, rotated at any frame, on real field sets', () => {
  for (const set of sets.filter((s) => ['healthy', 'snat-missing'].includes(s.name))) {
    it(`${set.name}: read as the one capture it was, whichever frame the ring buffer cut at`, async () => {
      const frames = dumpcapOrder(pcapFrames(readFileSync(join(set.dir, 'eth0.pcap')), 0), pcapFrames(readFileSync(join(set.dir, 'net1.pcap')), 1));
      const names = ['eth0', 'net1'];
      const whole = await analyze([editedBundle(set.dir, join(tmp, `${set.name}-dumpcap`), { 'eth0.pcap': null, 'net1.pcap': null }, { 'gateway.pcapng': pcapng(names, frames) })]);
      expect(whole.warnings.map((w) => w.code)).not.toContain('out-of-time-order');
      // Cuts where the second file starts before the first file's latest frame: a merge by the files' heads alone
      // would let it overtake the first file's earlier frames.
      const latest = frames.map((_, k) => frames.slice(0, k).reduce((m, f) => (f.ns > m ? f.ns : m), 0n));
      const cuts = frames.map((_, k) => k).filter((k) => k > 0 && frames[k]!.ns < latest[k]!);
      expect(cuts.length).toBeGreaterThan(20);
      // And a first or last file with a single frame, of one of the two interfaces: it captured both all the same.
      for (const k of new Set([1, frames.length - 1, ...cuts.filter((_, i) => i % Math.ceil(cuts.length / 40) === 0)])) {
        const dir = editedBundle(set.dir, join(tmp, `${set.name}-dumpcap-${k}`), { 'eth0.pcap': null, 'net1.pcap': null }, {
          'gateway_00001_20261207110000.pcapng': pcapng(names, frames.slice(0, k)),
          'gateway_00002_20261207110200.pcapng': pcapng(names, frames.slice(k)),
        });
        const a = await analyze([dir]);
        expect([k, a.warnings.map((w) => w.code)]).toEqual([k, whole.warnings.map((w) => w.code)]);
        expect([k, a.findings.map((f) => [f.check, f.confidence, f.flows])]).toEqual([k, whole.findings.map((f) => [f.check, f.confidence, f.flows])]);
        expect([k, flowKeys(a)]).toEqual([k, flowKeys(whole)]);
      }
    });
  }
});

describe('fileBaseName', () => {
  it('names the capture a file holds: no extension, compression, tcpdump -C number, dumpcap ring buffer number and time', () => {
    expect(['eth0.pcap', 'eth0.pcap.gz', 'eth0.pcap1', 'wan9.7_00003_20261207110843.pcap', 'ppp0_20261207110843_00003.pcapng', 'dir/x_1_2.pcap', '-'].map(fileBaseName)).toEqual([
      'eth0',
      'eth0',
      'eth0',
      'wan9.7',
      'ppp0',
      'x_1_2',
      'stdin',
    ]);
  });
});

describe('coverage', () => {
  const w = (file: string, iface: string, from: number, to: number): CaptureWindow => ({
    file,
    format: 'pcap',
    packets: 1,
    bytes: 1,
    interfaces: [iface],
    everyInterface: false,
    interfaceIds: [],
    first: { sec: from, nsec: 0 },
    last: { sec: to, nsec: 0 },
    ranFrom: null,
    ranTo: null,
    dropped: null,
    sha256: null,
    spans: null,
  });

  it("joins an interface's files and names a silence between them longer than 10 s (a file left out?)", () => {
    const c = coverage([w('eth0.pcap', 'eth0', 100, 160), w('eth0.pcap2', 'eth0', 200, 260), w('eth0.pcap3', 'eth0', 262, 300), w('net1.pcap', 'net1', 101, 299)]);
    expect(c.map((x) => [x.name, x.from.sec, x.to.sec, x.gaps.map((g) => [g.file, g.after.sec, g.before.sec])])).toEqual([
      ['eth0', 100, 300, [['eth0.pcap2', 160, 200]]],
      ['net1', 101, 299, []],
    ]);
  });

  it('takes the files of an -i any capture for one capture, whatever each holds besides the interfaces all hold', () => {
    // What a Linux cooked file cannot place is named after the file: another name in each rotated file.
    const cooked = (file: string, from: number, to: number, interfaces: string[]): CaptureWindow => ({ ...w(file, 'x', from, to), interfaces, everyInterface: true });
    const c = coverage([
      cooked('any_00000_20261207110019.pcap', 100, 130, ['any_00000_20261207110019', 'ext2', 'vpc0']),
      cooked('any_00001_20261207110021.pcap', 130, 160, ['ext2', 'vpc0']),
      cooked('any_00002_20261207110023.pcap', 160, 200, ['any_00002_20261207110023', 'vpc0', 'ext2']),
    ]);
    expect(c.map((x) => [x.name, x.from.sec, x.to.sec, x.gaps.length])).toEqual([['ext2+vpc0', 100, 200, 0]]);
  });

  it('takes a capture of several interfaces (-i any) for them together, and files in any order', () => {
    const any = (file: string, from: number, to: number): CaptureWindow => ({ ...w(file, 'x', from, to), interfaces: ['net1', 'eth0'] });
    const c = coverage([any('any.pcap1', 150, 200), any('any.pcap', 100, 149)]);
    expect(c.map((x) => [x.name, x.from.sec, x.to.sec, x.gaps.length])).toEqual([['eth0+net1', 100, 200, 0]]);
  });
});
