/**
 * An `ip addr` taken in another network namespace (on the node instead of inside the gateway pod) is said to be
 * so: real captures and rules of one gateway, with the `ip addr` of another.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { LAB_AVAILABLE, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-snapshot-fit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const set = (n: string) => fieldSets().find((s) => s.name === n);

/** `ip addr` text without the block of interface `name`. */
function withoutInterface(name: string): (b: Buffer) => Buffer {
  return (b) => {
    const out: string[] = [];
    let skip = false;
    for (const line of b.toString('utf8').split('\n')) {
      if (/^\d+: /.test(line)) skip = new RegExp(`^\\d+: ${name}[@:]`).test(line);
      if (!skip) out.push(line);
    }
    return Buffer.from(out.join('\n'));
  };
}

describe.skipIf(!set('ip-forward-off') || !set('healthy'))('ip addr of another namespace, on real field sets', () => {
  it('every field set as it is: no such warning', async () => {
    for (const s of fieldSets()) {
      const a = await analyze([s.dir]);
      expect(a.warnings.map((w) => w.code), s.name).not.toContain('snapshot-elsewhere');
    }
  });

  it('ip addr lacking the outside interface the captures hold and the SNAT rules name: warned, naming it', async () => {
    const dir = editedBundle(set('ip-forward-off')!.dir, join(tmp, 'no-net1'), { 'ip-addr.txt': withoutInterface('net1'), 'ip-addr.json': null });
    const a = await analyze([dir]);
    const w = a.warnings.filter((x) => x.code === 'snapshot-elsewhere');
    expect(w).toHaveLength(1);
    expect(w[0]!.file).toBe(join(dir, 'ip-addr.txt'));
    expect(w[0]!.message).toContain('no net1');
    // The cause is still the sysctl's.
    expect(a.findings[0]!.check).toBe('ip-forward-disabled');
  });

  it('captures named by their files only (a.pcap) are no reason to warn', async () => {
    const from = set('healthy')!.dir;
    const dir = editedBundle(from, join(tmp, 'ab'), { 'eth0.pcap': null, 'net1.pcap': null }, { 'a.pcap': readFileSync(join(from, 'eth0.pcap')), 'b.pcap': readFileSync(join(from, 'net1.pcap')) });
    expect((await analyze([dir])).warnings.map((w) => w.code)).not.toContain('snapshot-elsewhere');
  });
});

describe.skipIf(!LAB_AVAILABLE || !set('ip-forward-off'))('ip addr of another gateway (the lab’s) with the field captures and rules', () => {
  const out = useLabOutput();

  it('warned, naming the interface the captures and the rules share that it lacks', async () => {
    const lab = join(out(), 'healthy');
    const dir = editedBundle(
      set('ip-forward-off')!.dir,
      join(tmp, 'other-gateway'),
      { 'ip-addr.txt': null, 'ip-addr.json': null },
      { 'ip-addr.txt': readFileSync(join(lab, 'ip-addr.txt')) },
    );
    const w = (await analyze([dir])).warnings.filter((x) => x.code === 'snapshot-elsewhere');
    expect(w).toHaveLength(1);
    // The Kube-OVN rules name the outside interface (SNAT -o net1) only.
    expect(w[0]!.message).toContain('lists no net1');
  });
});
