/**
 * A full conntrack table: new connections stop at the gateway, with no rule to blame, while the connections it
 * already tracks pass. The lab's conntrack-full bundle (the table at nf_conntrack_max, held by eight established
 * connections), and the same captures with the snapshot changed as reality changes it: taken when the table had
 * room again, with the kernel log or conntrack's counters as the only witnesses — or none.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-ct-full-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The count sysctl set to `n` (the table with room again, or nearly full), and the limit to `max` if given. */
const countOf = (n: number, max?: number) => (b: Buffer): Buffer => {
  const t = b.toString('utf8').replace(/^(net\.netfilter\.nf_conntrack_count) = \d+$/m, `$1 = ${n}`);
  return Buffer.from(max === undefined ? t : t.replace(/^(net\.netfilter\.nf_conntrack_max) = \d+$/m, `$1 = ${max}`));
};
const maxOf = (b: Buffer): number => Number(/^net\.netfilter\.nf_conntrack_max = (\d+)$/m.exec(b.toString('utf8'))![1]);
/** conntrack -S with no drops counted. */
const noDrops = (b: Buffer): Buffer => Buffer.from(b.toString('utf8').replace(/\b(drop|early_drop)=\d+/g, '$1=0'));

const stopped = (a: Analysis): string[] => a.flows.filter((f) => f.disposition === 'stopped-at-gateway').map((f) => f.id);

describe.skipIf(!LAB_AVAILABLE)('conntrack-table-full on the lab bundle', () => {
  let dir = '';
  let max = 0;
  beforeAll(async () => {
    dir = join(await labOutput(), 'conntrack-full');
    const { readFileSync } = await import('node:fs');
    max = maxOf(readFileSync(join(dir, 'sysctl.txt')));
  }, LAB_WAIT_MS);

  it('confirmed by the count at the limit: every new connection named, the evidence and the fix', async () => {
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['conntrack-table-full', 'error', 'confirmed']);
    expect(a.findings.filter((x) => x.severity === 'error')).toHaveLength(1);
    expect(f.flows).toEqual(stopped(a));
    expect(f.flows.length).toBeGreaterThanOrEqual(7);
    expect(f.evidence.filter((e) => e.kind === 'sysctl').map((e) => e.kind === 'sysctl' && [e.key, e.value])).toEqual([
      ['net.netfilter.nf_conntrack_count', String(max)],
      ['net.netfilter.nf_conntrack_max', String(max)],
    ]);
    // conntrack -S: the CPUs that counted drops, cited at their lines.
    expect(f.evidence.some((e) => e.kind === 'conntrack' && e.file.endsWith('conntrack-stats.txt') && /drop=[1-9]/.test(e.text))).toBe(true);
    // What fills the table, from conntrack -L.
    expect(f.evidence.some((e) => e.kind === 'note' && e.text.includes(`${max} tcp ESTABLISHED (100%)`))).toBe(true);
    expect(f.evidence.filter((e) => e.kind === 'frame').length).toBeGreaterThan(0);
    expect(f.detail).toContain(`${max} entries of the ${max}`);
    expect(f.detail).toMatch(/\d+ flows were forwarded, all begun before the captures/);
    expect(f.fix[0]).toBe(`sysctl -w net.netfilter.nf_conntrack_max=${2 * max}  # room for twice as many entries (a few hundred bytes of kernel memory each)`);
    expect(f.fix.some((c) => c.includes('/etc/sysctl.d/') && c.includes(`nf_conntrack_max = ${2 * max}`))).toBe(true);
    // The connections that had entries pass.
    expect(a.flows.filter((x) => x.disposition === 'delivered').length).toBe(max);
    expect(a.inputs.find((i) => i.path.endsWith('conntrack-stats.txt'))?.kind).toBe('snapshot');
  });

  it('the snapshot taken with room again, the kernel log saying it was full: likely, the log lines cited', async () => {
    const dmesg = Buffer.from(
      '[ 8120.001122] IPVS: Registered protocols ()\n' +
        '[ 8123.456789] nf_conntrack: nf_conntrack: table full, dropping packet\n' +
        '[ 8125.000001] net_ratelimit: 9 callbacks suppressed\n' +
        '[ 8125.000002] nf_conntrack: nf_conntrack: table full, dropping packet\n',
    );
    const d = editedBundle(dir, join(tmp, 'logged'), { 'sysctl.txt': countOf(Math.floor(max / 2)), 'conntrack-stats.txt': null, 'conntrack.txt': null, 'lab.json': null }, { 'dmesg.txt': dmesg });
    const a = await analyze([d]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['conntrack-table-full', 'likely']);
    expect(f.flows).toEqual(stopped(a));
    expect(f.evidence.filter((e) => e.kind === 'log').map((e) => e.kind === 'log' && [e.line, e.text])).toEqual([
      [2, '[ 8123.456789] nf_conntrack: nf_conntrack: table full, dropping packet'],
      [4, '[ 8125.000002] nf_conntrack: nf_conntrack: table full, dropping packet'],
    ]);
    expect(f.detail).toContain('the kernel logged "table full, dropping packet" 2 times');
    expect(a.inputs.find((i) => i.path.endsWith('dmesg.txt'))?.kind).toBe('snapshot');
  });

  it('nearly full with drops counted: likely; nearly full without: not named, the stop left to forward-chain-drop', async () => {
    // 95% of a limit of 1,000: the table had room for a few when the snapshot was taken.
    const nearly = countOf(950, 1000);
    const counted = await analyze([editedBundle(dir, join(tmp, 'nearly'), { 'sysctl.txt': nearly, 'conntrack.txt': null, 'lab.json': null })]);
    expect([counted.findings[0]!.check, counted.findings[0]!.confidence]).toEqual(['conntrack-table-full', 'likely']);
    expect(counted.findings[0]!.detail).toMatch(/conntrack counted \d+ dropped packets/);

    const quiet = await analyze([editedBundle(dir, join(tmp, 'nearly-quiet'), { 'sysctl.txt': nearly, 'conntrack-stats.txt': noDrops, 'conntrack.txt': null, 'lab.json': null })]);
    expect(quiet.findings.map((x) => x.check)).not.toContain('conntrack-table-full');
    expect([quiet.findings[0]!.check, quiet.findings[0]!.confidence]).toEqual(['forward-chain-drop', 'possible']);
    expect(quiet.findings[0]!.flows).toEqual(stopped(quiet));
  });

  it('drops counted by a table with room now: not named, but forward-chain-drop cites them', async () => {
    const a = await analyze([editedBundle(dir, join(tmp, 'room-counted'), { 'sysctl.txt': countOf(100, 1000), 'conntrack.txt': null, 'lab.json': null })]);
    expect(a.findings.map((x) => x.check)).not.toContain('conntrack-table-full');
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'possible']);
    expect(f.evidence.some((e) => e.kind === 'conntrack' && /drop=[1-9]/.test(e.text))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'note' && e.text.startsWith('conntrack counted'))).toBe(true);
    expect(f.fix.some((c) => c.startsWith('conntrack -S'))).toBe(true);
  });

  it('without the sysctls, drops counted: likely, the listing\'s entries said', async () => {
    const a = await analyze([editedBundle(dir, join(tmp, 'no-sysctls'), { 'sysctl.txt': null, 'lab.json': null })]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['conntrack-table-full', 'likely']);
    expect(f.detail).toContain(`holds ${max} entries (the snapshot does not give nf_conntrack_max)`);
    expect(f.fix[0]).toMatch(/^sysctl net\.netfilter\.nf_conntrack_count net\.netfilter\.nf_conntrack_max/);
  });

  it('a table with room and nothing counted or logged: never named', async () => {
    const a = await analyze([editedBundle(dir, join(tmp, 'room'), { 'sysctl.txt': countOf(1), 'conntrack-stats.txt': noDrops, 'conntrack.txt': null, 'lab.json': null })]);
    expect(a.findings.map((x) => x.check)).not.toContain('conntrack-table-full');
    expect(a.summary.verdict).toBe('packets-stop');
  });

  it('one combined file (`$ sysctl -a`, `$ conntrack -S`, `$ dmesg` headings) reads as the separate files do', async () => {
    const { readFileSync } = await import('node:fs');
    const combined = Buffer.from(
      [
        'root@gw:~# sysctl -a',
        readFileSync(join(dir, 'sysctl.txt'), 'utf8').trimEnd(),
        'root@gw:~# conntrack -S',
        readFileSync(join(dir, 'conntrack-stats.txt'), 'utf8').trimEnd(),
        'root@gw:~# dmesg -T',
        '[Sun Dec  6 17:12:05 2026] nf_conntrack: nf_conntrack: table full, dropping packet',
        '',
      ].join('\n'),
    );
    const d = editedBundle(dir, join(tmp, 'combined'), { 'sysctl.txt': null, 'conntrack-stats.txt': null, 'lab.json': null }, { 'state.txt': combined });
    const a = await analyze([d]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['conntrack-table-full', 'confirmed']);
    expect(f.evidence.some((e) => e.kind === 'sysctl' && e.file.endsWith('state.txt') && e.line === 1 + (readFileSync(join(dir, 'sysctl.txt'), 'utf8').split('\n').findIndex((l) => l.startsWith('net.netfilter.nf_conntrack_count')) + 1))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'log' && e.file.endsWith('state.txt') && e.text.includes('table full'))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'conntrack' && e.file.endsWith('state.txt') && /drop=[1-9]/.test(e.text))).toBe(true);
  });
});
