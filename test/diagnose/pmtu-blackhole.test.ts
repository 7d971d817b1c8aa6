/**
 * ICMP errors from beyond the gateway that it never relays: the lab's pmtu-blackhole bundle (FORWARD accepting
 * ESTABLISHED but not RELATED, a router answering large DF packets with fragmentation needed), and the same captures
 * with no rules in the snapshot, or with rules that would have relayed them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-pmtu-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const RELATED_FIX = 'iptables -I FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT';

describe.skipIf(!LAB_AVAILABLE)('a path MTU black hole: FORWARD drops RELATED (lab pmtu-blackhole)', () => {
  const dir = useLabOutput('pmtu-blackhole');

  it('confirmed: the error that was never relayed, the policy that drops it, RELATED in the fix; not "upstream refuses"', async () => {
    const lab = readLabJson(dir());
    const a = await analyze([dir()]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence, f.title]).toEqual(['forward-chain-drop', 'confirmed', 'The filter FORWARD chain drops fragmentation needed (RELATED): a path MTU black hole']);
    const flow = a.flows.find((x) => x.original.src === lab.addresses.app2 && x.original.dst === lab.addresses.far)!;
    expect(f.flows).toEqual([flow.id]);
    expect(f.detail).toContain('fragmentation needed (mtu 1280): the senders never learn the path\'s MTU');
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.includes('ICMP type 3 code 4 (mtu 1280)') && e.summary.includes('FORWARD drops it (RELATED)'))).toBe(true);
    expect(f.evidence.some((e) => e.kind === 'policy' && e.chain === 'FORWARD' && e.policy === 'DROP')).toBe(true);
    expect(f.fix[0]!.startsWith(RELATED_FIX)).toBe(true);
    expect(a.findings.map((x) => x.check)).not.toContain('upstream-no-reply');
  });

  it('without rules in the snapshot: still the gateway (likely), with RELATED among the fixes', async () => {
    const d = editedBundle(dir(), join(tmp, 'no-rules'), { 'iptables-save.txt': null, 'iptables-nat-L.txt': null, 'iptables-filter-L.txt': null, 'lab.json': null });
    const f = (await analyze([d])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'likely']);
    expect(f.detail).toContain('fragmentation needed, mtu 1280) arrived from beyond and were not relayed back');
    expect(f.fix.some((c) => c.startsWith(RELATED_FIX))).toBe(true);
  });

  it('with rules that would relay it: a stop the snapshot does not explain, never "upstream"', async () => {
    const related = (b: Buffer): Buffer => Buffer.from(b.toString('utf8').replace(/^(\[\d+:\d+\] )?-A FORWARD -m conntrack --ctstate ESTABLISHED -j ACCEPT$/m, '$1-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT'));
    const d = editedBundle(dir(), join(tmp, 'related'), { 'iptables-save.txt': related, 'iptables-filter-L.txt': null, 'lab.json': null });
    const a = await analyze([d]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['forward-chain-drop', 'possible']);
    expect(a.findings.map((x) => x.check)).not.toContain('upstream-no-reply');
  });
});

describe.skipIf(!LAB_AVAILABLE)('mtu-exceeded into the VPC (lab mtu-exceeded-inbound)', () => {
  it('the inside interface\'s MTU named, and the overlay\'s advice rather than the external network\'s', async () => {
    const dir = join(await labOutput(), 'mtu-exceeded-inbound');
    const lab = readLabJson(dir);
    const f = (await analyze([dir])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['mtu-exceeded', 'confirmed']);
    expect(f.evidence.some((e) => e.kind === 'interface' && e.text === `${lab.inside}: mtu 1280`)).toBe(true);
    expect(f.fix.some((c) => c.startsWith("# an overlay's smaller MTU on the VPC side is by design"))).toBe(true);
    expect(f.fix.some((c) => c.includes('external subnet'))).toBe(false);
  }, LAB_WAIT_MS);
});
