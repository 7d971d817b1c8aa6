/**
 * Captures joined one after the other — pcapng files put together with `cat` (one section each) or `mergecap -a`
 * (one section, the second file's packets after the first's) — hold the interfaces' packets seconds or minutes out
 * of time order. Read as they come, no copy is matched across them and the analysis says nothing true; natlens
 * tells so (out-of-time-order) and reads each interface on its own, merged in time order: the same analysis as
 * the files given apart, frame numbers those of the joined file. Real captures: the field's pcapng set, the lab's.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { editedBundle, flowKeys, pcapRecordOffset } from '../support/bundle-edit.js';
import { fieldSets, REPO } from '../support/field.js';
import { HAVE_TSHARK, tsharkFields } from '../support/tshark.js';
import { generateNatPair } from '../bench/generate-nat-pair.mjs';
import { LAB_AVAILABLE, readLabJson, readScenarios, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-time-order-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const set = (n: string) => fieldSets().find((s) => s.name === n);

/** A copy of `dir` with the captures `files` joined, in that order, into one file `joined` (the others kept). */
function joined(dir: string, name: string, files: readonly string[], joinedName: string): string {
  const out = editedBundle(dir, join(tmp, name), Object.fromEntries([...files, 'lab.json'].map((f) => [f, null])));
  writeFileSync(join(out, joinedName), Buffer.concat(files.map((f) => readFileSync(join(dir, f)))));
  return out;
}

/** What an analysis concludes, without where its files are. */
function gist(a: Analysis, dir: string): unknown {
  return { findings: a.findings.map((f) => [f.check, f.severity, f.confidence, f.title.split(dir).join('DIR')]), flows: flowKeys(a) };
}

describe.skipIf(!set('healthy-pcapng'))('the real pcapng set, its two captures joined with cat (two sections)', () => {
  it('read per interface: every flow delivered as with the files apart, and the warning says what was done', async () => {
    const dir = set('healthy-pcapng')!.dir;
    const apart = await analyze([dir]);
    for (const order of [['eth0.pcap', 'net1.pcap'], ['net1.pcap', 'eth0.pcap']]) {
      const d = joined(dir, `cat-${order[0]}`, order, 'both.pcapng');
      const a = await analyze([d]);
      expect(gist(a, d)).toEqual(gist(apart, dir));
      expect(a.summary.verdict).toBe('ok');
      const w = a.warnings.find((x) => x.code === 'out-of-time-order')!;
      expect(w.file).toBe(join(d, 'both.pcapng'));
      expect(w.message).toMatch(/^the packets of this capture are not in time order: from frame \d+ on, \d+ go back in time, by up to [\d.]+ m?s — captures joined one after the other/);
      expect(w.message).toContain('Each of its interfaces was read on its own and merged with the rest in time order');
      expect(a.inputs.find((i) => i.path.endsWith('both.pcapng'))).toMatchObject({ packets: apart.inputs.filter((i) => i.kind === 'capture').reduce((n, i) => n + i.packets, 0), interfaces: ['eth0', 'net1'] });
    }
  });

  it("frame numbers are the joined file's: the second capture's frames come after the first's", async () => {
    const dir = set('healthy-pcapng')!.dir;
    const first = (await analyze([join(dir, 'eth0.pcap')])).inputs[0]!.packets;
    const a = await analyze([joined(dir, 'cat-frames', ['eth0.pcap', 'net1.pcap'], 'both.pcapng')]);
    const frames = a.flows.flatMap((f) => f.evidence ?? []).filter((e) => e.kind === 'frame');
    const net1 = frames.filter((e) => e.kind === 'frame' && e.iface === 'net1');
    expect(net1.length).toBeGreaterThan(0);
    for (const e of net1) if (e.kind === 'frame') expect(e.frame).toBeGreaterThan(first);
    // Each cited frame is the packet Wireshark shows at that number in the joined file (its IP ID).
    if (!HAVE_TSHARK) return;
    const ids = new Map(tsharkFields(join(tmp, 'cat-frames', 'both.pcapng'), ['frame.number', 'ip.id']).map(([n, id]) => [Number(n), Number(id)] as const));
    let checked = 0;
    for (const e of frames) {
      const id = e.kind === 'frame' ? /, id (\d+),/.exec(e.summary)?.[1] : undefined;
      if (e.kind !== 'frame' || id === undefined) continue;
      expect(ids.get(e.frame), `${e.iface} frame ${e.frame}: ${e.summary}`).toBe(Number(id));
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });
});

describe.skipIf(!set('healthy'))('one interface out of time order (nothing to split)', () => {
  it('is said, with how to put it right', async () => {
    const dir = set('healthy')!.dir;
    const bytes = readFileSync(join(dir, 'eth0.pcap'));
    // The second half of the records before the first half: one capture, its packets seconds out of order.
    let n = 0;
    for (let at = 24; at + 16 <= bytes.length; at += 16 + bytes.readUInt32LE(at + 8)) n++;
    const mid = pcapRecordOffset(bytes, Math.floor(n / 2) + 1);
    const swapped = Buffer.concat([bytes.subarray(0, 24), bytes.subarray(mid), bytes.subarray(24, mid)]);
    const d = editedBundle(dir, join(tmp, 'swapped'), { 'eth0.pcap': () => swapped, 'lab.json': null });
    const a = await analyze([d]);
    const w = a.warnings.find((x) => x.code === 'out-of-time-order')!;
    expect(w.file).toBe(join(d, 'eth0.pcap'));
    expect(w.message).toContain('merge them in time order (mergecap -w merged.pcapng <files>, without -a) or give the captures as separate files');
    // The verdict says first that it cannot be trusted.
    expect(a.summary.sentence).toMatch(new RegExp(`^${join(d, 'eth0.pcap').replace(/[.]/g, '\\.')} is not in time order \\(captures joined one after the other\\), so copies across it were not matched: not to be trusted — `));
  });
});

describe.skipIf(!set('healthy-pcapng'))('captures joined and given on standard input (read once: not again per interface)', () => {
  it('the verdict says first that it cannot be trusted', () => {
    const dir = set('healthy-pcapng')!.dir;
    const input = Buffer.concat([readFileSync(join(dir, 'eth0.pcap')), readFileSync(join(dir, 'net1.pcap'))]);
    const r = spawnSync(process.execPath, [join(REPO, 'bin/natlens'), 'analyze', '-', '--format', 'json'], { input, encoding: 'utf8' });
    const a = JSON.parse(r.stdout) as Analysis;
    expect(a.summary.sentence).toMatch(/^standard input is not in time order \(captures joined one after the other\), so copies across it were not matched: not to be trusted — /);
    expect(a.warnings.find((w) => w.code === 'out-of-time-order')!.message).toContain('They are read as they come');
  });
});

describe.skipIf(!HAVE_TSHARK || !set('healthy-pcapng'))('mergecap -a (one section, the second file after the first)', () => {
  it('is read per interface too', async () => {
    const dir = set('healthy-pcapng')!.dir;
    const d = editedBundle(dir, join(tmp, 'mergecap-a'), { 'eth0.pcap': null, 'net1.pcap': null, 'lab.json': null });
    const r = spawnSync('mergecap', ['-a', '-F', 'pcapng', '-w', join(d, 'gw.pcapng'), join(dir, 'eth0.pcap'), join(dir, 'net1.pcap')]);
    expect(r.status, String(r.stderr)).toBe(0);
    const a = await analyze([d]);
    expect(gist(a, d)).toEqual(gist(await analyze([dir]), dir));
    expect(a.warnings.map((w) => w.code)).toContain('out-of-time-order');
  });
});

describe.skipIf(!HAVE_TSHARK)('pcapng files without interface names, long enough that the look at the file names the first only', () => {
  it('each interface is named by its MAC and judged over its own span: the same analysis as the captures apart', async () => {
    // 2.4 s of a generated NATed pair (12k packets a side, some lost), each side made a pcapng without if_name by
    // editcap, the two joined with cat: more packets in the first section than the look at a file's beginning reads.
    const dir = join(tmp, 'generated');
    generateNatPair(dir, { packets: 12_000, tickUs: 400 });
    const d = editedBundle(dir, join(tmp, 'generated-cat'), { 'lan0.pcap': null, 'wan0.pcap': null });
    const parts = ['lan0', 'wan0'].map((n) => {
      const r = spawnSync('editcap', ['-F', 'pcapng', join(dir, `${n}.pcap`), join(tmp, `${n}.pcapng`)]);
      expect(r.status, String(r.stderr)).toBe(0);
      return readFileSync(join(tmp, `${n}.pcapng`));
    });
    writeFileSync(join(d, 'gw.pcapng'), Buffer.concat(parts));
    const [a, apart] = [await analyze([d]), await analyze([dir])];
    expect(a.warnings.map((w) => w.code)).toContain('out-of-time-order');
    expect(flowKeys(a)).toEqual(flowKeys(apart));
    expect(a.findings.map((f) => [f.check, f.confidence, f.flows.length])).toEqual(apart.findings.map((f) => [f.check, f.confidence, f.flows.length]));
  }, 60_000);
});

describe.skipIf(!LAB_AVAILABLE)('every lab scenario with per-interface pcapng captures, joined with cat', () => {
  const out = useLabOutput();
  for (const [name, s] of Object.entries(readScenarios())) {
    if (s.capture !== 'pcapng') continue;
    it(`${name}: the same analysis as the captures apart`, async () => {
      const dir = join(out(), name);
      const { inside, outside } = readLabJson(dir);
      const files = readdirSync(dir);
      const parts = [`${outside}.pcapng`, `${inside}.pcapng`].filter((f) => files.includes(f));
      if (parts.length !== 2) return;
      const d = joined(dir, `lab-${name}`, parts, 'gateway.pcapng');
      expect(gist(await analyze([d]), d)).toEqual(gist(await analyze([dir]), dir));
    }, 60_000);
  }
});

describe.skipIf(!LAB_AVAILABLE)('captures as tcpdump and dumpcap write them', () => {
  const out = useLabOutput();
  it("are in time order enough: dumpcap's multi-interface files (up to a block timeout apart) and -i any ones raise no warning", async () => {
    const multi = Object.entries(readScenarios()).filter(([, s]) => s.capture === 'pcapng-multi' || s.capture === 'any' || s.capture === 'any-v1');
    expect(multi.length).toBeGreaterThan(3);
    for (const [name] of multi) {
      const a = await analyze([join(out(), name)]);
      expect(a.warnings.filter((w) => w.code === 'out-of-time-order').map((w) => `${name}: ${w.message}`)).toEqual([]);
    }
  }, 120_000);
});
