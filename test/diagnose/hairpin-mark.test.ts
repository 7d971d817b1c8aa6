/**
 * NAT loopback as Kube-OVN's gateway script writes it (lab hairpin-mark, hairpin-mark-lost): mangle PREROUTING marks
 * what comes in from the VPC side (VPC_MARK), and a SNAT per EIP in HAIRPIN_SNAT takes what was DNATed to that EIP,
 * came in marked and leaves by the VPC side again. Those SNATs leave by the inside: they must not make it the outside.
 * With the mark lost (the nat rules restored, the mangle one not), the hairpin SNAT never matches: snat-missing names
 * the mark it waits for and the rule that sets it, in the chain mangle PREROUTING jumps to.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';
import { editedBundle } from '../support/bundle-edit.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-hairpin-mark-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!LAB_AVAILABLE)('NAT loopback by mark (lab hairpin-mark, hairpin-mark-lost)', () => {
  const healthy = useLabOutput('hairpin-mark');
  const lost = useLabOutput('hairpin-mark-lost');

  it('healthy: the hairpin SNATs leave by the inside, yet the outside is the interface holding the EIPs; every flow delivered', async () => {
    const lab = readLabJson(healthy());
    const a = await analyze([healthy()]);
    expect(a.interfaces).toMatchObject({ inside: lab.inside, outside: lab.outside });
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    const hairpin = a.flows.filter((f) => f.original.src === lab.addresses.app2 && [lab.addresses.eip, lab.addresses.eip2].includes(f.original.dst));
    expect(hairpin.length).toBe(2);
    // Translated both ways on the inside: DNATed to the backend, SNATed to the EIP asked.
    for (const f of hairpin) {
      expect([f.ingress, f.egress, f.disposition]).toEqual([lab.inside, lab.inside, 'delivered']);
      expect(f.observed?.src).toBe(f.original.dst);
    }
  });

  it('the mark lost: snat-missing names the hairpin SNAT rules, the mark they wait for, the empty chain, and the MARK rule to put back', async () => {
    const lab = readLabJson(lost());
    const { app, app2, eip, eip2 } = lab.addresses;
    const a = await analyze([lost()]);
    expect(a.interfaces).toMatchObject({ inside: lab.inside, outside: lab.outside });
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['snat-missing', 'error', 'confirmed']);
    expect(f.title).toContain('the hairpin SNAT waits for mark 0x1/0x1, which nothing sets');
    expect(f.detail).toContain('whose mark is 0x0');
    expect(f.detail).toContain('VPC_MARK, which mangle PREROUTING jumps to, is empty');
    const rules = f.evidence.filter((e) => e.kind === 'rule').map((e) => (e as { text: string }).text);
    expect(rules).toContain(`-A HAIRPIN_SNAT -o ${lab.inside} -m mark --mark 0x1/0x1 -m conntrack --ctstate DNAT --ctorigdst ${eip} -j SNAT --to-source ${eip} --random-fully`);
    expect(rules).toContain(`-A HAIRPIN_SNAT -o ${lab.inside} -m mark --mark 0x1/0x1 -m conntrack --ctstate DNAT --ctorigdst ${eip2} -j SNAT --to-source ${eip2} --random-fully`);
    expect(rules).toContain('-A PREROUTING -j VPC_MARK');
    expect(f.fix[0]).toMatch(new RegExp(`^iptables -t mangle -A VPC_MARK -i ${lab.inside.replace(/\./g, '\\.')} -j MARK --set-xmark 0x1/0x1 `));
    expect(f.fix.join('\n')).not.toContain('MASQUERADE');
    // app2's two hairpin flows; app's own is SNATed by its floating IP's SNAT (no -o) and passes.
    const stopped = a.flows.filter((x) => x.original.src === app2 && [eip, eip2].includes(x.original.dst));
    expect(stopped.map((x) => x.disposition)).toEqual(['no-reply', 'no-reply']);
    expect([...f.flows].sort()).toEqual(stopped.map((x) => x.id).sort());
    expect(a.flows.find((x) => x.original.src === app && x.original.dst === eip2)?.disposition).toBe('delivered');
  });

  it('a MARK rule that sets the mark but misses these packets is named, not a new one proposed', async () => {
    const lab = readLabJson(lost());
    const dir = editedBundle(lost(), join(tmp, 'setter-misses'), {
      'iptables-save.txt': (b) => Buffer.from(b.toString('utf8').replace(/(\n\[\d+:\d+\] -A PREROUTING -j VPC_MARK\n)/, '$1[0:0] -A VPC_MARK -i eth9 -j MARK --set-xmark 0x1/0x1\n')),
    });
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect(f.check).toBe('snat-missing');
    expect(f.title).toContain('which no rule gives these packets');
    expect(f.evidence.some((e) => e.kind === 'rule' && (e as { text: string }).text === '-A VPC_MARK -i eth9 -j MARK --set-xmark 0x1/0x1')).toBe(true);
    expect(f.fix[0]).toBe(`# make the rule that sets mark 0x1/0x1 take what comes in by ${lab.inside}`);
  });

  it('a snapshot of the nat table alone (iptables-save -t nat) does not claim nothing sets the mark', async () => {
    const dir = editedBundle(lost(), join(tmp, 'no-mangle'), {
      'iptables-save.txt': (b) => Buffer.from(b.toString('utf8').replace(/\*(mangle|filter)\n[\s\S]*?COMMIT\n/g, '')),
    });
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect(f.check).toBe('snat-missing');
    expect(f.title).not.toContain('nothing sets');
    expect(f.detail).toContain('it lists no mangle table');
    expect(f.fix.join('\n')).not.toContain('iptables -t mangle -A');
  });

  it('healthy, listed by the nat table alone: the hairpin SNAT may match (its mark is unknown), so no translation is called stale', async () => {
    const dir = editedBundle(healthy(), join(tmp, 'healthy-nat-only'), { 'iptables-save.txt': null, 'iptables-filter-L.txt': null });
    const a = await analyze([dir]);
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });
});
