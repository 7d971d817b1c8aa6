/**
 * Rules that look packets up in ipset sets, on the lab's real captures: a FORWARD blocklist kept in a set
 * (ipset-blocklist: the member that holds app2 is named, and taking it off the set is the fix, not deleting the
 * rule) and a SNAT rule that takes its sources from a set that lost the VPC's subnet (ipset-snat-subnet: adding the
 * subnet is the fix). Without the set's listing both are still named, with the command that looks the set up.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-ipset-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PERSIST = /^ipset save > \/etc\/iptables\/ipsets {2}#/;

describe.skipIf(!LAB_AVAILABLE)('ipset sets behind FORWARD and SNAT rules (lab)', () => {
  const out = useLabOutput();

  it('a blocklist set: the member holding app2 cited and taken off the set; the rule, which stays, not deleted', async () => {
    const dir = join(out(), 'ipset-blocklist');
    const lab = readLabJson(dir);
    const app2 = lab.addresses.app2;
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['forward-chain-drop', 'error', 'confirmed']);
    const line = readFileSync(join(dir, 'ipset-save.txt'), 'utf8').split('\n').indexOf(`add blocklist ${app2}`) + 1;
    expect(line).toBeGreaterThan(0);
    expect(f.evidence).toContainEqual({ kind: 'ipset', file: join(dir, 'ipset-save.txt'), line, text: `set blocklist: ${app2} — holds src ${app2}` });
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'rule', chain: 'FORWARD', text: '-A FORWARD -m set --match-set blocklist src -j DROP' }));
    expect(f.detail).toContain(`The rule drops what a set holds, and src ${app2} is in ipset set blocklist.`);
    expect(f.fix[0]).toMatch(new RegExp(`^ipset del blocklist ${app2.replace(/\./g, '\\.')} {2}# src ${app2.replace(/\./g, '\\.')} is in the set the rule at .*iptables-save\\.txt:\\d+ drops by$`));
    expect(f.fix.some((c) => PERSIST.test(c))).toBe(true);
    expect(f.fix.some((c) => c.includes(' -D FORWARD'))).toBe(false);
    // Nothing was left to chance: the rule's match was decided by the set.
    expect(a.flows.flatMap((x) => x.evidence).some((e) => e.kind === 'note' && /may match/.test(e.text))).toBe(false);
  });

  it('the same from iptables -L -n -v listings (match-set NAME src), no iptables-save: the same finding and fix', async () => {
    const dir = join(out(), 'ipset-blocklist');
    const listed = editedBundle(dir, join(tmp, 'blocklist-listed'), { 'iptables-save.txt': null });
    const [a, b] = [await analyze([dir]), await analyze([listed])];
    expect([b.findings[0]!.check, b.findings[0]!.confidence]).toEqual(['forward-chain-drop', 'confirmed']);
    const listing = join(tmp, 'blocklist-listed', 'iptables-filter-L.txt');
    const line = readFileSync(listing, 'utf8').split('\n').findIndex((l) => /DROP .* match-set blocklist src$/.test(l)) + 1;
    expect(line).toBeGreaterThan(0);
    expect(b.findings[0]!.fix).toEqual(a.findings[0]!.fix.map((c) => c.replace(/at \S+iptables-save\.txt:\d+/, `at ${listing}:${line}`)));
    expect(b.warnings.filter((w) => w.code === 'ipset-missing')).toEqual([]);
  });

  it('the same without the set\'s listing: the rule named as likely, with the command that looks the set up', async () => {
    const dir = editedBundle(join(out(), 'ipset-blocklist'), join(tmp, 'blocklist-unlisted'), { 'ipset-save.txt': null });
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'likely']);
    expect(f.detail).toContain('give `ipset save`');
    expect(a.warnings).toContainEqual(expect.objectContaining({ code: 'ipset-missing', file: join(dir, 'iptables-save.txt'), message: expect.stringContaining('the ipset set blocklist, and the snapshot holds no ipset listing') }));
    expect(f.fix[0]).toMatch(/^ipset list blocklist {2}# are these flows' src addresses in the set\?/);
  });

  it('a SNAT rule whose set lost the subnet: the set named, and the subnet the gateway routes app2 by added to it', async () => {
    const dir = join(out(), 'ipset-snat-subnet');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['snat-missing', 'confirmed']);
    expect(f.detail).toMatch(new RegExp(`would translate them, but its --match-set nat-subnets src does not take src ${lab.addresses.app2.replace(/\./g, '\\.')}: set nat-subnets \\(.*ipset-list\\.txt:1\\) holds no member for it\\.$`));
    expect(f.fix[0]).toBe(`ipset add nat-subnets ${lab.addresses.insideCidr}  # ${lab.addresses.app2} into the set the SNAT rule translates`);
    expect(PERSIST.test(f.fix[1]!)).toBe(true);
    expect(f.fix.some((c) => c.startsWith('iptables -t nat -A POSTROUTING'))).toBe(false);
  });

  it('the same without the set\'s listing: the rule is still the one named, the set to be tested for app2', async () => {
    const dir = editedBundle(join(out(), 'ipset-snat-subnet'), join(tmp, 'snat-unlisted'), { 'ipset-list.txt': null });
    const lab = readLabJson(join(out(), 'ipset-snat-subnet'));
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['snat-missing', 'confirmed']);
    expect(f.fix[0]).toBe(`ipset test nat-subnets ${lab.addresses.app2}  # in the set the SNAT rule translates? If not: ipset add nat-subnets ${lab.addresses.insideCidr}`);
  });
});
