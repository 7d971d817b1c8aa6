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
