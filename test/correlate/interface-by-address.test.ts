/**
 * Captures named after anything but the gateway's interfaces, in a bundle without `ip addr` (no MACs to tell them
 * by): the nat rules' own addresses tell which side each capture is (interface-by-address.ts). Real field captures,
 * renamed, with the ip addr/route/neigh files left out; and every lab scenario captured in classic pcap, renamed.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readScenarios } from '../lab/lab-output.js';
import { editedBundle, flowKeys } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-byaddr-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const IP_FILES = ['ip-addr.json', 'ip-addr.txt', 'ip-route.json', 'ip-route.txt', 'ip-neigh.json'];

/** A field set without ip addr/route/neigh, its captures renamed (or kept, `rename` false). */
function bare(set: string, name: string, rename = true): string {
  const from = fieldSets().find((s) => s.name === set)!.dir;
  const drop = Object.fromEntries([...IP_FILES, 'lab.json', ...(rename ? ['eth0.pcap', 'net1.pcap'] : [])].map((f) => [f, null]));
  const add: Record<string, Uint8Array> = rename ? { 'capture-a.pcap': readFileSync(join(from, 'eth0.pcap')), 'capture-b.pcap': readFileSync(join(from, 'net1.pcap')) } : {};
  return editedBundle(from, join(tmp, name), drop, add);
}

const have = (n: string): boolean => fieldSets().some((s) => s.name === n);

describe.skipIf(!have('healthy') || !have('dnat-wrong-backend'))('interfaces told by the nat rules\' addresses', () => {
  for (const set of ['healthy', 'ip-forward-off', 'dnat-wrong-backend', 'forward-drop']) {
    it(`${set}: capture-a.pcap and capture-b.pcap give the analysis of eth0.pcap and net1.pcap`, async () => {
      const named = await analyze([bare(set, `${set}-named`, false)]);
      const a = await analyze([bare(set, `${set}-renamed`)]);
      expect(a.interfaces).toMatchObject({ inside: 'eth0', outside: 'net1' });
      expect(flowKeys(a)).toEqual(flowKeys(named));
      expect(a.findings.map((f) => [f.check, f.severity, f.confidence])).toEqual(named.findings.map((f) => [f.check, f.severity, f.confidence]));
      const told = a.warnings.filter((w) => w.code === 'interface-by-address');
      expect(told.map((w) => w.file.split('/').pop()).sort()).toEqual(['capture-a.pcap', 'capture-b.pcap']);
      expect(told.find((w) => w.file.endsWith('capture-b.pcap'))!.message).toMatch(/^the gateway's net1 is not named in this capture \(it says capture-b\)/);
    });
  }

  it('a healthy gateway so captured is not taken for a broken one (before: stale-conntrack, as every SNAT rule names -o net1)', async () => {
    const a = await analyze([bare('healthy', 'healthy-verdict')]);
    expect(a.summary.verdict).toBe('ok');
    expect(a.flows.every((f) => f.disposition === 'delivered')).toBe(true);
  });

  it('with ip addr in the bundle the MACs decide, and the addresses are not looked at', async () => {
    const from = fieldSets().find((s) => s.name === 'healthy')!.dir;
    const d = editedBundle(from, join(tmp, 'with-addr'), { 'eth0.pcap': null, 'net1.pcap': null, 'lab.json': null }, { 'capture-a.pcap': readFileSync(join(from, 'eth0.pcap')), 'capture-b.pcap': readFileSync(join(from, 'net1.pcap')) });
    const a = await analyze([d]);
    expect(a.warnings.map((w) => w.code)).not.toContain('interface-by-address');
    expect(a.warnings.filter((w) => w.code === 'interface-by-mac')).toHaveLength(2);
  });
});

describe.skipIf(!LAB_AVAILABLE)('every lab scenario captured per interface in classic pcap, renamed, without ip addr/neigh', () => {
  it('gives the causes and dispositions of the same bundle with its captures named', async () => {
    const out = await labOutput();
    const key = (a: Analysis): string =>
      JSON.stringify({ causes: a.findings.filter((f) => f.severity === 'error').map((f) => [f.check, f.confidence]), flows: Object.entries(a.summary.byDisposition).sort() });
    let compared = 0;
    for (const [name, s] of Object.entries(readScenarios())) {
      if (s.capture !== 'pcap' && s.capture !== 'pcap-nano') continue;
      const from = join(out, name);
      const files = readdirSync(from).filter((f) => f !== 'lab.json' && !/^ip-(addr|neigh)/.test(f));
      const named = join(tmp, `lab-${name}-named`);
      const renamed = join(tmp, `lab-${name}-renamed`);
      mkdirSync(named);
      mkdirSync(renamed);
      let k = 0;
      for (const f of files) {
        copyFileSync(join(from, f), join(named, f));
        copyFileSync(join(from, f), join(renamed, f.endsWith('.pcap') ? `capture-${String.fromCharCode(97 + k++)}.pcap` : f));
      }
      expect(key(await analyze([renamed])), name).toBe(key(await analyze([named])));
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(20);
  }, LAB_WAIT_MS);
});
