/**
 * snapshot-backend-mismatch both ways round, from the lab: the rules in legacy and the snapshot from nft
 * (snapshot-backend-mismatch), the rules in nf_tables and the snapshot from legacy (snapshot-backend-mismatch-nft),
 * and a snapshot that says nothing of its backend (empty files). The fix must name the backend that holds the rules.
 * Also: a gateway whose rules live in nf_tables is read like any other (ip-forward-disabled-nft).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { fieldSets } from '../support/field.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-backend-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!LAB_AVAILABLE)('which iptables backend holds the rules', () => {
  const out = useLabOutput();

  const mismatch = async (dir: string) => {
    const a = await analyze([dir]);
    const f = a.findings.find((x) => x.check === 'snapshot-backend-mismatch');
    expect(f).toBeDefined();
    expect(a.findings.filter((x) => x.severity === 'error')).toEqual([]);
    return f!;
  };

  it('rules in legacy, snapshot from nft (its legacy-tables warning): confirmed, take it with iptables-legacy', async () => {
    const f = await mismatch(join(out(), 'snapshot-backend-mismatch'));
    expect(f.confidence).toBe('confirmed');
    expect(f.fix[0]).toBe('iptables-legacy-save -c > iptables-save.txt');
  });

  it('rules in nf_tables, snapshot from legacy (its header): take it with iptables-nft', async () => {
    const dir = join(out(), 'snapshot-backend-mismatch-nft');
    expect(readLabJson(dir).backend).toBe('iptables-nft');
    const f = await mismatch(dir);
    expect(f.fix[0]).toBe('iptables-nft-save -c > iptables-save.txt');
    expect(f.evidence.some((e) => e.kind === 'note' && e.text.endsWith('iptables-save.txt: iptables-save (legacy backend), nat table without DNAT/SNAT rules'))).toBe(true);
  });

  it('empty rule files say nothing of the backend: both are named, and `iptables -V`', async () => {
    const empty = () => Buffer.alloc(0);
    const d = editedBundle(join(out(), 'snapshot-backend-mismatch-nft'), join(tmp, 'empty'), {
      'iptables-save.txt': empty,
      'iptables-nat-L.txt': empty,
      'iptables-filter-L.txt': empty,
      'lab.json': null,
    });
    const f = await mismatch(d);
    expect(f.confidence).toBe('likely');
    expect(f.fix[0]).toContain('iptables-legacy-save -c');
    expect(f.fix[0]).toContain('iptables-nft-save -c');
    expect(f.fix[1]).toMatch(/^iptables -V/);
  });

  it('rules in nf_tables, listed by iptables-nft: the seed incident is read as from legacy, counters and all', async () => {
    const dir = join(out(), 'ip-forward-disabled-nft');
    const lab = readLabJson(dir);
    expect(lab.backend).toBe('iptables-nft');
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['ip-forward-disabled', 'confirmed']);
    // The DNAT rules counted every retransmission, the SNAT rules nothing: the listing's counters were read.
    const rules = f.evidence.filter((e) => e.kind === 'rule');
    expect(rules.some((e) => e.kind === 'rule' && e.text.includes('-j DNAT') && (e.counters?.packets ?? 0) > 0)).toBe(true);
    expect(rules.some((e) => e.kind === 'rule' && e.text.includes('-j SNAT') && e.counters?.packets === 0)).toBe(true);
    expect(a.findings.map((x) => x.check)).not.toContain('snapshot-backend-mismatch');
  });
});

describe.skipIf(!fieldSets().some((s) => s.name === 'healthy'))('a snapshot without the nat table because none was asked for (the real healthy set)', () => {
  const healthy = () => fieldSets().find((s) => s.name === 'healthy')!.dir;

  it('`iptables -L -n -v` alone lists filter: the nat table is missing, not in the other backend, and how to take it', async () => {
    const d = editedBundle(healthy(), join(tmp, 'filter-only'), { 'iptables-save.txt': null, 'iptables-nat-L.txt': null, 'lab.json': null });
    const a = await analyze([d]);
    const f = a.findings.find((x) => x.check === 'snapshot-backend-mismatch')!;
    expect([f.severity, f.confidence, f.title]).toEqual(['warning', 'confirmed', 'The snapshot has no nat table: the translation seen cannot be checked against the rules']);
    expect(f.detail).toContain(`its rules (${join(d, 'iptables-filter-L.txt')}: filter) hold no nat table (\`iptables -L\` without \`-t nat\` lists the filter table only)`);
    expect(f.detail).not.toMatch(/other backend|wrong/);
    expect(f.fix[0]).toMatch(/^iptables-save -c > iptables-save.txt/);
    expect(a.findings.filter((x) => x.severity === 'error')).toEqual([]);
  });

  it('no rule listing at all: said so', async () => {
    const d = editedBundle(healthy(), join(tmp, 'no-rules'), { 'iptables-save.txt': null, 'iptables-nat-L.txt': null, 'iptables-filter-L.txt': null, 'lab.json': null });
    const f = (await analyze([d])).findings.find((x) => x.check === 'snapshot-backend-mismatch')!;
    expect(f.detail).toContain('it holds no iptables or nftables rules');
  });

  it('an iptables-save without its nat table is still the other backend (iptables-save prints every table the backend holds)', async () => {
    const d = editedBundle(healthy(), join(tmp, 'save-filter-only'), {
      // The backend the snapshot was taken with holds a filter table only (the NAT lives in the other one).
      'iptables-save.txt': (b) => Buffer.from(b.toString().replace(/^\*nat\n[\s\S]*?^COMMIT\n/m, '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n')),
      'iptables-nat-L.txt': null,
      'iptables-filter-L.txt': null,
      'lab.json': null,
    });
    const f = (await analyze([d])).findings.find((x) => x.check === 'snapshot-backend-mismatch')!;
    expect(f.title).toBe('The rule snapshot was taken with the wrong iptables backend');
  });
});

describe.skipIf(!LAB_AVAILABLE)('a DNAT to a dead backend, the snapshot without its nat table (lab dnat-backend-unreachable, filter listing only)', () => {
  const dir = useLabOutput('dnat-backend-unreachable');

  it('possible, from the gateway\'s unanswered ARP alone; where to read the rule, in iptables or nftables; the missing table said', async () => {
    const lab = readLabJson(dir());
    const d = editedBundle(dir(), join(tmp, 'dead-backend-no-nat'), { 'iptables-save.txt': null, 'iptables-nat-L.txt': null, 'lab.json': null });
    const a = await analyze([d]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['dnat-backend-unreachable', 'possible']);
    expect(f.title).toMatch(new RegExp(`^Possibly DNAT sends ${lab.addresses.eip.replace(/\./g, '\\.')} to \\S+, which does not answer$`));
    expect(f.fix[0]).toBe("iptables-save -t nat -c; nft list ruleset  # the DNAT rule for the address, and its counter (in iptables, or in nftables' own tables)");
    expect(a.findings.find((x) => x.check === 'snapshot-backend-mismatch')?.title).toBe('The snapshot has no nat table: the translation seen cannot be checked against the rules');
  });
});
