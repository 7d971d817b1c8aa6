/**
 * SNAT out of source ports for one destination: the lab's snat-ports-exhausted bundle (the subnet's SNAT limited to
 * two ports, both held by long-lived connections to the remote's bulk port, a third connection's SYNs dropped), and
 * the same captures with a snapshot whose rule has room, or without conntrack's counters. And the VPC-side face of
 * upstream-no-reply the lab's backend-route-elsewhere shows: a backend that routes its replies elsewhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze, type Analysis } from '../../src/index.js';
import { editedBundle } from '../support/bundle-edit.js';
import { LAB_AVAILABLE, LAB_WAIT_MS, labOutput, readLabJson, useLabOutput } from '../lab/lab-output.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-snat-ports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const text = (edit: (t: string) => string) => (b: Buffer): Buffer => Buffer.from(edit(b.toString('utf8')));

describe.skipIf(!LAB_AVAILABLE)('snat-ports-exhausted on the lab bundle', () => {
  const dir = useLabOutput('snat-ports-exhausted');

  /** app2's connections to the remote's bulk port: the two that hold the ports, and the one that stopped. */
  const bulk = (a: Analysis) => {
    const lab = readLabJson(dir());
    return a.flows.filter((f) => f.proto === 'tcp' && f.original.src === lab.addresses.app2 && f.original.dport === lab.ports.bulkTcp);
  };

  it('confirmed: the stopped connection named, the rule and its two ports, the holders shown, the range widened in the fix', async () => {
    const a = await analyze([dir()]);
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['snat-ports-exhausted', 'error', 'confirmed']);
    const flows = bulk(a);
    const stopped = flows.filter((x) => x.disposition === 'stopped-at-gateway');
    expect(stopped).toHaveLength(1);
    expect(f.flows).toEqual([stopped[0]!.id]);
    expect(flows.filter((x) => x.disposition === 'delivered').map((x) => x.observed!.sport).sort()).toEqual([40000, 40001]);
    expect(f.detail).toContain('ports 40000–40001, and 2 were held by connections to the same destination');
    expect(f.evidence.some((e) => e.kind === 'rule' && e.chain === 'SHARED_SNAT' && e.text.endsWith(':40000-40001'))).toBe(true);
    expect(f.evidence.filter((e) => e.kind === 'frame' && / holds \S+:4000[01] to /.test(e.summary))).toHaveLength(2);
    expect(f.fix[0]).toMatch(/^# widen the rule's port range or give it more addresses: iptables -t nat -R SHARED_SNAT 1 .*--to-source [\d.]+:1024-65535$/);
    expect(a.findings.map((x) => x.check)).not.toContain('forward-chain-drop');
  });

  it('without conntrack\'s counters the captures still prove it', async () => {
    const d = editedBundle(dir(), join(tmp, 'no-stats'), { 'conntrack-stats.txt': null, 'lab.json': null });
    const f = (await analyze([d])).findings[0]!;
    expect([f.check, f.confidence]).toEqual(['snat-ports-exhausted', 'confirmed']);
  });

  it('a rule with room to spare (a hundred ports, two held) is not called exhausted', async () => {
    const roomy = text((t) => t.replace(/:40000-40001/g, ':40000-40100'));
    const d = editedBundle(dir(), join(tmp, 'roomy'), { 'iptables-save.txt': roomy, 'iptables-nat-L.txt': roomy, 'lab.json': null });
    const a = await analyze([d]);
    expect(a.findings.map((x) => x.check)).not.toContain('snat-ports-exhausted');
    // The stop is still named (something the snapshot does not explain).
    expect(a.findings[0]!.severity).toBe('error');
  });
});

describe.skipIf(!LAB_AVAILABLE)('upstream-no-reply on the VPC side: a backend that routes its replies elsewhere (lab backend-route-elsewhere)', () => {
  it('the backend\'s unanswered ARP for its other next hop named, and the fix on the backend', async () => {
    const dir = join(await labOutput(), 'backend-route-elsewhere');
    const lab = readLabJson(dir);
    const a = await analyze([dir]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['upstream-no-reply', 'likely']);
    expect(f.title).toBe(`${lab.addresses.app2} sends its replies via ${lab.addresses.ghostInside}, not back through the gateway`);
    expect(f.detail).toContain(`${lab.addresses.app2} asked by ARP who has ${lab.addresses.ghostInside} and nobody answered`);
    expect(f.evidence.some((e) => e.kind === 'frame' && e.summary.startsWith(`ARP who-has ${lab.addresses.ghostInside} tell `))).toBe(true);
    expect(f.fix).toContain(
      `# on ${lab.addresses.app2}: ip route get ${lab.addresses.client} — it goes via ${lab.addresses.ghostInside}; route it back via the gateway (${lab.addresses.gatewayInside}), e.g. ip route replace default via ${lab.addresses.gatewayInside}`,
    );
    expect(f.fix.some((c) => c.includes('upstream routes the EIPs back'))).toBe(false);
  }, LAB_WAIT_MS);
});
