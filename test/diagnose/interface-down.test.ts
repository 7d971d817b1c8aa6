/**
 * interface-down, from the lab: the outside link without carrier (outside-no-carrier: its capture empty, its routes
 * kept, host unreachable back when the ARP for the next hop times out) and the outside interface set down
 * (outside-link-down: not capturable, its routes gone, net unreachable back). Also the empty capture itself: a
 * capture of an interface that holds no packet says that nothing left by it, on any bundle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { FIELD } from '../support/field.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-ifdown-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A classic pcap's file header alone: a capture that ran and saw nothing. */
const emptyPcap = (b: Buffer): Buffer => b.subarray(0, 24);

describe('a capture that holds no packet', () => {
  // The seed incident without its sysctls, and nothing captured on net1: the outside's pings are gone with it.
  const base = (name: string, net1: ((b: Buffer) => Buffer) | null): string =>
    editedBundle(join(FIELD, 'ip-forward-off'), join(tmp, name), { 'net1.pcap': net1, 'sysctl.txt': null, 'lab.json': null });

  it('counts its interface as captured: what should have left by it and is not there stopped, with a warning', async () => {
    const d = base('quiet-net1', emptyPcap);
    const a = await analyze([d]);
    const input = a.inputs.find((i) => i.path.endsWith('net1.pcap'))!;
    expect([input.packets, input.interfaces]).toEqual([0, ['net1']]);
    expect(a.warnings.find((w) => w.code === 'empty-capture')?.file).toBe(join(d, 'net1.pcap'));
    expect(a.warnings.map((w) => w.code)).not.toContain('egress-not-captured');
    expect(a.flows.length).toBeGreaterThan(0);
    for (const f of a.flows) expect([f.id, f.ingress, f.disposition]).toEqual([f.id, 'eth0', 'stopped-at-gateway']);
    expect(a.findings[0]?.check).toBe('ip-forward-disabled');
  });

  it('with no capture of the interface at all, the same flows are not judged', async () => {
    const a = await analyze([base('no-net1', null)]);
    expect(a.warnings.map((w) => w.code)).toContain('egress-not-captured');
    expect(a.flows.every((f) => f.disposition === 'outside-capture')).toBe(true);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});

describe.skipIf(!LAB_AVAILABLE)('interface-down (lab outside-no-carrier, outside-link-down)', () => {
  const out = useLabOutput();

  it('no carrier: confirmed from ip addr, with the empty capture, the kept route and the host unreachable the gateway sent', async () => {
    const dir = join(out(), 'outside-no-carrier');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence, f.title]).toEqual(['interface-down', 'confirmed', `${lab.outside} has no carrier: what leaves by it is dropped`]);
    expect(f.evidence.some((e) => e.kind === 'interface' && e.text.startsWith(`${lab.outside}: <NO-CARRIER,`))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'route' && e.text.includes(`dev ${lab.outside}`))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'note' && e.text.endsWith(`the capture of ${lab.outside} holds no packet`))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.includes('"host unreachable"'))).toBe(true);
    expect(f.fix[0]).toContain(`ethtool ${lab.outside}`);
    // The unresolved next hop is this, not a neighbour that does not answer: no ARP ever left.
    expect(a.findings.filter((x) => x.severity === 'error').map((x) => x.check)).toEqual(['interface-down']);
  });

  it('no carrier, and no capture of that interface at all: the snapshot alone still says so', async () => {
    const dir = join(out(), 'outside-no-carrier');
    const lab = readLabJson(dir);
    const d = editedBundle(dir, join(tmp, 'no-carrier-uncaptured'), { [`${lab.outside}.pcap`]: null, 'lab.json': null });
    const f = (await analyze([d])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['interface-down', 'confirmed']);
  });

  it('no carrier on the inside: the DNAT targets named, the inside found without a packet of it, Kube-OVN\'s logical switch port', async () => {
    const dir = join(out(), 'inside-no-carrier');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    expect(a.interfaces).toMatchObject({ inside: lab.inside, outside: lab.outside });
    const f = a.findings[0]!;
    expect([f.check, f.confidence, f.title]).toEqual(['interface-down', 'confirmed', `${lab.inside} has no carrier: what leaves by it is dropped`]);
    expect(f.detail).toContain(`${lab.addresses.app} (DNAT of ${lab.addresses.eip})`);
    expect(f.fix.at(-1)).toContain("port on the VPC's logical switch");
  });

  it('no carrier, without ip addr: the routes the kernel marked linkdown say it', async () => {
    const dir = join(out(), 'outside-no-carrier');
    const lab = readLabJson(dir);
    const d = editedBundle(dir, join(tmp, 'no-carrier-no-addr'), { 'ip-addr.json': null, 'ip-addr.txt': null, 'lab.json': null });
    const f = (await analyze([d])).findings[0]!;
    expect([f.check, f.confidence, f.title]).toEqual(['interface-down', 'confirmed', `${lab.outside} has no carrier: what leaves by it is dropped`]);
    expect(f.detail).toContain(`${lab.outside} has no carrier (its routes marked linkdown)`);
    expect(f.evidence.some((e) => e.kind === 'route' && e.text === `default via ${lab.addresses.nexthop} dev ${lab.outside} linkdown`)).toBe(true);
  });

  it('set down: confirmed, bring it up and put the default route back; no-route steps aside', async () => {
    const dir = join(out(), 'outside-link-down');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence, f.title]).toEqual(['interface-down', 'confirmed', `${lab.outside} is down: its routes are gone`]);
    expect(f.fix[0]).toBe(`ip link set ${lab.outside} up`);
    expect(f.fix[1]).toMatch(new RegExp(`^ip route add default via <next hop on ${lab.outside.replace('.', '\\.')}, in [\\d.]+/\\d+> dev `));
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.includes('"network unreachable"'))).toBe(true);
    expect(a.findings.map((x) => x.check)).not.toContain('no-route');
    const flow = a.flows.find((x) => x.proto === 'icmp' && x.original.src === lab.addresses.app && x.original.dst === lab.addresses.remote)!;
    expect(f.flows).toContain(flow.id);
  });
});
