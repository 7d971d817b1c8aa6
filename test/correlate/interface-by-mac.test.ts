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
import { mergedEthernet } from '../support/cooked-capture.mjs';
import { execFileSync } from 'node:child_process';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput } from '../lab/lab-output.js';

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

  it('a second capture of an interface captured under its own name is not taken for it by MAC, but by its packets (same link)', async () => {
    const full = await analyze([fieldSets().find((s) => s.name === 'healthy')!.dir]);
    const a = await analyze([copySet('healthy', 'twice', {}, { 'veth3f2a.pcap': 'eth0.pcap' })]);
    expect(a.warnings.map((w) => w.code)).not.toContain('interface-by-mac');
    expect(a.warnings.filter((w) => w.code === 'same-link-capture').map((w) => w.file.split('/').pop())).toEqual(['veth3f2a.pcap']);
    expect(a.inputs.find((i) => i.path.endsWith('veth3f2a.pcap'))!.interfaces).toEqual(['eth0']);
    // Each packet seen in both counts once: the analysis of the set itself.
    expect(flowKeys(a)).toEqual(flowKeys(full));
    expect(a.summary.verdict).toBe('ok');
  });

  it('two captures of one interface taken at the same time under other names are neither taken for it', async () => {
    const a = await analyze([copySet('healthy', 'side-by-side', { 'eth0.pcap': 'veth-a.pcap' }, { 'veth-b.pcap': 'eth0.pcap' })]);
    expect(a.warnings.map((w) => w.code)).not.toContain('interface-by-mac');
    expect(a.inputs.filter((i) => i.path.includes('veth-')).map((i) => i.interfaces)).toEqual([['veth-a'], ['veth-b']]);
  });

  it('without the interfaces\' MACs (no ip addr) not by MAC: by the nat rules\' addresses (interface-by-address.test.ts)', async () => {
    const a = await analyze([copySet('healthy', 'nomac', { 'eth0.pcap': 'a.pcap', 'net1.pcap': 'b.pcap', 'ip-addr.json': null, 'ip-addr.txt': null })]);
    expect(a.warnings.map((w) => w.code)).not.toContain('interface-by-mac');
    expect(a.warnings.filter((w) => w.code === 'interface-by-address')).toHaveLength(2);
    expect(a.inputs.filter((i) => i.kind === 'capture').map((i) => i.interfaces)).toEqual([['eth0'], ['net1']]);
  });

  it('without MACs nor nat rules, names stay as the captures give them', async () => {
    const a = await analyze([copySet('healthy', 'nomac-norules', { 'eth0.pcap': 'a.pcap', 'net1.pcap': 'b.pcap', 'ip-addr.json': null, 'ip-addr.txt': null, 'iptables-save.txt': null, 'iptables-nat-L.txt': null, 'iptables-filter-L.txt': null })]);
    expect(a.warnings.map((w) => w.code)).not.toContain('interface-by-address');
    expect(a.inputs.filter((i) => i.kind === 'capture').map((i) => i.interfaces)).toEqual([['a'], ['b']]);
  });
});

/** Whether `tool` runs here (mergecap comes with tshark's wireshark-common; CI installs it). */
function hasTool(tool: string): boolean {
  try {
    execFileSync(tool, ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A copy of a field set with its two captures replaced by one holding both (`merge` makes it from their paths). */
function mergedSet(set: string, name: string, file: string, merge: (paths: string[]) => Uint8Array, drop: string[] = []): string {
  const from = fieldSets().find((s) => s.name === set)!.dir;
  const pcaps = ['eth0.pcap', 'net1.pcap'];
  const edit = Object.fromEntries([...pcaps, ...drop].map((f) => [f, null]));
  return editedBundle(from, join(tmp, name), edit, { [file]: merge(pcaps.map((f) => join(from, f))) });
}

const mergeInTest = (paths: string[]): Uint8Array => mergedEthernet(paths.map((p) => readFileSync(p)));

describe.skipIf(!have('healthy') || !have('snat-missing') || !have('ip-forward-off'))('one capture holding both interfaces (merged), frames placed by MAC', () => {
  it.each(['healthy', 'snat-missing', 'dnat-wrong-backend', 'forward-drop'].filter(have))(
    '%s merged into one Ethernet pcap gives the flows of the two captures',
    async (set) => {
      const full = await analyze([fieldSets().find((s) => s.name === set)!.dir]);
      const a = await analyze([mergedSet(set, `merged-${set}`, 'gateway.pcap', mergeInTest)]);
      expect(a.interfaces).toEqual(full.interfaces);
      expect(flowKeys(a)).toEqual(flowKeys(full));
      expect(a.findings.map((f) => [f.check, f.confidence])).toEqual(full.findings.map((f) => [f.check, f.confidence]));
      const w = a.warnings.filter((x) => x.code === 'merged-capture');
      expect(w.map((x) => x.file.split('/').pop())).toEqual(['gateway.pcap']);
      expect(w[0]!.message).toMatch(/eth0 \d+, net1 \d+|net1 \d+, eth0 \d+/);
      expect(a.inputs.find((i) => i.path.endsWith('gateway.pcap'))!.interfaces).toEqual(expect.arrayContaining(['eth0', 'net1']));
    },
  );

  it('the seed incident merged into one capture: same cause, same flows, each interface judged over its own span', async () => {
    const full = await analyze([fieldSets().find((s) => s.name === 'ip-forward-off')!.dir]);
    const a = await analyze([mergedSet('ip-forward-off', 'merged-seed', 'both.pcap', mergeInTest)]);
    expect(a.findings.map((f) => [f.check, f.confidence])).toEqual(full.findings.map((f) => [f.check, f.confidence]));
    // Each interface's frames span what its own capture did, so a request sent before the other capture began
    // is not judged, as with the two captures. Frames no MAC places (IPv6 from unknown hosts) only narrow a
    // span: a flow is then left unjudged at the edge, never judged on packets the other capture could not see.
    const byFlow = (x: typeof a) => new Map(x.flows.map((f) => [`${f.proto} ${f.original.src}:${f.original.sport} > ${f.original.dst}:${f.original.dport}`, f.disposition]));
    const got = byFlow(a);
    const want = byFlow(full);
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [k, d] of got) expect([want.get(k), 'outside-capture']).toContain(d);
    expect(a.summary.byDisposition['stopped-at-gateway']).toBeGreaterThanOrEqual((full.summary.byDisposition['stopped-at-gateway'] ?? 0) - 1);
    const o = a.capture.overlap!;
    expect(o.first >= full.capture.overlap!.first && o.last <= full.capture.overlap!.last).toBe(true);
    expect(a.capture.windows.filter((w) => w.iface === 'net1')[0]!.first).toBe(full.capture.windows.find((w) => w.iface === 'net1')!.first);
  });

  it.skipIf(!hasTool('mergecap'))('a pcapng from mergecap (which folds the two alike interface descriptions into one) is split the same way', async () => {
    const dir = mergedSet('healthy', 'mergecap', 'both.pcapng', (paths) => {
      const out = join(tmp, 'mergecap-both.pcapng');
      execFileSync('mergecap', ['-w', out, ...paths]);
      return readFileSync(out);
    });
    const full = await analyze([fieldSets().find((s) => s.name === 'healthy')!.dir]);
    const a = await analyze([dir]);
    expect(flowKeys(a)).toEqual(flowKeys(full));
    expect(a.warnings.map((w) => w.code)).toContain('merged-capture');
  });

  it('without the interfaces MACs (no ip addr) a merged capture cannot be split and stays one interface', async () => {
    const a = await analyze([mergedSet('healthy', 'merged-nomac', 'gateway.pcap', mergeInTest, ['ip-addr.json', 'ip-addr.txt'])]);
    expect(a.warnings.map((w) => w.code)).not.toContain('merged-capture');
    expect(a.inputs.find((i) => i.path.endsWith('gateway.pcap'))!.interfaces).toEqual(['gateway']);
  });
});

/**
 * A snapshot taken after the gateway restarted gives its interfaces new MACs, which no captured frame carries: said,
 * with what the frames show; the MAC the gateway sends from its own addresses is taken instead (none: none is used).
 * Real field sets, their ip addr's MACs changed.
 */
describe.skipIf(!have('healthy') || !have('snat-missing'))('a snapshot whose MACs no captured frame carries', () => {
  const made = new Map<string, string>();
  const renamedMacs = (set: string, from = fieldSets().find((s) => s.name === set)!.dir): string => {
    if (made.has(set)) return made.get(set)!;
    const text = readFileSync(join(from, 'ip-addr.txt'), 'utf8');
    const macs = [...text.matchAll(/link\/ether ([0-9a-f:]{17})/g)].map((m) => m[1]!);
    const moved = (t: string) => macs.reduce((x, m) => x.split(m).join(`02:${m.slice(3, 15)}99`), t);
    made.set(set, editedBundle(from, join(tmp, `newmac-${set}`), { 'ip-addr.txt': (b) => Buffer.from(moved(b.toString())), 'ip-addr.json': (b) => Buffer.from(moved(b.toString())) }));
    return made.get(set)!;
  };

  it.each(['healthy', 'snat-missing'])('%s: warned for each interface, and the analysis of the snapshot as it was', async (set) => {
    const original = await analyze([fieldSets().find((s) => s.name === set)!.dir]);
    expect(original.warnings.map((w) => w.code)).not.toContain('snapshot-mac-unseen');
    const a = await analyze([renamedMacs(set)]);
    const unseen = a.warnings.filter((w) => w.code === 'snapshot-mac-unseen');
    expect(unseen.map((w) => w.file.split('/').pop()).sort()).toEqual(['eth0.pcap', 'net1.pcap']);
    for (const w of unseen) expect(w.message).toMatch(/^the snapshot gives (eth0|net1) the MAC 02:[0-9a-f:]+:99, which none of the \d+ unicast frames of its capture looked at carries/);
    expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
    expect(flowKeys(a)).toEqual(flowKeys(original));
  });

  // Lab bundles where a wrong MAC misread which frames arrive and which leave: ICMP errors relayed from beyond.
  it.skipIf(!LAB_AVAILABLE).each(['traceroute', 'upstream-reject', 'eip-stale-arp-upstream', 'hairpin-mark-lost'])(
    'lab %s: the analysis of the snapshot as it was',
    async (scenario) => {
      const dir = join(await labOutput(), scenario);
      const original = await analyze([dir]);
      const a = await analyze([renamedMacs(`lab-${scenario}`, dir)]);
      expect(a.warnings.map((w) => w.code)).toContain('snapshot-mac-unseen');
      expect(a.findings.map((f) => [f.check, f.confidence, f.flows])).toEqual(original.findings.map((f) => [f.check, f.confidence, f.flows]));
      expect(flowKeys(a)).toEqual(flowKeys(original));
    },
    LAB_WAIT_MS,
  );

  it("names the MAC what the gateway sends from its own addresses comes from, on the outside (SNATed traffic from the EIPs)", async () => {
    const a = await analyze([renamedMacs('healthy')]);
    const net1 = a.warnings.find((w) => w.code === 'snapshot-mac-unseen' && w.file.endsWith('net1.pcap'))!;
    expect(net1.message).toMatch(/what the gateway sends there from its own addresses comes from b2:55:a3:40:d3:dd \(\d+ of \d+ frames\), taken as net1's/);
  });
});
