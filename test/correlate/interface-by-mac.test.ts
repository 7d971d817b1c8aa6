/**
 * Captures named after anything but the gateway's interfaces (`a.pcap`, `inside.pcap`, the host end of the
 * pod's veth) are the gateway's interfaces all the same: their frames carry its MACs. Real field captures,
 * renamed.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle, flowKeys } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-bymac-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A copy of a field set with its files renamed (`rename[file]`), dropped (null) or added (`extra`: new name → file). */
function copySet(set: string, name: string, rename: Record<string, string | null>, extra: Record<string, string> = {}): string {
  const from = fieldSets().find((s) => s.name === set)!.dir;
  const add: Record<string, Uint8Array> = {};
  for (const [f, to] of Object.entries(rename)) if (to) add[to] = readFileSync(join(from, f));
  for (const [to, f] of Object.entries(extra)) add[to] = readFileSync(join(from, f));
  return editedBundle(from, join(tmp, name), Object.fromEntries(Object.keys(rename).map((f) => [f, null])), add);
}

const have = (n: string): boolean => fieldSets().some((s) => s.name === n);

describe.skipIf(!have('healthy') || !have('ip-forward-off'))('interfaces named by the MAC their frames carry', () => {
  it('captures named a.pcap and b.pcap give the analysis of eth0.pcap and net1.pcap', async () => {
    const full = await analyze([fieldSets().find((s) => s.name === 'healthy')!.dir]);
    const a = await analyze([copySet('healthy', 'ab', { 'eth0.pcap': 'a.pcap', 'net1.pcap': 'b.pcap' })]);
    expect(a.interfaces).toEqual(full.interfaces);
    expect(flowKeys(a)).toEqual(flowKeys(full));
    expect(a.warnings.filter((w) => w.code === 'interface-by-mac').map((w) => w.file.split('/').pop()).sort()).toEqual(['a.pcap', 'b.pcap']);
    // The names the user knows the captures by still work for --inside/--outside.
    const given = await analyze([join(tmp, 'ab')], { inside: 'a', outside: 'b' });
    expect(given.interfaces).toMatchObject({ inside: 'eth0', outside: 'net1' });
  });

  it('the seed incident, captured as inside.pcap and outside.pcap, names the same cause with the same flows', async () => {
    const full = await analyze([fieldSets().find((s) => s.name === 'ip-forward-off')!.dir]);
    const a = await analyze([copySet('ip-forward-off', 'io', { 'eth0.pcap': 'inside.pcap', 'net1.pcap': 'outside.pcap' })]);
    expect(a.findings.map((f) => [f.check, f.confidence])).toEqual(full.findings.map((f) => [f.check, f.confidence]));
    expect(flowKeys(a)).toEqual(flowKeys(full));
  });

  it('an interface captured under its own name is not taken twice: a second capture of it keeps its name', async () => {
    const a = await analyze([copySet('healthy', 'twice', {}, { 'veth3f2a.pcap': 'eth0.pcap' })]);
    expect(a.warnings.map((w) => w.code)).not.toContain('interface-by-mac');
    expect(a.inputs.find((i) => i.path.endsWith('veth3f2a.pcap'))!.interfaces).toEqual(['veth3f2a']);
  });

  it('without the interfaces MACs (no ip addr) names stay as the captures give them', async () => {
    const a = await analyze([copySet('healthy', 'nomac', { 'eth0.pcap': 'a.pcap', 'net1.pcap': 'b.pcap', 'ip-addr.json': null, 'ip-addr.txt': null })]);
    expect(a.warnings.map((w) => w.code)).not.toContain('interface-by-mac');
    expect(a.inputs.filter((i) => i.kind === 'capture').map((i) => i.interfaces)).toEqual([['a'], ['b']]);
  });
});
