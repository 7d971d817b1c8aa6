/**
 * The simulator against real gateways: the field bundles' snapshots, read by the real parsers, must predict
 * the translations the captures show (see capture-oracle.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIpv4 } from '../../src/model/address.js';
import { simPacket } from '../../src/simulate/sim-packet.js';
import { simulate } from '../../src/simulate/simulate.js';
import { checkBundleAgainstCaptures, hasTshark, load } from './capture-oracle.js';

const FIELD = join(import.meta.dirname, '../../../shared/field');

const HEALTHY = ['healthy', 'healthy-pcapng'].filter((d) => existsSync(join(FIELD, d)));

describe.skipIf(!hasTshark() || HEALTHY.length === 0)('simulate on the healthy field bundles: predictions match the captures', () => {
  for (const name of HEALTHY) {
    it(name, () => {
      const checked = checkBundleAgainstCaptures(join(FIELD, name));
      // The translations the bundle was built to show must be among those checked.
      expect(checked).toEqual(
        expect.arrayContaining([
          '10.0.4.10>198.51.100.29:icmp => 203.0.113.71>198.51.100.29:icmp',
          '10.0.4.11>198.51.100.29:icmp => 203.0.113.72>198.51.100.29:icmp',
          '203.0.113.5>203.0.113.72:8080 => 203.0.113.5>10.0.4.11:80',
          '203.0.113.5>203.0.113.71:icmp => 203.0.113.5>10.0.4.10:icmp',
          '10.0.4.10>198.51.100.29:80 => 203.0.113.71>198.51.100.29:80',
          '10.0.4.10>198.51.100.29:53 => 203.0.113.71>198.51.100.29:53',
        ]),
      );
    });
  }

  it('the SNAT rules used are the ones the captures imply, with their lines', () => {
    const snap = load(join(FIELD, 'healthy'));
    const app = simulate(simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('198.51.100.29'), proto: 1, icmpId: 20507 }), snap);
    expect(app.rewrites.map((r) => [r.kind, r.rule.chain, r.rule.line, r.portsMayChange])).toEqual([['SNAT', 'EXCLUSIVE_SNAT', 18, false]]);
    const app2 = simulate(simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.11'), dst: parseIpv4('198.51.100.29'), proto: 1, icmpId: 20506 }), snap);
    expect(app2.rewrites.map((r) => [r.kind, r.rule.chain, r.rule.line, r.portsMayChange])).toEqual([['SNAT', 'SHARED_SNAT', 21, true]]);
    const port = simulate(simPacket({ ingress: 'net1', src: parseIpv4('203.0.113.5'), dst: parseIpv4('203.0.113.72'), proto: 6, sport: 42335, dport: 8080 }), snap);
    expect(port.rewrites.map((r) => [r.kind, r.rule.chain, r.rule.line])).toEqual([['DNAT', 'SHARED_DNAT', 19]]);
  });
});

describe.skipIf(!existsSync(join(FIELD, 'ip-forward-off')))('simulate on the faulty field bundles', () => {
  const app = simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('198.51.100.29'), proto: 1, icmpId: 7 });
  const outside = simPacket({ ingress: 'net1', src: parseIpv4('203.0.113.5'), dst: parseIpv4('203.0.113.72'), proto: 6, sport: 40000, dport: 8080 });

  for (const name of ['ip-forward-off', 'ip-forward-off-any']) {
    it(`${name}: dropped with ip-forward-disabled citing net.ipv4.ip_forward`, () => {
      const snap = load(join(FIELD, name));
      for (const p of [app, outside]) {
        const tr = simulate(p, snap);
        expect(tr.disposition).toMatchObject({ kind: 'dropped', reason: 'ip-forward-disabled', icmpBack: null });
        const d = tr.disposition.kind === 'dropped' ? tr.disposition : null;
        expect(d?.source?.file).toBe(join(FIELD, name, 'sysctl.txt'));
        expect(snap.host.sysctls.get('net.ipv4.ip_forward')?.source.line).toBe(d?.source?.line);
      }
      // DNAT happens before the forwarding gate: DNAT counters climb while SNAT ones stay 0 (FAILURES.md).
      expect(simulate(outside, snap).rewrites.map((r) => r.kind)).toEqual(['DNAT']);
    });
  }

  it('forward-drop: dropped with forward-chain citing the FORWARD policy line', () => {
    const snap = load(join(FIELD, 'forward-drop'));
    for (const p of [app, outside]) {
      const tr = simulate(p, snap);
      expect(tr.disposition).toMatchObject({ kind: 'dropped', reason: 'forward-chain', stage: 'filter', rule: null });
      const fwd = snap.rules?.tables.filter?.chains.find((c) => c.name === 'FORWARD');
      expect(fwd?.policy).toBe('DROP');
      expect(tr.disposition.kind === 'dropped' && tr.disposition.source).toEqual(fwd?.source);
    }
  });

  it('snat-missing: the app leaves untranslated', () => {
    const snap = load(join(FIELD, 'snat-missing'));
    const tr = simulate(app, snap);
    expect(tr.disposition).toMatchObject({ kind: 'forwarded', egress: 'net1', out: { src: parseIpv4('10.0.4.10') } });
    expect(tr.rewrites).toEqual([]);
  });
});

describe.skipIf(!existsSync(join(FIELD, 'ip-forward-off')))('passDrops: what would leave a gateway that stopped the packet', () => {
  const app = simPacket({ ingress: 'eth0', src: parseIpv4('10.0.4.10'), dst: parseIpv4('198.51.100.29'), proto: 1, icmpId: 7 });

  it('ip-forward-off: the app would leave net1 SNATed to its floating IP by EXCLUSIVE_SNAT; the gate is kept as a step', () => {
    const snap = load(join(FIELD, 'ip-forward-off'));
    const tr = simulate(app, snap, { passDrops: true });
    expect(tr.disposition).toMatchObject({ kind: 'forwarded', egress: 'net1', out: { src: parseIpv4('203.0.113.71'), dst: parseIpv4('198.51.100.29') } });
    expect(tr.rewrites.map((r) => [r.kind, r.rule.chain])).toEqual([['SNAT', 'EXCLUSIVE_SNAT']]);
    expect(tr.steps.some((s) => s.verdict === 'would drop' && s.note.startsWith('ip-forward-disabled'))).toBe(true);
    // Without the option the same packet is dropped.
    expect(simulate(app, snap).disposition.kind).toBe('dropped');
  });

  it('forward-drop: past the FORWARD policy the translation is the healthy one', () => {
    const snap = load(join(FIELD, 'forward-drop'));
    const tr = simulate(app, snap, { passDrops: true });
    expect(tr.disposition).toMatchObject({ kind: 'forwarded', out: { src: parseIpv4('203.0.113.71') } });
  });
});
