/**
 * A gateway that routes by `ip rule` (lab policy-routing, policy-rule-lost), as Kube-OVN's gateway script did before it
 * used the main table: main keeps the pod's default route into the VPC, and what comes in by either side is routed by
 * table 100. Walked with the main table alone, a healthy gateway's forwarding looked like a U-turn (and its SNATs
 * like stale conntrack entries); with the rule for the VPC side lost, no-route names the table that holds the
 * route and the ip rule to add.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../src/index.js';
import { LAB_AVAILABLE, readLabJson, useLabOutput } from '../lab/lab-output.js';
import { editedBundle } from '../support/bundle-edit.js';

const tmp = mkdtempSync(join(tmpdir(), 'natlens-policy-routing-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!LAB_AVAILABLE)('routing by ip rule (lab policy-routing, policy-rule-lost)', () => {
  const healthy = useLabOutput('policy-routing');
  const lost = useLabOutput('policy-rule-lost');

  it('healthy: every flow delivered, each walked through table 100 by its ip rule', async () => {
    const lab = readLabJson(healthy());
    const a = await analyze([healthy()]);
    expect(a.findings.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(a.flows.every((f) => f.disposition === 'delivered')).toBe(true);
    const out = a.flows.find((f) => f.original.src === lab.addresses.app && f.proto === 'icmp')!;
    expect(out.expected).toMatchObject({ src: lab.addresses.eip });
    expect(a.inputs.filter((i) => i.format === 'ip-rule').length).toBe(2);
  });

  it('healthy with only `ip rule`\'s text (no JSON), or only the JSON: the same', async () => {
    for (const drop of ['ip-rule.json', 'ip-rule.txt']) {
      const dir = editedBundle(healthy(), join(tmp, `without-${drop}`), { [drop]: null });
      const a = await analyze([dir]);
      expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
    }
  });

  it('the rule for the VPC side lost: no-route names main\'s route into the VPC, table 100\'s that would work, the rule that uses it, and the rule to add', async () => {
    const lab = readLabJson(lost());
    const a = await analyze([lost()]);
    const f = a.findings[0]!;
    expect([f.check, f.severity, f.confidence]).toEqual(['no-route', 'error', 'confirmed']);
    expect(f.detail).toContain(`(default via ${lab.addresses.app2} dev ${lab.inside})`);
    expect(f.detail).toContain(`Table 100 holds the route that sends it out ${lab.outside}`);
    expect(f.detail).toContain(`no ip rule looks that table up for what comes in by ${lab.inside}`);
    const texts = f.evidence.filter((e) => e.kind === 'route').map((e) => (e as { text: string }).text);
    expect(texts).toContain(`default via ${lab.addresses.app2} dev ${lab.inside}`);
    expect(texts.some((t) => t.startsWith(`default via ${lab.addresses.nexthop} dev ${lab.outside} table 100 — table 100`))).toBe(true);
    expect(texts.some((t) => t.startsWith('ip rule 32765') && t.endsWith(`iif ${lab.outside} lookup 100`))).toBe(true);
    expect(f.fix[0]).toMatch(new RegExp(`^ip rule add iif ${lab.inside} table 100 `));
  });

  it('without `ip rule` in the bundle: routed by main alone, said by a warning; no flow that left by another interface than the walk says is called stale conntrack', async () => {
    const dir = editedBundle(healthy(), join(tmp, 'no-rules'), { 'ip-rule.json': null, 'ip-rule.txt': null });
    const a = await analyze([dir]);
    expect(a.warnings.map((w) => w.code)).toContain('policy-rules-missing');
    expect(a.warnings.find((w) => w.code === 'policy-rules-missing')!.message).toContain('routes in table 100');
    expect(a.findings.filter((f) => f.severity === 'error')).toEqual([]);
  });

  it('`ip rule` with the main table\'s routes alone (`ip route`): the tables it looks up are named as missing', async () => {
    const mainOnly = (b: Buffer): Buffer => {
      const t = b.toString('utf8');
      if (t.trimStart().startsWith('[')) return Buffer.from(JSON.stringify((JSON.parse(t) as { table?: string }[]).filter((r) => r.table === undefined)));
      return Buffer.from(t.split('\n').filter((l) => !/\btable\b/.test(l)).join('\n'));
    };
    const dir = editedBundle(healthy(), join(tmp, 'main-only'), { 'ip-route.json': mainOnly, 'ip-route.txt': mainOnly });
    const a = await analyze([dir]);
    const w = a.warnings.filter((x) => x.code === 'policy-table-missing');
    expect(w.length).toBeGreaterThan(0);
    expect(w[0]!.message).toContain('looks up table 100, which the routes do not hold');
  });
});

describe.skipIf(!LAB_AVAILABLE)('an ip rule by protocol and port into a table that refuses (lab policy-rule-port)', () => {
  const dir = useLabOutput('policy-rule-port');

  it('only the UDP to the rule\'s port stops: no-route names the blackhole and the ip rule that sent them there, with both fixes', async () => {
    const lab = readLabJson(dir());
    const a = await analyze([dir()]);
    const f = a.findings[0]!;
    expect([f.check, f.confidence]).toEqual(['no-route', 'confirmed']);
    const stopped = a.flows.filter((x) => x.disposition === 'stopped-at-gateway');
    expect(stopped.length).toBeGreaterThan(0);
    expect(stopped.every((x) => x.proto === 'udp' && x.original.dst === lab.addresses.remote && x.original.dport === lab.ports.remoteUdp)).toBe(true);
    expect(f.flows).toEqual(stopped.map((x) => x.id));
    // Pings and TCP to the same remote pass.
    expect(a.flows.filter((x) => x.original.dst === lab.addresses.remote && x.proto !== 'udp').every((x) => x.disposition === 'delivered')).toBe(true);
    expect(f.detail).toContain(`The ip rule 1000 (from all ipproto udp dport ${lab.ports.remoteUdp} lookup 200) sent them to that route's table: only the traffic it takes stops.`);
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'route', text: 'blackhole default table 200' }));
    expect(f.evidence).toContainEqual(expect.objectContaining({ kind: 'route', text: expect.stringMatching(new RegExp(`^ip rule 1000:\\s+from all ipproto udp dport ${lab.ports.remoteUdp} lookup 200$`)) }));
    expect(f.fix).toEqual([
      'ip route del blackhole default table 200  # and wherever it comes from (a routing daemon, a DDoS mitigation, the network configuration)',
      'ip rule del pref 1000  # or stop steering this traffic there (and where the rule is made at boot)',
    ]);
  });
});
